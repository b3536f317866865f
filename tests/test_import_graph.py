"""The layers hold: no import circle in the project, engines never import upwards, sessions
never reach Qt.

Imports are read from the source (``ast``), so those inside functions and under
``TYPE_CHECKING`` count too: a circle there is still two modules that cannot be read apart.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("algorithms", "colorize_app", "deep_video_prior", "models")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _project_modules() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            modules[_module_name(path)] = path
    return modules


MODULES = _project_modules()


def _imported(name: str, path: Path) -> set[str]:
    """Project modules that module ``name`` imports anywhere in its source.

    ``from package import thing`` is an import of ``package.thing`` when that is a module,
    else of ``package`` itself.
    """
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this module's package
                base = name.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            for alias in node.names:
                child = f"{source}.{alias.name}"
                found.add(child if child in MODULES else source)
    return {module for module in found if module in MODULES and module != name}


GRAPH = {name: _imported(name, path) for name, path in MODULES.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components = []
    counter = 0
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(sorted(component))
    return components


def _reachable(start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for child in GRAPH[todo.pop()]:
            if child not in seen:
                seen.add(child)
                todo.append(child)
    return seen


def test_the_graph_is_read():
    # The reader must see real edges, or the tests below pass on nothing.
    assert "colorize_app.io.media" in GRAPH["colorize_app.commands.levin"]
    assert "algorithms.colorspace" in GRAPH["algorithms.scribble"]
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_circle():
    assert _cycles(GRAPH) == []


@pytest.mark.parametrize("engine", ["algorithms", "deep_video_prior", "models"])
def test_engines_import_no_app_module(engine):
    upward = {(name, target) for name, targets in GRAPH.items() if name.startswith(engine)
              for target in targets if target.startswith("colorize_app")}
    assert upward == set()


def _imports_of_library(name: str, library: str) -> bool:
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            if any(alias.name.split(".")[0] == library for alias in node.names):
                return True
        elif isinstance(node, ast.ImportFrom) and not node.level:
            if (node.module or "").split(".")[0] == library:
                return True
    return False


def test_sessions_and_engines_never_reach_qt():
    roots = [name for name in MODULES
             if name.startswith(("colorize_app.sessions", "algorithms", "deep_video_prior"))]
    reaching = {root: sorted(module for module in _reachable(root) | {root}
                             if _imports_of_library(module, "PyQt5"))
                for root in roots}
    assert {root: qt for root, qt in reaching.items() if qt} == {}


#: The layers, bottom up (README, "How the code is laid out"), each a set of packages. A module
#: belongs to the layer of the longest prefix naming it; every project module must have one.
LAYERS = {
    "engines": ("algorithms", "models"),
    "video engine": ("deep_video_prior",),
    "base": ("colorize_app", "colorize_app.runtime", "colorize_app.documents"),
    "files": ("colorize_app.io",),
    "jobs": ("colorize_app.jobs",),
    "sessions": ("colorize_app.sessions",),
    "batch": ("colorize_app.batch",),
    "fronts": ("colorize_app.cli", "colorize_app.commands", "colorize_app.gui"),
}
RANKS = {layer: rank for rank, layer in enumerate(LAYERS)}


def _layer(module: str) -> str:
    best, best_length = None, -1
    for layer, prefixes in LAYERS.items():
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best_length:
                best, best_length = layer, len(prefix)
    if best is None:
        raise AssertionError(f"{module} is in no layer")
    return best


def _package(module: str) -> str:
    """The package a module sits in (``colorize_app.io`` for ``colorize_app.io.media``); the
    entry point ``colorize_app.cli`` stands for itself."""
    parts = module.split(".")
    if parts[0] != "colorize_app":
        return parts[0]
    is_package = MODULES[module].name == "__init__.py"
    return ".".join(parts[:2]) if len(parts) > 2 or is_package else module


def test_every_module_is_in_a_layer():
    assert _layer("colorize_app.io.media") == "files"
    assert _layer("colorize_app.gui.cnn_window") == "fronts"
    assert _layer("colorize_app") == "base"
    assert {_layer(name) for name in MODULES} == set(LAYERS)


def test_no_flat_module_beside_the_packages():
    # colorize_app/ holds only packages and the entry point: a new module goes where its layer is.
    flat = sorted(name for name in MODULES if name.count(".") == 1
                  and MODULES[name].name != "__init__.py" and name.startswith("colorize_app"))
    assert flat == ["colorize_app.cli"]


def test_every_import_points_down_the_layers():
    upward = sorted(f"{name} ({_layer(name)}) -> {target} ({_layer(target)})"
                    for name, targets in GRAPH.items() for target in targets
                    if RANKS[_layer(target)] > RANKS[_layer(name)])
    assert upward == []


def test_no_circle_between_packages():
    # Two packages that import each other cannot be read apart, even with no module circle.
    packages: dict[str, set[str]] = {}
    for name, targets in GRAPH.items():
        packages.setdefault(_package(name), set()).update(
            _package(target) for target in targets if _package(target) != _package(name))
    assert _cycles(packages) == []


def test_no_module_hides_an_import_behind_getattr():
    # A module-level __getattr__ that imports on demand hides an edge from this graph.
    hiding = sorted(name for name, path in MODULES.items()
                    if any(isinstance(node, ast.FunctionDef) and node.name == "__getattr__"
                           for node in ast.parse(path.read_text(encoding="utf-8")).body))
    assert hiding == []


def _calls_print(path: Path) -> bool:
    """True when the module calls print() or writes to sys.stdout / sys.stderr itself."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            function = node.func
            if isinstance(function, ast.Name) and function.id == "print":
                return True
            if (isinstance(function, ast.Attribute) and function.attr == "write"
                    and isinstance(function.value, ast.Attribute)
                    and function.value.attr in ("stdout", "stderr")):
                return True
    return False


