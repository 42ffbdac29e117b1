"""The storyboard shows what card drawing cost: credits per shot and per episode."""

from __future__ import annotations

from pathlib import Path

from shotcraft.projects import Project
from shotcraft.projects.draw import Draw
from tests.studio.conftest import invoke
from tests.studio.test_tui_spend import SHOT
from tests.studio.test_tui_spend import project_dir as project_dir  # noqa: F401 - the fixture


def test_shots_lists_credits_per_shot_and_per_episode_after_a_paid_draw(project_dir: Path) -> None:  # noqa: F811
    before = invoke("shots", project_dir)
    assert "credits" not in before.stdout.splitlines()[1]  # nothing spent: no column
    project = Project.open(project_dir)
    project.draw(Draw(shots=[SHOT], takes=2))  # kling (the fake), 2 credits a take
    project.close()
    result = invoke("shots", project_dir)
    assert result.exit_code == 0, result.output
    row = next(line for line in result.stdout.splitlines() if SHOT in line)
    assert row.rstrip().endswith("4")
    assert "episode 1: credits 4" in result.stdout
    assert "episode 2: credits 0" in result.stdout
    assert "credits 4" in result.stdout.splitlines()[-1]
