"""The package's imports run one way, and none closes a circle (read from the source, not by importing it).

Below them all sits `eelbert_lite`: the specification (`hashing`, `words`, NumPy references every implementation is
tested against) and the runtime without TensorFlow (`test_the_runtime_sits_below...`).
Floors, lowest first: small utilities -> `layers` -> `preprocessing`
-> `models` -> `classification`, `pretraining` -> `glue`, `export` -> `distil` -> `cli` (and the package's
`__init__`, which gathers the public names). A module may import its own floor or a lower one; an import
inside a function counts like any other.
"""

import ast
import collections
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "eelbert_tf"
FLOORS = {
    "io_utils": 0, "data_paths": 0, "schedules": 0,
    "layers": 1,
    "preprocessing": 2,
    "models": 3,
    "classification": 4, "pretraining": 4,
    "glue": 5, "export": 5,
    "distil": 6,
    "cli": 7, "__main__": 7,
}
# The package's own modules imported inside functions, outside cli.py (which loads each subcommand's module when it
# runs): none. Imports inside functions stay only for heavy optional dependencies (mediapipe, tflite-micro, jax,
# torch, scikit-learn, matplotlib), which this count does not include.
LAZY_IMPORT_CEILING = 0


def _modules():
    return {".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__"): p
            for p in PACKAGE.rglob("*.py")}


def _floor(module: str) -> int:
    parts = module.split(".")
    if len(parts) == 1:
        return 8  # the package's __init__: above everything it gathers
    if parts[1] not in FLOORS:
        raise AssertionError(f"{module}: its folder {parts[1]!r} has no floor in this test; give it one.")
    return FLOORS[parts[1]]


def _imports():
    """(importer, imported, line, inside a function) for every import of the package's own modules."""
    modules = _modules()
    edges = []
    for name, path in modules.items():
        tree = ast.parse(path.read_text(), str(path))
        in_function = {id(n) for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
                       for n in ast.walk(f)}
        for node in ast.walk(tree):
            targets = []
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "eelbert_tf":
                targets = [f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in modules else node.module
                           for a in node.names]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names if a.name.split(".")[0] == "eelbert_tf"]
            edges += [(name, t, node.lineno, id(node) in in_function) for t in targets]
    return edges


def test_every_module_has_a_floor():
    for module in _modules():
        _floor(module)


def test_no_import_runs_up():
    upward = [f"{a}:{line} imports {b}" for a, b, line, _ in _imports()
              if _floor(b) > _floor(a) and b != "eelbert_tf"]
    assert not upward, "imports that run up a floor:\n" + "\n".join(upward)


def test_no_module_imports_the_package_root_from_below():
    rooted = [f"{a}:{line}" for a, b, line, _ in _imports() if b == "eelbert_tf" and a != "eelbert_tf"]
    assert not rooted, "modules importing `eelbert_tf` itself (the root gathers them, not the other way):\n" + \
        "\n".join(rooted)


def test_no_circle():
    graph = collections.defaultdict(set)
    for a, b, _, _ in _imports():
        if a != b:
            graph[a].add(b)
    # Tarjan's strongly connected components: any of more than one module is a circle.
    index, low, stack, on_stack, circles = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for v in list(graph):
        if v not in index:
            visit(v)
    assert not circles, f"import circles: {circles}"


def test_imports_inside_functions_do_not_grow():
    lazy = [(a, line) for a, _, line, inside in _imports() if inside and a != "eelbert_tf.cli"]
    assert len({x for x in lazy}) <= LAZY_IMPORT_CEILING


@pytest.mark.parametrize("floor_name", sorted(FLOORS))
def test_floor_names_exist(floor_name):
    assert (PACKAGE / floor_name).is_dir() or (PACKAGE / f"{floor_name}.py").is_file()


def test_a_long_module_says_it_is_one_job():
    long = [p.relative_to(PACKAGE.parent) for p in PACKAGE.rglob("*.py")
            if len(p.read_text().splitlines()) > 350 and "One job" not in (ast.get_docstring(ast.parse(p.read_text())) or "")]
    assert not long, f"modules over 350 lines whose docstring does not say they are one job: {long}"


LITE = PACKAGE.parent / "eelbert_lite"
HEAVY = ("eelbert_tf", "tensorflow", "tensorflow_text", "keras", "keras_hub", "tf_keras")


def test_the_runtime_sits_below_the_package_and_imports_no_tensorflow():
    """eelbert_lite is the floor under eelbert_tf (its runtime): it imports nothing of eelbert_tf, TensorFlow or
    Keras, but for two reasoned places: the entry point's hand-over of every other command (`cli.main`), and
    the fallbacks where ai-edge-litert is missing or a `text` file needs TF Text's kernels (`model_file`)."""
    allowed = {("cli.py", "eelbert_tf.cli"), ("model_file.py", "tensorflow"),
               ("model_file.py", "tensorflow.lite.python"), ("model_file.py", "tensorflow_text")}
    found = []
    for path in LITE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = [node.module] if isinstance(node, ast.ImportFrom) and node.module else \
                [a.name for a in node.names] if isinstance(node, ast.Import) else []
            found += [(path.name, n, node.lineno) for n in names if n.split(".")[0] in HEAVY]
    assert {(f, n) for f, n, _ in found} <= allowed, found
