"""The house's floors: every import of the package goes down a floor or stays in its room, and no
module imports itself back through others (README, "Layout")."""

import ast
from functools import cache
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[1] / "src"

# Lowest first. A room may import its own modules and any room on a lower floor, never a room on
# its floor or above: compose and training are apart (inference never trains), as are search and
# selection.
FLOORS = [
    {"atomic", "cpu_threads", "host_memory", "precision", "tracking", "conf"},
    {"resolvers", "run_records", "data"},
    {"sampling", "render"},
    {"models"},
    {"judge"},
    {"evaluation"},
    {"compose", "training"},
    {"search", "selection"},
    {"apps"},
    {"cli"},
    {"__main__"},
]
FLOOR = {room: level for level, rooms in enumerate(FLOORS) for room in rooms}


@cache
def imports() -> dict[str, set[str]]:
    """module -> the deepchorale modules it imports, anywhere in its body (also inside functions)."""
    graph = {}
    for path in (SOURCE / "deepchorale").rglob("*.py"):
        module = ".".join(path.relative_to(SOURCE).with_suffix("").parts).removesuffix(".__init__")
        names = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("deepchorale"):
                names.add(node.module)
            elif isinstance(node, ast.Import):
                names |= {alias.name for alias in node.names if alias.name.startswith("deepchorale")}
        graph[module] = names
    return graph


def room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "deepchorale"


def test_every_room_has_a_floor():
    rooms = {room(module) for module in imports()} - {"deepchorale"}
    assert rooms <= set(FLOOR), f"rooms without a floor: {sorted(rooms - set(FLOOR))}"


def test_imports_only_go_down():
    upward = [
        f"{module} -> {target}"
        for module, targets in imports().items()
        for target in targets
        if room(module) != room(target)
        and room(target) != "deepchorale"
        and FLOOR.get(room(target), 0) >= FLOOR.get(room(module), 0)
    ]
    assert not upward, "imports up or sideways: " + "; ".join(sorted(upward))


def test_no_import_cycle():
    graph = {module: {t for t in targets if t in imports()} for module, targets in imports().items()}
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph[module]):
            if state.get(target) == 1:
                pytest.fail("import cycle: " + " -> ".join([*path[path.index(target) :], target]))
            if target not in state:
                visit(target, [*path, target])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
