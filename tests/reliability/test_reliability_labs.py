"""Garbled lab files: listed as broken with an error naming the file and line, never a crash or a hang.

Hypothesis mutates the real lab files (lines deleted, doubled, swapped, indented with tabs; bytes
cut, replaced and inserted, invalid UTF-8 included), and a fixed set covers what attacks a YAML
loader: nesting 5000 levels deep (the composer recurses), a "billion laughs" of aliases, an alias
that contains itself, `!!python/...` tags, a 5 MB file, a list or a lone text instead of a lab.

A hang would trip pytest's timeout; how long the listing takes is measured by bench/abuse_timings.py
(over HOSTILE), not asserted here: a busy machine would fail the suite.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import time
from pathlib import Path

import pytest

pytest.importorskip("hypothesis", reason="pip install hypothesis")
from hypothesis.configuration import set_hypothesis_home_dir

# Hypothesis keeps caches in ./.hypothesis; the working tree is not the place for them.
set_hypothesis_home_dir(str(Path(tempfile.gettempdir()) / "lblab-hypothesis"))
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from labs.loader import LABS_DIR, LabLoadError, format_lab_list, list_labs, load_lab  # noqa: E402

REAL_LABS = sorted(LABS_DIR.glob("*.yaml"))
# Errors without a line are about the file as a whole.
WHOLE_FILE = ("no such lab file", "cannot read the file", "the file is over")


def assert_located(error: str, path: Path) -> None:
    """`path:LINE[:COLUMN]: message`, LINE >= 1, unless the problem is the whole file."""
    assert error.startswith(str(path)), error
    rest = error[len(str(path)):]
    if any(rest.startswith(f": {text}") for text in WHOLE_FILE):
        return
    assert re.match(r":[1-9]\d*(:\d+)?: \S", rest), f"no line number in {error!r}"


def lab_dir(tmp: Path, *names: str) -> Path:
    """A fresh directory holding copies of the named shipped labs (all of them by default)."""
    directory = tmp / f"labs-{time.monotonic_ns()}"
    directory.mkdir()
    for path in REAL_LABS:
        if not names or path.name in names:
            shutil.copy(path, directory / path.name)
    return directory


def check_listing(directory: Path, garbled: Path) -> None:
    infos = {info.path.name: info for info in list_labs(directory)}
    assert set(infos) == {p.name for p in directory.glob("*.yaml")}  # every file listed, broken or not
    info = infos[garbled.name]
    if info.broken:
        assert_located(info.error or "", garbled)
        with pytest.raises(LabLoadError):
            load_lab(garbled.stem, directory)
    else:
        assert load_lab(garbled.stem, directory).id == garbled.stem
    assert format_lab_list("en", directory)


def mutate(data: bytes, how: str, where: float, what: bytes) -> bytes:
    lines = data.split(b"\n")
    at = int(where * len(lines)) % len(lines)
    cut = int(where * len(data))
    if how == "delete-line":
        del lines[at]
    elif how == "double-line":
        lines.insert(at, lines[at])
    elif how == "swap-lines":
        other = (at * 7 + 3) % len(lines)
        lines[at], lines[other] = lines[other], lines[at]
    elif how == "tab-indent":
        lines[at] = b"\t" + lines[at]
    elif how == "dedent":
        lines[at] = lines[at].lstrip()
    elif how == "insert-line":
        lines.insert(at, what)
    elif how == "truncate":
        return data[:cut]
    elif how == "replace-bytes":
        return data[:cut] + what + data[cut + len(what):]
    else:  # insert-bytes
        return data[:cut] + what + data[cut:]
    return b"\n".join(lines)


GARBAGE = st.one_of(
    st.binary(min_size=1, max_size=12),
    st.text(min_size=1, max_size=12).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.sampled_from([b": ", b"- ", b"{", b"]", b"&a ", b"*a", b"!!python/object:os.system", b"%YAML 9.9",
                     b"---", b"...", b"\xff\xfe", b"\x00", b"'", b'"', b"|", b">", b"? ", b"id: other",
                     b"    - id: dup", b"\r", b"\xef\xbb\xbf"]),
)


@settings(max_examples=80, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(lab=st.sampled_from(REAL_LABS), how=st.sampled_from(["delete-line", "double-line", "swap-lines", "tab-indent",
                                                           "dedent", "insert-line", "truncate", "replace-bytes",
                                                           "insert-bytes"]),
       where=st.floats(0, 1, exclude_max=True), what=GARBAGE)
def test_garbled_lab_files_are_listed_as_broken_with_a_line(tmp_path: Path, lab: Path, how: str, where: float,
                                                            what: bytes) -> None:
    # Only the garbled lab is listed (a solve_lab reference to another lab then fails, with its line).
    directory = lab_dir(tmp_path, lab.name)
    garbled = directory / lab.name
    garbled.write_bytes(mutate(lab.read_bytes(), how, where, what))
    check_listing(directory, garbled)
    shutil.rmtree(directory)


def laughs(levels: int) -> str:
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


HEAD = "id: {id}\ntitle: {{ko: a, en: b}}\ndescription: {{ko: a, en: b}}\nestimated_minutes: 5\nfinish: done\n"
HOSTILE = {
    "deep": "id: deep\ntitle: " + "[" * 5000 + "]" * 5000 + "\n",
    "deep-mapping": "id: deep-mapping\n" + "".join("  " * i + f"k{i}:\n" for i in range(200)),
    "laughs": laughs(12) + "id: laughs\nsteps: *l11\n",
    "laughs-in-text": laughs(12) + HEAD.format(id="laughs-in-text")
    + "steps:\n  - id: s\n    title: *l11\n    instructions: x\n    check: [{id: c, type: x}]\n",
    "self-alias": "id: self-alias\nsteps: &s [*s]\n",
    "python-tag": HEAD.format(id="python-tag").replace("estimated_minutes: 5",
                                                        "estimated_minutes: !!python/object/apply:os.system "
                                                        "['touch PWNED']"),
    "python-scalar": "id: !!python/name:os.system\n",
    "huge": "id: huge\ntitle: " + "x" * (5 * 1024 * 1024) + "\n",
    "many-values": "id: many-values\nsteps: [" + ", ".join(["1"] * 30_000) + "]\n",
    "a-list": "- a\n- b\n",
    "a-text": "hello\n",
    "empty": "",
    "nul": "id: nul\x00\n",
    "tabs": "id: tabs\n\tsteps: []\n",
    "twice": "id: twice\nid: twice\n",
    "wrong-id": HEAD.format(id="someone-else") + "steps: []\n",
}


def test_hostile_yaml_never_crashes_or_hangs_the_listing(tmp_path: Path) -> None:
    directory = lab_dir(tmp_path)
    for name, text in HOSTILE.items():
        (directory / f"{name}.yaml").write_text(text, "utf-8")
    (directory / "binary.yaml").write_bytes(b"id: binary\ntitle: \xff\xfe\x00\n")
    infos = {info.path.stem: info for info in list_labs(directory)}
    for name in [*HOSTILE, "binary"]:
        info = infos[name]
        assert info.broken, name
        assert_located(info.error or "", directory / f"{name}.yaml")
    assert infos["deep"].error and ":2:" in infos["deep"].error and "deep" in infos["deep"].error
    assert "aliases" in (infos["laughs"].error or "") and "aliases" in (infos["self-alias"].error or "")
    assert "binary.yaml:2:" in (infos["binary"].error or "")
    assert not list(tmp_path.rglob("PWNED")) and not Path("PWNED").exists()  # no tag was ever constructed
    # The shipped labs are listed, and load, beside the broken ones.
    assert all(not infos[p.stem].broken for p in REAL_LABS)
    listing = format_lab_list("en", directory)
    assert "BROKEN" in listing and "deep.yaml:2" in listing
