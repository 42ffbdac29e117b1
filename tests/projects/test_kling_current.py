"""A project on the Kling stand-in with kling-v3: takes at the shot's own length, native sound
kept or dropped by the export's mix, and the parallel-task limit across the executor's batches."""

from __future__ import annotations

import math
import re
import subprocess
from pathlib import Path

import pytest

from shotcraft.projects import Project
from shotcraft.projects.draw import Draw
from shotcraft.projects.export import export_options
from shotcraft.shots.media import ffmpeg_binary, probe
from shotcraft.shots.models import TakeStatus
from tests.engine.kling_server import FakeKling

ACCESS = "ak-test-2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f"
SECRET = "sk-test-5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b"


def _start(monkeypatch: pytest.MonkeyPatch, **fake_args) -> FakeKling:
    fake = FakeKling(access_key=ACCESS, secret_key=SECRET, **fake_args).start()
    for key, value in {"BASE_URL": fake.base_url, "ACCESS_KEY": ACCESS, "SECRET_KEY": SECRET,
                       "MODEL_NAME": "kling-v3", "POLL_INTERVAL": "0.01",
                       "POLL_MAX_INTERVAL": "0.02", "RETRY_DELAY": "0.01",
                       "REQUEST_TIMEOUT": "10"}.items():
        monkeypatch.setenv(f"SHOTCRAFT_KLING_{key}", value)
    return fake


def _loudness(path: Path) -> float:
    """Mean volume of a file's audio in dB (-inf for digital silence)."""
    run = subprocess.run([ffmpeg_binary(), "-hide_banner", "-i", str(path), "-af", "volumedetect",
                          "-f", "null", "-"], capture_output=True, text=True, check=True)
    found = re.search(r"mean_volume: (-?[\d.]+|-inf) dB", run.stderr)
    assert found, run.stderr[-500:]
    return float(found.group(1))


def test_native_sound_takes_keep_their_length_and_sound_and_the_mix_decides(
    project: Project, monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = _start(monkeypatch)
    monkeypatch.setenv("SHOTCRAFT_KLING_SOUND", "on")
    try:
        shots = project.shots(episode=1)
        summary = project.draw(Draw(episode=1, takes=1, engine="kling"))
    finally:
        fake.stop()
    assert (summary.done, summary.failed) == (len(shots), 0), summary.results
    for shot in shots:
        [view] = project.takes(shot.id)
        take = view.take
        assert take.status is TakeStatus.DONE, take.reason
        seconds = math.ceil(shot.duration_frames / project.fps - 1e-6)
        drawn = max(3, min(15, seconds))
        assert take.params["duration"] == drawn and take.params["sound"] == "on"
        assert abs(take.duration_frames - drawn * 24) <= 6
        assert take.cost_credits == pytest.approx(0.9 * drawn)
        assert probe(project.take_path(take)).has_audio
        project.pick(shot.id, take.number)
    by_shot = project.totals_by_shot(episode=1)  # the storyboard's credits column
    for shot in shots:
        [view] = project.takes(shot.id)
        assert by_shot[shot.id].credits == pytest.approx(view.take.cost_credits)
    assert project.totals(episode=1).credits == pytest.approx(
        sum(t.credits for t in by_shot.values()))

    # the sound is what is judged here, not the picture: the small preset
    kept = project.export(1, export_options(subtitles="none", preset="test-small"))
    dropped = project.export(1, export_options(subtitles="none", take_audio=False,
                                               preset="test-small"),
                             out=Path(project.root) / "exports" / "silent.mp4")
    assert _loudness(kept.output) > -40
    assert _loudness(dropped.output) < -80


def test_a_twelve_take_draw_never_runs_more_kling_tasks_than_the_limit(
    project: Project, monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = _start(monkeypatch, polls_to_finish=4, max_running=3)
    monkeypatch.setenv("SHOTCRAFT_KLING_MAX_TASKS", "3")
    shots = project.shots(episode=1)
    takes = max(1, math.ceil(12 / len(shots)))
    try:
        summary = project.draw(Draw(episode=1, takes=takes, engine="kling"))
    finally:
        fake.stop()
    assert summary.failed == 0, summary.results
    assert len(fake.created) == takes * len(shots) >= 12
    assert fake.peak_running == 3 and fake.over_limit == 0  # the limit is reached, never passed
