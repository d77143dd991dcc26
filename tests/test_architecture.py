"""The shape of the code: one vocabulary, our own modules imported at the top, no import cycles.

These read the source with `ast` (nothing is imported or run), so a violation names the file and line.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from callerid.model import Action, VerdictCode

PACKAGE = Path(__file__).resolve().parent.parent / "callerid"

#: Where the closed vocabularies are spelled out; everything else uses the StrEnum members.
VOCABULARY_HOMES = {"model.py", "policy.py"}

#: Imports of our own modules that may stay inside a function, and why.
LAZY_OWN_IMPORTS = {
    # Importing the website imports Flask and waitress (~30 MB): only when the website is enabled.
    ("appliance/assembly.py", "callerid.web"),
    # `callerid fleet` loads Flask only for `fleet web`.
    ("commands/fleet.py", "callerid.fleet.webpage"),
}
#: Files exempt from the checks below (none since the FSK split landed).
NOT_YET: set[str] = set()


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


def test_commands_use_no_private_attribute_of_other_objects() -> None:
    """The CLI drives the appliance through its public surface (Runtime, Appliance, Store, sinks)."""
    found = [
        f"{name}:{node.lineno}: .{node.attr}"
        for name, tree in sources()
        if name.startswith("commands/")
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and node.attr.startswith("_")
        and not (node.attr.startswith("__") and node.attr.endswith("__"))
        and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))
    ]
    found += [  # getattr(obj, "_private", ...) is the same reach, spelled as a string
        f"{name}:{node.lineno}: getattr(..., {node.args[1].value!r})"
        for name, tree in sources()
        if name.startswith("commands/")
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") in ("getattr", "hasattr", "setattr")
        and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant)
        and str(node.args[1].value).startswith("_")
    ]
    assert found == [], "use a public name instead:\n" + "\n".join(found)


def module_name(relative: str) -> str:
    parts = relative.removesuffix(".py").split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(["callerid", *parts])


def import_graph() -> dict[str, set[str]]:
    """Our module -> our modules it imports when it is imported (not in functions or TYPE_CHECKING)."""
    trees = {module_name(name): tree for name, tree in sources()}
    graph: dict[str, set[str]] = {name: set() for name in trees}

    def visit(module: str, node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                continue
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            if isinstance(child, ast.Import):
                graph[module].update(a.name for a in child.names if a.name in trees)
            elif isinstance(child, ast.ImportFrom) and child.level == 0 and child.module in trees:
                for alias in child.names:  # `from pkg import submodule` imports the submodule
                    target = f"{child.module}.{alias.name}"
                    graph[module].add(target if target in trees else child.module)
            visit(module, child)

    for module, tree in trees.items():
        visit(module, tree)
    for module in graph:
        graph[module].discard(module)
    return graph


def test_no_import_cycles_between_our_modules() -> None:
    graph = import_graph()
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def walk(module: str) -> None:
        state[module] = 1
        path.append(module)
        for target in sorted(graph[module]):
            if state.get(target) == 1:
                cycles.append([*path[path.index(target):], target])
            elif target not in state:
                walk(target)
        path.pop()
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            walk(module)
    assert cycles == [], "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_the_import_graph_sees_real_imports() -> None:
    graph = import_graph()
    loop = graph["callerid.appliance.loop"]
    assert {"callerid.appliance.plan", "callerid.modem.events", "callerid.alert"} <= loop
    assert "callerid.store" not in loop  # only under TYPE_CHECKING
    assert "callerid.web" not in graph["callerid.appliance.assembly"]  # only inside a function


def test_the_cycle_finder_finds_a_cycle(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check above must be able to fail: a made-up a -> b -> a is reported."""
    fake = {"callerid.a": {"callerid.b"}, "callerid.b": {"callerid.a"}}
    monkeypatch.setitem(globals(), "import_graph", lambda: fake)
    with pytest.raises(AssertionError, match="callerid.a -> callerid.b -> callerid.a"):
        test_no_import_cycles_between_our_modules()


#: Longest module, in lines: one concern per module keeps each one readable in a sitting.
MAX_LINES = 520
#: Over the limit, and why.
LONG_FILES: dict[str, str] = {}


def test_no_module_is_longer_than_about_500_lines() -> None:
    long = {
        name: len((PACKAGE / name).read_text(encoding="utf-8").splitlines())
        for name, _ in sources()
        if name not in LONG_FILES
    }
    assert {name: n for name, n in long.items() if n > MAX_LINES} == {}
