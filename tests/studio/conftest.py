"""The CLI driven in-process, and a small imported project for CLI tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from shotcraft.studio.cli import app
from tests.projects.conftest import write_script

runner = CliRunner()


def invoke(*args: object) -> Any:
    """Run `shotcraft ARGS…` in this process; exceptions propagate (a bug fails the test)."""
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def project_dir(tmp_path: Path) -> Path:
    """A project with the sample script imported (modules may define their own)."""
    folder = tmp_path / "proj"
    assert invoke("new", folder).exit_code == 0
    assert invoke("import", folder, write_script(tmp_path)).exit_code == 0
    return folder
