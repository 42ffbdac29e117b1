"""The import graph: no package holds a cycle, and no import hides in a function without a reason.

Built with grimp (what import-linter reads), TYPE_CHECKING imports included, as the
import-linter contracts count them. A cycle inside a package (`render → plan → sheets →
render`) or between the parts of one (`engine.kling ↔ engine.executors`) fails, naming it. An
import placed inside a function is how a cycle used to be hidden: only the heavy or optional
dependencies listed below may be imported there, each with its reason.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "shotcraft"

# what may be imported inside a function, and why (the only ones)
FUNCTION_LEVEL = {
    "torch": "the diffusers extra: imported when a pipeline is built, never by --help or previz",
    "diffusers": "the diffusers extra, likewise",
    "transformers": "the diffusers extra, likewise",
    "tokenizers": "the diffusers extra (transformers' tokenizers): the tiny pipelines' "
                  "tokenizer is built when they are (engine.diffusers_tiny)",
    "safetensors": "the diffusers extra: the tiny IP-Adapter's weights are saved when it is "
                   "built (engine.diffusers_tiny)",
    "dlib": "the identity extra: the face model is loaded on the first face",
    "httpx": "the kling extra: a cloud speech engine says how to install it when it is missing",
    "pyJianYingDraft": "0.18 s of import, needed only by the jianying export format",
    "alembic": "0.36 s of import, needed only when a schema is made or upgraded",
    "PIL": "0.15 s of import, kept out of every command's start: needed when a picture is read "
           "or written",
    "imageio_ffmpeg": "the fallback ffmpeg, needed only when no ffmpeg is on PATH",
    "textual_image": "the studio's terminal graphics: the terminal is asked only in `board`",
    "opentimelineio": "OpenTimelineIO and its adapters: imported when a timeline is written or "
                      "read, not when the formats are listed for the CLI's flags",
    "shotcraft.assembly.formats.otio_tree": "builds OpenTimelineIO trees, likewise",
    "shotcraft.assembly.sheet": "draws with Pillow: imported when a contact sheet is written, "
                                "not when the sheet format is listed for the CLI's flags",
    "shotcraft.studio.tui": "the Textual studio, imported when `board` runs: --help and every "
                            "other command stay free of textual",
    "openai": "the llm extra: only `import --assist llm` needs it; without it, one sentence "
              "naming the extra",
    "aiohttp": "the review extra (textual-serve's server): only `board --web` needs it",
    "textual_serve": "the review extra: only `board --web` serves the studio to a browser",
    "shotcraft.studio.web": "the studio in a browser over textual-serve (the review extra), "
                            "imported when `board --web` runs",
    "shotcraft.studio.review": "the review page over starlette, uvicorn and jinja2 (the review "
                               "extra), imported when `review` runs: every other command starts "
                               "without them",
}


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("shotcraft", exclude_type_checking_imports=False)


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected parts of more than one node (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    part = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        part.append(member)
                        if member == node:
                            break
                    if len(part) > 1:
                        found.append(sorted(part))
    return found


def _part(package: str, module: str) -> str:
    """The child of `package` that `module` is or lies in ("(init)": the package's own file)."""
    if module == package:
        return "(init)"
    return module[len(package) + 1:].split(".")[0]


def test_no_package_holds_an_import_cycle(graph: grimp.ImportGraph) -> None:
    packages = {m for m in graph.modules if graph.find_children(m)}
    by_package: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for importer in graph.modules:
        for imported in graph.find_modules_directly_imported_by(importer):
            if not imported.startswith("shotcraft"):
                continue
            for package in packages:
                inside = (importer == package or importer.startswith(package + ".")) and (
                    imported == package or imported.startswith(package + "."))
                if not inside:
                    continue
                a, b = _part(package, importer), _part(package, imported)
                if a != b:
                    by_package[package][a].add(b)
    cycles = {package: found for package, edges in sorted(by_package.items())
              if (found := _cycles(edges))}
    assert cycles == {}, "\n".join(f"{package}: {' ↔ '.join(part)}"
                                   for package, found in cycles.items() for part in found)


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"render": {"plan"}, "plan": {"sheets"}, "sheets": {"render"},
                    "queue": {"plan"}}) == [["plan", "render", "sheets"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def function_level_imports() -> list[tuple[str, int, str]]:
    """(file, line, module) of every import inside a function under src/shotcraft; for
    `from package import name`, the module is "package.name" (a name may be a submodule)."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))

        def walk(node: ast.AST, inside: bool, path: Path = path) -> None:
            for child in ast.iter_child_nodes(node):
                deeper = inside or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
                if inside and isinstance(child, ast.Import):
                    found.extend((str(path.relative_to(ROOT)), child.lineno, alias.name)
                             for alias in child.names)
                elif inside and isinstance(child, ast.ImportFrom):
                    module = child.module or ""
                    if child.level:  # relative: resolve against the file's package
                        base = path.relative_to(PACKAGE.parent).with_suffix("").parts
                        module = ".".join([*base[:len(base) - child.level], module]).strip(".")
                    found.extend((str(path.relative_to(ROOT)), child.lineno,
                                  f"{module}.{alias.name}") for alias in child.names)
                walk(child, deeper)

        walk(tree, False)
    return found


def test_only_heavy_or_optional_dependencies_are_imported_inside_functions() -> None:
    def allowed(module: str) -> bool:
        return any(module == name or module.startswith(name + ".") for name in FUNCTION_LEVEL)

    hidden = [f"{path}:{line} imports {module} inside a function"
              for path, line, module in function_level_imports() if not allowed(module)]
    assert hidden == [], "\n".join(hidden)


def test_every_listed_function_level_import_is_still_there() -> None:
    """The list says why each exception is needed: one nothing uses any more goes."""
    used = {module for _path, _line, module in function_level_imports()}
    unused = [name for name in FUNCTION_LEVEL
              if not any(m == name or m.startswith(name + ".") for m in used)]
    assert unused == [], unused