#: Modules outside the command line that may write to the terminal, and why.
PRINTING_ALLOWED = {
    # Qt cannot start: there is no window to say so in.
    "colorize_app.gui.app", "colorize_app.gui.qt_check",
    # Passes on what TensorFlow itself wrote to stderr at start-up, less its notices.
    "colorize_app.runtime.tf_startup",
}


def test_only_the_command_line_prints():
    printing = sorted(name for name, path in MODULES.items() if _calls_print(path)
                      and not name.startswith(("colorize_app.cli", "colorize_app.commands")))
    assert [name for name in printing if name not in PRINTING_ALLOWED] == []
    assert _calls_print(MODULES["colorize_app.cli"])  # the reader sees a real print


def test_only_the_windows_import_qt():
    importing = sorted(name for name in MODULES if _imports_of_library(name, "PyQt5")
                       and not name.startswith("colorize_app.gui"))
    assert importing == []


#: Calls that read or write files: builtins, and attributes of the libraries that do it.
_FILE_CALLS = {"open", "listdir", "scandir", "walk", "load", "save", "savez", "savez_compressed",
               "imread", "imwrite", "ZipFile", "read_bytes", "write_bytes", "read_text",
               "write_text", "fromfile", "tofile", "glob", "iterdir", "load_checkpoint"}


def _file_calls(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            function = node.func
            name = function.id if isinstance(function, ast.Name) else \
                function.attr if isinstance(function, ast.Attribute) else None
            if name in _FILE_CALLS:
                found.append(f"{name}() at line {node.lineno}")
    return found


#: The engines' calls named like file calls that are not the engine reading files, and why.
_ENGINE_FILE_CALLS_ALLOWED = {
    # The shots' checkpoint storage the application passes in (colorize_app/io/shot_checkpoints).
    "deep_video_prior.pipeline": ["load() at line", "save() at line"],
    # TensorFlow's Saver writes a colorization-tf checkpoint where the caller says (the tests
    # make their checkpoint fixtures with it); no user file is read.
    "algorithms.cnn.network": ["save() at line"],
}


def test_engines_read_and_write_no_files():
    # Every file is the application's (colorize_app/io); engines take and give arrays.
    reading = {name: _file_calls(path) for name, path in MODULES.items()
               if _layer(name) in ("engines", "video engine")}
    unexplained = {name: [call for call in calls if not any(
                       call.startswith(allowed) for allowed in
                       _ENGINE_FILE_CALLS_ALLOWED.get(name, []))]
                   for name, calls in reading.items()}
    assert {name: calls for name, calls in unexplained.items() if calls} == {}
    assert _file_calls(MODULES["colorize_app.io.model_files"])  # the reader sees real calls
