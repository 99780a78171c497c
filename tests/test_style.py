"""The code base stays `ruff` clean (lint and format), checked with the rest of the suite."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("command", [["check", "."], ["format", "--check", "."]])
def test_ruff(command: list[str]) -> None:
    ruff = shutil.which("ruff")
    assert ruff, "ruff is part of the test extra: pip install -e '.[test]'"
    run = subprocess.run([ruff, *command], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr


def _imports(path: Path, modules: set[str]) -> set[str]:
    """foleykit modules `path` imports anywhere (top level, in functions, under TYPE_CHECKING): `from a
    import b` counts as importing a.b where that is a module, else a."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name in modules}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                name = f"{node.module}.{alias.name}"
                found.add(name if name in modules else node.module)
    return found & modules


def test_no_import_cycles() -> None:
    """Modules form a hierarchy (DESIGN §1): no two import each other, even lazily or for type hints."""
    source = ROOT / "src"
    files = {}
    for path in (source / "foleykit").rglob("*.py"):
        name = ".".join(path.relative_to(source).with_suffix("").parts).removesuffix(".__init__")
        files[name] = path
    graph = {name: _imports(path, set(files)) - {name} for name, path in files.items()}
    done: set[str] = set()

    def visit(name: str, trail: list[str]) -> None:
        if name in trail:
            cycle = [*trail[trail.index(name) :], name]
            raise AssertionError("import cycle: " + " → ".join(cycle))
        if name in done:
            return
        for other in sorted(graph[name]):
            visit(other, [*trail, name])
        done.add(name)

    for name in sorted(graph):
        visit(name, [])


@pytest.mark.parametrize(
    "argv",
    [["--help"], ["sync", "--fps", "25", "--length", "2", "--cues", "missing.edl"], ["spot", "missing.mp4"]],
)
def test_help_and_bad_input_do_not_load_the_heavy_libraries(argv: list[str], tmp_path: Path) -> None:
    script = (
        "import sys\nfrom foleykit.cli import main\n"
        "try:\n    code = main(sys.argv[1:])\nexcept SystemExit as stop:\n    code = stop.code\n"
        "heavy = [m for m in ('scipy', 'torch', 'diffusers', 'opentimelineio') if m in sys.modules]\n"
        "print(code, ' '.join(heavy) or '-', file=sys.stderr)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script, *argv], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    code, heavy = run.stderr.strip().splitlines()[-1].split(" ", 1)
    assert code == ("0" if argv == ["--help"] else "2") and heavy == "-", run.stderr
