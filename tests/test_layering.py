"""DESIGN.md's one direction of dependency: frames -> construct only; hardware never imports groundstation."""

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ALLOWED = {
    "frames": {"construct", "frames"},
    "hardware": {"frames", "hardware", "serial", "numpy"},
}


def imported_top_level_modules(package: str) -> set[str]:
    names = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_what_design_allows(package):
    third_party = imported_top_level_modules(package) - set(sys.stdlib_module_names)
    assert third_party <= ALLOWED[package], f"{package} imports {third_party - ALLOWED[package]}"
