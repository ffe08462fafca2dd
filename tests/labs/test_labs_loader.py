"""Lab files: every shipped lab loads; a broken file is reported with file, line and expectation, and listed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from labs import LabLoadError, format_lab_list, list_labs, load_lab
from labs.loader import LABS_DIR

GOOD = """\
id: {id}
title: {{ko: 실습, en: A lab}}
description: {{ko: 설명, en: About it}}
estimated_minutes: 5
steps:
  - id: only
    title: {{ko: 단계, en: Step}}
    instructions: {{ko: 하세요, en: Do it}}
    check:
      - id: up
        type: instances
        names: web
finish: {{ko: 끝, en: Done}}
"""


def write(directory: Path, lab_id: str, text: str) -> Path:
    path = directory / f"{lab_id}.yaml"
    path.write_text(text, "utf-8")
    return path


def error_of(directory: Path, lab_id: str, text: str) -> LabLoadError:
    write(directory, lab_id, text)
    with pytest.raises(LabLoadError) as caught:
        load_lab(lab_id, directory)
    return caught.value


def test_every_shipped_lab_loads_with_both_languages() -> None:
    infos = list_labs()
    assert [i.id for i in infos] == ["ec2-web-server", "alb-basics", "health-checks", "listener-rules",
                                     "ssl-termination", "troubleshooting"]
    for info in infos:
        assert not info.broken, info.error
        lab = load_lab(info.id)
        assert lab.steps and lab.title.ko and lab.title.en and lab.finish.ko and lab.finish.en
        for step in lab.steps:
            for text in (step.title, step.instructions, *step.hints):
                assert text.ko.strip() and text.en.strip() and text.ko != text.en, (info.id, step.id)


def test_a_good_lab_loads(tmp_path: Path) -> None:
    write(tmp_path, "tiny", GOOD.format(id="tiny"))
    lab = load_lab("tiny", tmp_path)
    assert lab.time_scale == 30 and lab.order == 100 and lab.setup == ()
    criterion = lab.steps[0].check[0]
    assert (criterion.id, criterion.type, criterion.line) == ("up", "instances", 10)
    assert criterion.params == {"names": ["web"], "state": ["running"], "web_server": False,
                                "enabled_at_boot": False}


def test_a_lab_is_read_once_per_version_of_its_file(tmp_path: Path) -> None:
    write(tmp_path, "tiny", GOOD.format(id="tiny"))
    first = load_lab("tiny", tmp_path)
    assert load_lab("tiny", tmp_path) is first  # the file unchanged: the lab already read
    write(tmp_path, "tiny", GOOD.format(id="tiny").replace("A lab", "B lab"))  # the same size, at once
    assert load_lab("tiny", tmp_path).title.en == "B lab"
    write(tmp_path, "tiny", GOOD.format(id="tiny").replace("names: web", "names: [web"))
    with pytest.raises(LabLoadError, match="invalid YAML"):
        load_lab("tiny", tmp_path)


@pytest.mark.parametrize(("broken", "line", "expected"), [
    # a YAML syntax error
    (GOOD.format(id="bad").replace("names: web", "names: [web"), 13, "invalid YAML"),
    # a missing key
    (GOOD.format(id="bad").replace("finish: {ko: 끝, en: Done}\n", ""), 1, "missing key 'finish'"),
    # a wrong type
    (GOOD.format(id="bad").replace("estimated_minutes: 5", "estimated_minutes: soon"), 4,
     "estimated_minutes: expected a whole number from 1 to 600, got the text 'soon'"),
    # an unknown criterion type
    (GOOD.format(id="bad").replace("type: instances", "type: instance"), 11,
     "steps[0].check[0].type: unknown criterion type 'instance'; expected one of: certificate, instance_groups, "
     "instance_http"),
    # an unknown key in a criterion
    (GOOD.format(id="bad").replace("names: web", "names: web\n        colour: red"), 13,
     "unknown key 'colour' in criterion 'instances'"),
    # one language missing
    (GOOD.format(id="bad").replace("{ko: 단계, en: Step}", "{ko: 단계}"), 7, "missing key 'en'"),
    # an unknown placeholder
    (GOOD.format(id="bad").replace("en: Do it", "en: 'Do it {{wat}}'"), 8, "unknown placeholder {{wat}}"),
    # the id differs from the file name
    (GOOD.format(id="other"), 1, "expected the file's name 'bad' as the lab's id, got 'other'"),
    # two steps with one id
    (GOOD.format(id="bad").replace("finish:", "  - id: only\n    title: {ko: 둘, en: Two}\n"
                                   "    instructions: {ko: 둘, en: Two}\n"
                                   "    check: [{id: up, type: instances, names: web}]\nfinish:"), 13,
     "the id 'only' is used twice"),
    # an action that does not exist
    (GOOD.format(id="bad").replace("finish:", "setup:\n  - do: teleport\nfinish:"), 14,
     "unknown action do 'teleport'"),
], ids=["syntax", "missing-key", "wrong-type", "unknown-criterion", "unknown-key", "one-language", "placeholder",
        "id-not-file-name", "duplicate-step", "unknown-action"])
def test_a_broken_file_names_file_line_and_expectation(tmp_path: Path, broken: str, line: int,
                                                        expected: str) -> None:
    error = error_of(tmp_path, "bad", broken)
    assert error.path == tmp_path / "bad.yaml" and error.line == line, str(error)
    assert expected in str(error) and str(error).startswith(f"{tmp_path / 'bad.yaml'}:{line}:")


def test_solve_lab_must_name_a_lab_and_one_of_its_steps(tmp_path: Path) -> None:
    shutil.copy(LABS_DIR / "alb-basics.yaml", tmp_path)
    setup = "setup:\n  - do: solve_lab\n    lab: alb-basics\n    through: {through}\nfinish:"
    error = error_of(tmp_path, "later", GOOD.format(id="later").replace("finish:", setup.format(through="nope")))
    assert error.line == 14 and "lab 'alb-basics' has no step 'nope'; expected one of: launch-instances" in str(error)
    write(tmp_path, "later", GOOD.format(id="later").replace("finish:", setup.format(through="create-alb")))
    assert load_lab("later", tmp_path).setup[0].params == {"lab": "alb-basics", "through": "create-alb"}
    loop = GOOD.format(id="loop").replace("finish:", "setup:\n  - do: solve_lab\n    lab: loop\n"
                                                     "    through: only\nfinish:")
    assert "leads back to itself" in str(error_of(tmp_path, "loop", loop))


def test_a_broken_lab_is_listed_as_broken_never_raised(tmp_path: Path) -> None:
    write(tmp_path, "fine", GOOD.format(id="fine"))
    write(tmp_path, "bad", GOOD.format(id="bad").replace("type: instances", "type: nope"))
    write(tmp_path, "empty", "")
    infos = {i.id: i for i in list_labs(tmp_path)}
    assert not infos["fine"].broken and infos["fine"].step_count == 1
    assert infos["bad"].broken and "bad.yaml:11:" in (infos["bad"].error or "")
    assert infos["empty"].broken and "the file is empty" in (infos["empty"].error or "")
    assert next(i.id for i in list_labs(tmp_path)) == "fine"  # broken ones last
    text = format_lab_list("en", tmp_path)
    assert " 1. fine " in text and "A lab  (1 steps · ~5 min)" in text
    assert "BROKEN: " in text and "unknown criterion type 'nope'" in text
    with pytest.raises(LabLoadError, match="no such lab file"):
        load_lab("missing", tmp_path)


def test_the_lab_list_for_the_command_line() -> None:
    korean, english = format_lab_list("ko"), format_lab_list("en")
    assert " 1. ec2-web-server " in korean and "EC2 웹 서버 시작하기  (2단계 · 약 15분)" in korean
    assert " 2. alb-basics " in english and "Application Load Balancer (ALB) lab  (9 steps · ~45 min)" in english
    assert english.endswith("Open one with: lblab lab ID")
