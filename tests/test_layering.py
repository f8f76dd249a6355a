"""DESIGN.md's one direction of dependency, checked on every import (lazy ones inside functions too).

- ``frames`` imports construct and the standard library only;
- ``hardware`` imports ``frames``, numpy, pyserial and the standard library, never ``groundstation``;
- ``groundstation/dsp`` never imports Skyfield or the orbits, detection, simulation or command modules;
- nothing but ``groundstation/cli.py`` and ``groundstation/commands/`` imports ``groundstation.commands``.
"""

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def imports_of(root: Path, path: Path) -> set[str]:
    """Every module named by an import statement in ``path`` (relative imports resolved)."""
    package = ".".join(path.relative_to(root).with_suffix("").parts[:-1])
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def modules_under(root: Path, folder: str) -> list[Path]:
    return sorted((root / folder).rglob("*.py"))


def violations(root: Path, paths: list[Path], allowed) -> list[str]:
    return [f"{path.relative_to(root)} imports {name}" for path in paths for name in sorted(imports_of(root, path))
            if not allowed(name)]


def top(name: str) -> str:
    return name.split(".")[0]


FORBIDDEN_IN_DSP = ("skyfield", "sgp4", "groundstation.orbits", "groundstation.detection",
                    "groundstation.simulation", "groundstation.commands", "groundstation.cli")


def frames_violations(root: Path) -> list[str]:
    return violations(root, modules_under(root, "frames"),
                      lambda name: top(name) in sys.stdlib_module_names or top(name) in ("construct", "frames"))


def hardware_violations(root: Path) -> list[str]:
    return violations(root, modules_under(root, "hardware"), lambda name: top(name) in sys.stdlib_module_names
                      or top(name) in ("frames", "hardware", "serial", "numpy"))


def dsp_violations(root: Path) -> list[str]:
    return violations(root, modules_under(root, "groundstation/dsp"),
                      lambda name: not any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN_IN_DSP))


def commands_violations(root: Path) -> list[str]:
    library = [path for path in modules_under(root, "groundstation")
               if "commands" not in path.relative_to(root).parts and path.name not in ("cli.py", "__main__.py")]
    return violations(root, library, lambda name: not name.startswith("groundstation.commands"))


RULES = [frames_violations, hardware_violations, dsp_violations, commands_violations]


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.__name__)
def test_the_code_keeps_the_rule(rule):
    assert rule(ROOT) == []


@pytest.mark.parametrize("rule, where, source", [
    (frames_violations, "frames/kiss.py", "import numpy\n"),
    (hardware_violations, "hardware/tnc.py", "from groundstation.dsp.decoder import Decoder\n"),
    (dsp_violations, "groundstation/dsp/afsk.py", "def late():\n    import groundstation.orbits.orbit\n"),
    (dsp_violations, "groundstation/dsp/fsk.py", "from skyfield.api import load\n"),
    (dsp_violations, "groundstation/dsp/channel.py", "from ..detection import check\n"),
    (commands_violations, "groundstation/demo.py", "from groundstation.commands.catalog import catalog_rows\n"),
], ids=lambda value: getattr(value, "__name__", None) or str(value)[:30])
def test_each_rule_fails_on_a_violation(tmp_path, rule, where, source):
    planted = tmp_path / where
    planted.parent.mkdir(parents=True)
    planted.write_text(source)
    assert rule(tmp_path) != []
