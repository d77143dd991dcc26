"""The shape of the code: one vocabulary, our own modules imported at the top, no import cycles.

These read the source with `ast` (nothing is imported or run), so a violation names the file and line.
"""

from __future__ import annotations

import ast
from pathlib import Path

from callerid.model import Action, VerdictCode

PACKAGE = Path(__file__).resolve().parent.parent / "callerid"

#: Where the closed vocabularies are spelled out; everything else uses the StrEnum members.
VOCABULARY_HOMES = {"model.py", "policy.py"}

#: Imports of our own modules that may stay inside a function, and why.
LAZY_OWN_IMPORTS = {
    # Importing the website imports Flask and waitress (~30 MB): only when the website is enabled.
    ("appliance/assembly.py", "callerid.web"),
    ("runtime.py", "callerid.web"),
}
#: Files another branch is rewriting at the same time (the FSK split); checked once it lands.
NOT_YET = {
    "decode/fsk.py",
    "decode/fsk_mod.py",
    "decode/encode.py",
    "benchmarks/fsk.py",
    "commands/decode_audio.py",
}


def sources() -> list[tuple[str, ast.Module]]:
    return [
        (path.relative_to(PACKAGE).as_posix(), ast.parse(path.read_text(encoding="utf-8"), str(path)))
        for path in sorted(PACKAGE.rglob("*.py"))
    ]


def test_verdict_codes_and_household_actions_are_spelled_only_in_their_home() -> None:
    words = {str(member) for member in (*VerdictCode, *Action)}
    found = []
    for name, tree in sources():
        if name in VOCABULARY_HOMES:
            continue
        exported = {  # names in __all__ (sdnotify.notify is a function, not an action)
            id(constant)
            for node in ast.walk(tree)
            if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "__all__" for t in node.targets)
            for constant in ast.walk(node.value)
        }
        found += [
            f"{name}:{node.lineno}: {node.value!r}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and node.value in words and id(node) not in exported
        ]
    assert found == [], "use the StrEnum members of callerid.model instead:\n" + "\n".join(found)


def own_imports(tree: ast.Module, *, in_functions: bool) -> list[tuple[int, str]]:
    """(line, module) of every `callerid...` import, either at module level or inside functions.

    Module level excludes `if TYPE_CHECKING:` blocks, which never run.
    """
    found: list[tuple[int, str]] = []

    def visit(node: ast.AST, in_function: bool, type_only: bool) -> None:
        for child in ast.iter_child_nodes(node):
            function = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            checking = type_only or (isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test))
            if isinstance(child, ast.Import):
                modules = [alias.name for alias in child.names]
            elif isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
                modules = [child.module]
            else:
                modules = []
            runs = in_function or not checking
            found.extend([
                (child.lineno, module)
                for module in modules
                if module.startswith("callerid") and in_function == in_functions and runs
            ])
            visit(child, function, checking)

    visit(tree, False, False)
    return found


def test_our_own_modules_are_imported_at_the_top() -> None:
    inside = [
        f"{name}:{line}: {module}"
        for name, tree in sources()
        if name not in NOT_YET
        for line, module in own_imports(tree, in_functions=True)
        if (name, module) not in LAZY_OWN_IMPORTS
    ]
    assert inside == [], "import our own modules at the top of the file:\n" + "\n".join(inside)
