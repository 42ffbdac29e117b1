"""Import boundaries: the core never loads textual or torch, and imports go one way."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "shotcraft"
LAYERS = {"shots": 0, "storyboard": 1, "providers": 1, "engine": 2, "assembly": 2, "ranking": 2,
          "projects": 3, "studio": 4}
HEAVY = ("torch", "diffusers", "transformers", "accelerate")


def _loaded_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print(' '.join(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    return {_layer_name(name) for name in result.stdout.split()}


def _layer_name(module: str) -> str:
    """`shotcraft.engine.previz` → `engine`; `torch.nn` → `torch`."""
    parts = module.split(".")
    return parts[1] if parts[0] == "shotcraft" and len(parts) > 1 else parts[0]


@pytest.mark.parametrize("module", ["shotcraft.shots", "shotcraft.storyboard", "shotcraft.engine",
                                    "shotcraft.engine.registry", "shotcraft.engine.previz",
                                    "shotcraft.assembly", "shotcraft.assembly.episode",
                                    "shotcraft.projects", "shotcraft.projects.draw.run",
                                    "shotcraft.engine.executors", "shotcraft.engine.executors.local",
                                    "shotcraft.ranking.identity", "shotcraft.ranking.mouth",
                                    "shotcraft.projects.scoring", "shotcraft.providers.openai_compat",
                                    "shotcraft.projects.assist"])
def test_headless_packages_load_neither_textual_nor_torch(module: str) -> None:
    loaded = _loaded_after(f"import {module}")
    assert "textual" not in loaded, module
    assert not loaded & set(HEAVY), module
    assert "ray" not in loaded, module  # only the ray executor loads it, when it is asked for
    assert "dlib" not in loaded, module  # the face model loads on the first face, not on import
    assert "openai" not in loaded, module  # the llm extra loads when --assist llm runs


def test_the_cli_help_runs_without_torch_or_textual() -> None:
    loaded = _loaded_after("import shotcraft.studio.cli")
    assert not loaded & set(HEAVY)
    assert "ray" not in loaded
    assert "dlib" not in loaded
    assert "textual" not in loaded  # the studio is imported only when `board` runs
    help_text = subprocess.run([sys.executable, "-m", "shotcraft.studio.cli", "--help"], capture_output=True,
                               text=True, cwd=ROOT, check=True).stdout
    assert "render" in help_text


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(_layer_name(alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(_layer_name(node.module))
    return names


def test_dependencies_point_one_way_and_heavy_libraries_stay_in_diffusers_files() -> None:
    problems = []
    for package, layer in LAYERS.items():
        for path in (PACKAGE / package).rglob("*.py"):
            imported = _imports(path)
            for other, other_layer in LAYERS.items():
                if other != package and other in imported and other_layer >= layer:
                    problems.append(f"{path.relative_to(ROOT)} imports {other}")
            if "textual" in imported and package != "studio":
                problems.append(f"{path.relative_to(ROOT)} imports textual")
            if imported & set(HEAVY) and not (package == "engine" and path.name.startswith("diffusers")):
                problems.append(f"{path.relative_to(ROOT)} imports {sorted(imported & set(HEAVY))}")
    assert problems == []
