"""The quick lab list (`lblab labs`) agrees with the checked one, and names a broken file's problem."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from labs.catalog import LABS_DIR, format_catalog, lab_catalog
from labs.loader import format_lab_list, list_labs
from tests.support.paths import ROOT


def test_the_catalog_lists_the_real_labs_as_the_checked_list_does() -> None:
    quick, checked = lab_catalog(), list_labs()
    assert [(i.id, i.title, i.estimated_minutes, i.step_count, i.order) for i in quick] == \
           [(i.id, i.title, i.estimated_minutes, i.step_count, i.order) for i in checked]
    assert not any(info.broken for info in quick)
    for lang in ("ko", "en"):
        assert format_catalog(quick, lang) == format_lab_list(lang)


def test_a_file_the_catalog_cannot_read_is_listed_with_the_checked_error(tmp_path: Path) -> None:
    shutil.copy(LABS_DIR / "alb-basics.yaml", tmp_path)
    (tmp_path / "half-written.yaml").write_text("id: half-written\ntitle: [unclosed\n", "utf-8")
    (tmp_path / "renamed.yaml").write_text((LABS_DIR / "alb-basics.yaml").read_text("utf-8"), "utf-8")
    infos = lab_catalog(tmp_path)
    assert [(i.id, i.broken) for i in infos] == [("alb-basics", False), ("half-written", True), ("renamed", True)]
    checked = {info.id: info.error for info in list_labs(tmp_path)}
    assert [info.error for info in infos[1:]] == [checked["half-written"], checked["renamed"]]
    assert "expected the file's name 'renamed'" in (infos[2].error or "")


def test_lblab_labs_imports_neither_the_cloud_nor_textual() -> None:
    code = ("import sys; from tui.cli import main; main(['labs']); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'asyncio') "
            "or m in ('mock_cloud.cloud', 'labs.engine', 'labs.loader')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=ROOT).stdout
    assert "alb-basics" in out
    assert out.strip().splitlines()[-1] == "[]"
