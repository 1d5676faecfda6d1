"""Every public service and query function says what it does: the services and queries are the rooms
every page, API handler, import and command goes through, so their contract is written where it is read.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PATTERNS = ["spiral/*/services.py", "spiral/*/queries.py", "spiral/*/services/*.py", "spiral/*/queries/*.py"]
MODULES = sorted({path for pattern in PATTERNS for path in ROOT.glob(pattern)})


def _public_functions(path: Path) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [
        node
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and not node.name.startswith("_")
    ]


def test_there_are_services_and_queries_to_check() -> None:
    names = {path.relative_to(ROOT).as_posix() for path in MODULES}
    assert {"spiral/projects/services.py", "spiral/projects/queries.py"} <= names
    assert sum(len(_public_functions(path)) for path in MODULES) > 100


def test_every_public_service_and_query_function_has_a_docstring() -> None:
    missing = [
        f"{path.relative_to(ROOT).as_posix()}:{node.lineno} {node.name}"
        for path in MODULES
        for node in _public_functions(path)
        if not (ast.get_docstring(node) or "").strip()
    ]
    assert missing == [], (
        "public service and query functions without a docstring (say in a line or two what it does or "
        f"returns): {missing}"
    )
