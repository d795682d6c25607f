"""Every public function of the app (``pages/`` and ``app/``) says in a docstring what it draws
or does (issue 26): a newcomer reads a page from its function list."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("pages", "app")


def app_files() -> list[Path]:
    """Every Python file under ``pages/`` and ``app/``, sub-folders included."""
    return sorted(p for folder in FOLDERS for p in (ROOT / folder).rglob("*.py"))


def functions(tree: ast.Module) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    """The module's functions and its classes' methods (not functions nested in a function,
    which no other code calls)."""
    bodies = [tree.body, *(node.body for node in tree.body if isinstance(node, ast.ClassDef))]
    return [node for body in bodies for node in body
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)]


def undocumented(path: Path, root: Path = ROOT) -> list[str]:
    """``file:line name`` of each public function or method in ``path`` without a docstring."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [f"{path.relative_to(root)}:{node.lineno} {node.name}" for node in functions(tree)
            if not node.name.startswith("_") and not ast.get_docstring(node)]


def test_the_walk_finds_a_function_without_a_docstring(tmp_path: Path) -> None:
    source = tmp_path / "page.py"
    source.write_text('def drawn() -> None:\n    """Draws."""\n\n\ndef bare() -> None:\n'
                      '    def nested() -> None:\n        pass\n\n\ndef _private() -> None:\n'
                      '    pass\n\n\nclass Box:\n    def inner(self) -> None:\n        pass\n')
    found = [line.split()[-1] for line in undocumented(source, tmp_path)]
    assert found == ["bare", "inner"]


def test_every_public_function_in_pages_and_app_has_a_docstring() -> None:
    files = app_files()
    assert any(p.parent.name == "pages" for p in files) and any(
        p.parent.name == "figures" for p in files)
    missing = [name for path in files for name in undocumented(path)]
    assert not missing, "public functions without a docstring:\n" + "\n".join(missing)
