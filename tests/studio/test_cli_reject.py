"""`shotcraft reject` with a reason, as a director types it, and the reason in `takes`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shotcraft.projects import Project
from shotcraft.projects.draw import Draw
from tests.studio.conftest import invoke

SHOT = "E01-S01-001"


@pytest.fixture
def drawn(project_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The sample project with two done takes of its first shot."""
    monkeypatch.setenv("SHOTCRAFT_PREVIZ_SCALE", "0.1")
    project = Project.open(project_dir)
    project.draw(Draw(shots=[SHOT], takes=2))
    project.close()
    return project_dir


def takes_json(folder: Path) -> dict[int, dict]:
    result = invoke("takes", folder, SHOT, "--json")
    assert result.exit_code == 0, result.output
    return {t["take"]: t for t in json.loads(result.stdout)}


def test_reject_with_a_reason_is_said_stored_and_listed(drawn: Path) -> None:
    result = invoke("reject", drawn, SHOT, 2, "--reason", "face")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"Rejected take 2 of {SHOT} (face)."
    takes = takes_json(drawn)
    assert (takes[2]["rejected"], takes[2]["reject_reason"]) == (True, "face")
    assert (takes[1]["rejected"], takes[1]["reject_reason"]) == (False, None)
    table = invoke("takes", drawn, SHOT).stdout
    assert "rejected: face" in table


def test_rejecting_again_corrects_the_reason(drawn: Path) -> None:
    assert invoke("reject", drawn, SHOT, 1, "--reason", "face").exit_code == 0
    result = invoke("reject", drawn, SHOT, 1, "--reason", "hands")
    assert result.exit_code == 0 and result.stdout.strip() == f"Rejected take 1 of {SHOT} (hands)."
    assert takes_json(drawn)[1]["reject_reason"] == "hands"


def test_reject_without_a_reason_and_undo(drawn: Path) -> None:
    result = invoke("reject", drawn, SHOT, 1)
    assert result.exit_code == 0 and result.stdout.strip() == f"Rejected take 1 of {SHOT}."
    assert (takes_json(drawn)[1]["rejected"], takes_json(drawn)[1]["reject_reason"]) == (True, None)
    result = invoke("reject", drawn, SHOT, 1, "--undo")
    assert result.exit_code == 0, result.output
    take = takes_json(drawn)[1]
    assert (take["rejected"], take["rank"] is not None) == (False, True)


def test_an_unknown_reason_is_one_sentence_and_exit_1_with_nothing_changed(drawn: Path) -> None:
    result = invoke("reject", drawn, SHOT, 1, "--reason", "lighting")
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        "error: reason: 'lighting' is not a reject reason; use one of face, hands, body, motion, "
        "continuity, artefact, other."]
    assert takes_json(drawn)[1]["rejected"] is False


def test_a_take_that_does_not_exist_is_one_sentence(drawn: Path) -> None:
    result = invoke("reject", drawn, SHOT, 9, "--reason", "face")
    assert result.exit_code == 1
    assert result.stderr.strip() == f"error: shot {SHOT} has no take 9."
