"""`shotcraft render` builds one typed draw request from options declared once (projects.draw)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shotcraft.projects.draw import DRAW_OPTIONS, Draw, DrawUsageError
from shotcraft.shots.errors import SpecError
from tests.studio.conftest import invoke

pytestmark = pytest.mark.usefixtures("small_previz")


@pytest.fixture
def small_previz(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOTCRAFT_PREVIZ_SCALE", "0.1")


@pytest.fixture
def paid_previz(monkeypatch: pytest.MonkeyPatch) -> None:
    """previz billed at half a credit a take, as a cloud engine bills."""
    import shotcraft.engine.previz as previz

    monkeypatch.setattr(previz.PrevizEngine, "describe_cost", lambda self, request: 0.5)


def _shot_ids(folder: Path) -> list[str]:
    board = json.loads(invoke("shots", folder, "--json").stdout)
    return [s["id"] for ep in board["episodes"] for sc in ep["scenes"] for s in sc["shots"]]


def _takes(folder: Path, shot_id: str) -> list[dict]:
    return json.loads(invoke("takes", folder, shot_id, "--json").stdout)


def test_every_declared_option_is_a_render_flag_with_its_help(project_dir: Path) -> None:
    help_text = invoke("render", "--help").stdout
    for option in DRAW_OPTIONS:
        assert option.flag in help_text, option.flag
    assert "Installed: previz, kling, diffusers, seedance, comfyui." in " ".join(
        help_text.replace("│", " ").split())


@pytest.mark.usefixtures("paid_previz")
def test_a_draw_over_its_own_budget_is_refused_before_anything_is_queued(
    project_dir: Path,
) -> None:
    shot = _shot_ids(project_dir)[0]
    planned = invoke("render", project_dir, "--shot", shot, "--takes", "3", "--budget", "2",
                     "--dry-run", "--json")
    assert planned.exit_code == 0 and json.loads(planned.stdout)["credits"] == 1.5

    refused = invoke("render", project_dir, "--shot", shot, "--takes", "5", "--budget", "2")
    assert refused.exit_code == 1
    assert refused.stderr.strip() == (
        "error: this run would spend 2.5 credits on this draw (5 takes), but its budget has 2 "
        "of 2 credits left; draw fewer takes or raise the budget.")
    assert _takes(project_dir, shot) == []  # no take number burned

    drawn = invoke("render", project_dir, "--shot", shot, "--takes", "3", "--budget", "2")
    assert drawn.exit_code == 0 and "drew 3 takes, 0 failed" in drawn.stdout


def test_a_character_sheet_can_be_planned_without_making_it(project_dir: Path) -> None:
    planned = invoke("render", project_dir, "--character", "林晚", "--takes", "2", "--dry-run",
                     "--json")
    assert planned.exit_code == 0, planned.output
    plan = json.loads(planned.stdout)
    assert (plan["kind"], plan["takes"]) == ("keyframe", 2)
    assert [s["shot_id"] for s in plan["shots"]] == ["SHEET-林晚"]
    listed = invoke("takes", project_dir, "--character", "林晚")
    assert listed.exit_code == 1 and "林晚 has no character sheet yet" in listed.stderr


def test_a_sequence_needs_an_engine_that_draws_one_and_consecutive_shots(
    project_dir: Path,
) -> None:
    first, second, *_ = _shot_ids(project_dir)
    refused = invoke("render", project_dir, "--sequence", f"{first}..{second}")
    assert refused.exit_code == 1
    assert refused.stderr.strip().startswith(
        "error: previz cannot draw several shots as one clip; pick an engine with multi-shot "
        "(set up here: ")
    opened = invoke("render", project_dir, "--sequence", f"{first}..", "--dry-run")
    assert opened.exit_code == 1 and "previz cannot draw several shots" in opened.stderr
    malformed = invoke("render", project_dir, "--sequence", first)
    assert malformed.exit_code == 1
    assert f"sequence: '{first}' is not a range of shots like E01-S01-003..006" in malformed.stderr
    usage = invoke("render", project_dir, "--sequence", f"{first}..{second}", "--takes", "2")
    assert usage.exit_code == 2
    assert usage.stderr.strip().endswith("; --takes does not apply to a sequence")
    assert all(_takes(project_dir, shot) == [] for shot in (first, second))


@pytest.mark.parametrize(("args", "usage", "why"), [
    (["--max-takes", "3"], "--until SCORE", "--max-takes needs --until"),
    (["--from-take", "2"], "--lipsync", "--from-take needs --lipsync"),
    (["--character", "林晚", "--episode", "1"], "--character NAME",
     "--episode does not apply to a character sheet"),
    (["--until", "0.8", "--keyframes"], "--until SCORE", "--until and --keyframes do not go together"),
    (["--lipsync", "--seed", "3", "--episode", "1"], "--lipsync",
     "--seed does not apply to lip-sync takes"),
])
def test_options_that_do_not_go_together_show_the_kinds_usage(
    project_dir: Path, args: list[str], usage: str, why: str,
) -> None:
    result = invoke("render", project_dir, *args)
    assert result.exit_code == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("usage: shotcraft render DIR") and usage in line
    assert line.endswith(f"; {why}")
    assert all(_takes(project_dir, shot) == [] for shot in _shot_ids(project_dir))


def test_the_request_checks_itself_once_for_every_front_end() -> None:
    with pytest.raises(SpecError, match="takes: draw between 1 and 100 takes per shot"):
        Draw(shots=["E01-S01-001"], takes=0)
    with pytest.raises(DrawUsageError) as caught:
        Draw.from_options({"shots": ["E01-S01-001"], "max_takes": 3})
    assert caught.value.kind == "until"
    draw = Draw.from_options({"shots": ["E01-S01-001"], "until": 0.0, "takes": None})
    assert (draw.what, draw.until, draw.batch, draw.cap) == ("until", 0.0, 2, 8)
    assert Draw(what="keyframes", ray_address="ray://head:10001").executor_name == "ray"
    # a sequence: a range (short or whole ids) or an open range the engine fills
    assert Draw(what="sequence", sequence="E01-S01-003..005").sequence_ids() == [
        "E01-S01-003", "E01-S01-004", "E01-S01-005"]
    assert Draw(what="sequence", sequence="E01-S01-009..E01-S01-010").sequence_ids() == [
        "E01-S01-009", "E01-S01-010"]
    assert Draw(what="sequence", sequence="E01-S01-003..").sequence_ids() is None
    with pytest.raises(DrawUsageError, match="--executor does not apply to a sequence"):
        Draw(what="sequence", sequence="E01-S01-003..005", executor="ray")
    assert Draw(workflow="wan.json").engine_settings == {"workflow": "wan.json"}
