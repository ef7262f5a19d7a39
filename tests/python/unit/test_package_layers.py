"""The loader's packages depend one way: ``sources/`` may import ``engines/`` (raw tables,
scratch connections), never the reverse. Types both need live in leaf modules
(``retail_warehouse.inputs``)."""

from __future__ import annotations

import ast
from pathlib import Path

import retail_warehouse

PACKAGE = Path(retail_warehouse.__file__).parent


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function or TYPE_CHECKING block."""
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
    return modules


def test_engines_import_nothing_of_sources() -> None:
    offenders = sorted(
        f"{path.relative_to(PACKAGE)} imports {module}"
        for path in (PACKAGE / "engines").glob("*.py")
        for module in imported_modules(path)
        if module == "retail_warehouse.sources" or module.startswith("retail_warehouse.sources.")
    )
    assert offenders == []


def test_inputs_is_a_leaf() -> None:
    modules = imported_modules(PACKAGE / "inputs.py")
    assert not [module for module in modules if module.startswith("retail_warehouse")]
