"""The shape of the house: which package may import which, and how large a module may grow.

The map is docs/architecture.md's ("The map of the packages"); this test is its enforcement.
A package may import its own modules and those of the layers below it, never above. Entry
modules (routes and pages, which the app mounts) may also use any capability's public
operations, as the app composes them; nothing but an entry module imports an entry module
of another package.
"""

from __future__ import annotations

import ast
import statistics
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[2] / "src" / "summitry"

LAYERS: list[set[str]] = [
    # composition: builds the app and the command line from the capabilities
    {"app", "api", "cli", "pages", "capabilities", "runtime", "deps", "models", "demo", "snapshot"},
    {"records"},  # the record: minutes, readouts, the archive and its analytics
    {"documents"},  # outcome documents: texts, adoption, signatures
    {"notices"},  # notices to delegations, on their pages and by e-mail
    {"telephony"},
    {"interpretation"},
    {"media"},
    {"floor"},
    {"meeting"},
    {"security"},  # who is asking, and what of an engagement they may see
    {"engagements"},
    {"delegations"},
    {"web"},  # shared rendering: knows no capability
    {"log"},  # the core: knows no capability
    {
        "db",
        "leases",
        "ticking",
        "sqlite_driver",
        "errors",
        "config",
        "settings_file",
        "settings_tables",
        "contention",
        "logs",
        "schema",
        "__init__",
        "__version__",
    },
]
LAYER_OF = {package: depth for depth, layer in enumerate(LAYERS) for package in layer}
ENTRY_HELPERS = {"deps", "web", "snapshot"}
"""What an entry module uses besides the capabilities: request plumbing, rendering."""

MAX_LINES = 400
MEDIAN_LINES = 120


def _is_entry(path: Path) -> bool:
    return path.stem in {"routes", "pages"} or path.stem.endswith(("_pages", "_routes"))


def _package(path: Path, root: Path) -> str:
    parts = path.relative_to(root).parts
    return parts[0].removesuffix(".py")


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) for each ``summitry`` module the file imports, wherever it does."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "summitry" or (
                node.module.startswith("summitry.") and node.module.count(".") == 1
            ):
                # ``from summitry.floor import routes``: the names may be modules
                found += [(node.lineno, f"{node.module}.{a.name}") for a in node.names]
            elif node.module.startswith("summitry."):
                found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("summitry.")]
    return found


def _modules(root: Path = SOURCE) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if "migrations" not in p.parts)


def _target_is_entry(module: str) -> bool:
    last = module.split(".")[-1]
    return last in {"routes", "pages"} or last.endswith(("_pages", "_routes"))


def violations(root: Path = SOURCE) -> list[str]:
    """Every import against the map, as ``file:line imports module (why)``."""
    found = []
    for path in _modules(root):
        package = _package(path, root)
        mine = LAYER_OF.get(package)
        where = path.relative_to(root)
        if mine is None:
            found.append(f"{where}: package {package!r} is not on the map")
            continue
        entry = _is_entry(path)
        for line, module in _imports(path):
            target = module.split(".")[1]
            if target == package:
                continue
            theirs = LAYER_OF.get(target)
            if theirs is None:
                found.append(f"{where}:{line} imports {module}: {target!r} is not on the map")
            elif _target_is_entry(module) and mine != 0:
                found.append(f"{where}:{line} imports {module}: another package's entry module")
            elif theirs < mine and not (entry and (target in ENTRY_HELPERS or theirs > 0)):
                found.append(f"{where}:{line} imports {module}: against the map's direction")
    return found


def test_every_import_follows_the_map() -> None:
    assert violations() == []


def test_the_map_catches_imports_against_it(tmp_path: Path) -> None:
    """The check itself can fail: the core importing a capability, an operation importing a
    route, and a capability importing one above it are each named."""
    tree = {
        "log/store.py": "from summitry.meeting.state import fold\n",
        "meeting/operations.py": "from summitry.floor import routes\nfrom summitry import log\n",
        "floor/operations.py": "import summitry.telephony.calls\n",
        "floor/routes.py": "from summitry.telephony import operations\nfrom summitry import deps\n",
    }
    for name, text in tree.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    found = violations(tmp_path)
    assert found == [
        "floor/operations.py:1 imports summitry.telephony.calls: against the map's direction",
        "log/store.py:1 imports summitry.meeting.state: against the map's direction",
        "meeting/operations.py:1 imports summitry.floor.routes: another package's entry module",
    ]


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(SOURCE)))
def test_no_module_is_over_the_limit(path: Path) -> None:
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_LINES, f"{lines} lines: split it along its seams"


def test_modules_are_small_at_the_median() -> None:
    sizes = [len(p.read_text().splitlines()) for p in _modules()]
    assert statistics.median(sizes) < MEDIAN_LINES
