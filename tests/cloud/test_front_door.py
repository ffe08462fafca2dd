"""mock_cloud's front door (mock_cloud/__init__.py): the names the console, the labs and the CLI use.

Importing it costs nothing (each name is imported when first used), every name it lists is the very
object of its home module, and what the type checker reads (the `if TYPE_CHECKING:` imports) names
exactly what `__getattr__` serves."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import mock_cloud

ROOT = Path(__file__).resolve().parents[2]


def test_importing_the_front_door_imports_no_inner_module() -> None:
    code = "import sys, mock_cloud; print(sorted(m for m in sys.modules if m.startswith('mock_cloud')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT).stdout
    assert out.strip() == "['mock_cloud']"


@pytest.mark.parametrize("name", sorted(set(mock_cloud.__all__) - {"__version__"}))
def test_each_name_is_its_home_module_s_own_object(name: str) -> None:
    module, attribute = mock_cloud._HOME[name]
    assert getattr(mock_cloud, name) is getattr(importlib.import_module(module), attribute)


def test_the_type_checker_sees_the_names_the_front_door_serves() -> None:
    tree = ast.parse((ROOT / "mock_cloud" / "__init__.py").read_text("utf-8"))
    block = next(node for node in tree.body if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING")
    seen = {(node.module, alias.name, alias.asname or alias.name)
            for node in block.body if isinstance(node, ast.ImportFrom) for alias in node.names}
    served = {(module, attribute, name) for name, (module, attribute) in mock_cloud._HOME.items()}
    assert seen == served
    assert set(mock_cloud.__all__) == set(mock_cloud._HOME) | {"__version__"}


def test_a_name_not_on_the_front_door_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'Ec2Service'"):
        _ = mock_cloud.Ec2Service  # type: ignore[attr-defined]
