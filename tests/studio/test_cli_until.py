"""`shotcraft render --until SCORE [--max-takes N]` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.projects.conftest import ceilings_unknown  # noqa: F401 - a fixture
from tests.studio.conftest import invoke

pytestmark = pytest.mark.usefixtures("small_previz")

GOOD = "E01-S01-000"  # the hook's close-up: previz scores its takes about 0.99
POOR = "E01-S02-001"  # previz scores it about 0.7


@pytest.fixture
def small_previz(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOTCRAFT_PREVIZ_SCALE", "0.1")


def _takes(folder: Path, shot_id: str) -> list[dict]:
    return json.loads(invoke("takes", folder, shot_id, "--json").stdout)


@pytest.mark.usefixtures("ceilings_unknown")
def test_json_says_which_rule_stopped_each_shot(project_dir: Path) -> None:
    result = invoke("render", project_dir, "--shot", GOOD, "--shot", POOR, "--until", "0.95",
                    "--max-takes", "2", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["until"], data["max_takes"], data["done"], data["failed"]) == (0.95, 2, 4, 0)
    good, poor = data["shots"]
    assert set(good) == {"shot_id", "takes", "drawn", "best_take", "best_score", "stopped_by",
                         "sentence"}
    assert (good["shot_id"], good["stopped_by"], good["takes"]) == (GOOD, "score", 2)
    assert good["best_score"] >= 0.95 and good["sentence"].endswith("after 2 takes")
    assert (poor["shot_id"], poor["stopped_by"], poor["takes"]) == (POOR, "max_takes", 2)
    assert poor["sentence"].startswith(f"{POOR}: stopped at the 2-take cap; best take ")
    assert len(_takes(project_dir, POOR)) == 2

    again = invoke("render", project_dir, "--shot", GOOD, "--until", "0.95")
    assert again.exit_code == 0, again.output
    assert f"{GOOD}: already good: take " in again.stdout and "drew 0 takes" in again.stdout


@pytest.mark.usefixtures("ceilings_unknown")
def test_the_dry_run_says_the_plan_is_an_upper_bound(project_dir: Path) -> None:
    result = invoke("render", project_dir, "--episode", "2", "--until", "0.9", "--max-takes", "3",
                    "--dry-run")
    assert result.exit_code == 0, result.output
    assert "plan: at most 12 takes on previz" in " ".join(result.stdout.split())  # 4 shots × 3
    data = json.loads(invoke("render", project_dir, "--episode", "2", "--until", "0.9",
                             "--dry-run", "--json").stdout)
    assert data["upper_bound"] is True and data["max_takes"] == 8 and data["takes"] == 32
    assert invoke("shots", project_dir, "--json").exit_code == 0
    assert _takes(project_dir, GOOD) == []  # nothing queued


@pytest.mark.parametrize(("args", "sentence"), [
    (["--until", "1.01"], "until: the score to draw until must be between 0 and 1, not 1.01."),
    (["--until", "-0.5"], "until: the score to draw until must be between 0 and 1, not -0.5."),
    (["--until", "0.8", "--max-takes", "0"], "max-takes: must be between 1 and 100 takes per shot, not 0."),
    (["--until", "0.8", "--max-takes", "101"], "max-takes: must be between 1 and 100 takes per shot, not 101."),
])
def test_a_bad_threshold_or_cap_is_one_sentence(project_dir: Path, args: list[str],
                                                sentence: str) -> None:
    result = invoke("render", project_dir, "--shot", GOOD, *args)
    assert result.exit_code == 1
    assert result.stderr.strip() == f"error: {sentence}"
    assert _takes(project_dir, GOOD) == []


def test_max_takes_without_until_is_a_usage_error(project_dir: Path) -> None:
    result = invoke("render", project_dir, "--shot", GOOD, "--max-takes", "3")
    assert result.exit_code == 2
    assert "--max-takes needs --until" in result.stderr
    assert _takes(project_dir, GOOD) == []
