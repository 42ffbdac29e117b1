"""The wheel a user installs: one top-level package, and the data the program reads inside it."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(out), str(ROOT)],
        check=True, capture_output=True, text=True,
    )
    (built,) = out.glob("shotcraft-*.whl")
    return zipfile.ZipFile(built)


def test_the_wheel_installs_nothing_but_shotcraft_at_top_level(wheel: zipfile.ZipFile) -> None:
    tops = {name.split("/")[0] for name in wheel.namelist()}
    dist_info = {t for t in tops if t.endswith(".dist-info")}
    assert len(dist_info) == 1
    assert tops - dist_info == {"shotcraft"}


def test_the_wheel_carries_the_examples_and_the_studio_styles(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    assert "shotcraft/examples/contract-bride.txt" in names
    assert "shotcraft/examples/last-train.fountain" in names
    assert "shotcraft/studio/tui/app.tcss" in names


def test_entry_points_name_modules_inside_the_package(wheel: zipfile.ZipFile) -> None:
    entry_points = next(n for n in wheel.namelist() if n.endswith(".dist-info/entry_points.txt"))
    text = wheel.read(entry_points).decode()
    targets = [line.split("=", 1)[1].strip() for line in text.splitlines() if "=" in line]
    assert targets and all(target.startswith("shotcraft.") for target in targets)


def test_the_wheel_carries_the_schema_migrations(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    migrations = "shotcraft/projects/migrations/"
    assert {migrations + "env.py", migrations + "script.py.mako",
            migrations + "versions/0001_round1.py", migrations + "versions/0002_versioned_json.py"} <= names
