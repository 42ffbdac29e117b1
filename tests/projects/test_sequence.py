"""Sequences as one draw (projects/sequence.py) through the CLI, on the Seedance and Kling
stand-ins: one multi-shot task, split at its real cuts into one take per shot."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shotcraft.projects import Project
from shotcraft.shots.media import probe
from shotcraft.studio.cli import app
from tests.engine.seedance_server import FakeArk
from tests.projects.kling_stand_in import kling_stand_in

REPO = Path(__file__).resolve().parents[2]
KEY = "ark-test-3f0c9b7e-1d2a-4c5b-8e6f-0a1b2c3d4e5f"
SCRIPT = """《测试短剧》

第1集 初见

1-1 日 内 咖啡馆
人物：林晚、顾言
△林晚推门走进咖啡馆。
顾言：你迟到了。
林晚（冷笑）：是你来早了。
△顾言放下咖啡杯，站了起来。
顾言：坐吧。
△林晚坐下，看着窗外。

1-2 夜 外 街道
人物：顾言
△顾言独自走在雨中。
"""
SEQUENCE = ["E01-S01-003", "E01-S01-004", "E01-S01-005", "E01-S01-006"]
SECONDS = [2, 3, 2, 4]  # whole seconds: both engines can cut there exactly
runner = CliRunner()


@pytest.fixture
def project_dir(tmp_path: Path) -> Path:
    script = tmp_path / "drama.txt"
    script.write_text(SCRIPT, encoding="utf-8")
    project = Project.create(tmp_path / "proj", title="序列")
    project.import_script(script)
    for shot_id, seconds in zip(SEQUENCE, SECONDS, strict=True):
        project.update_shot(shot_id, duration_frames=seconds * project.fps)
    project.close()
    return tmp_path / "proj"


@pytest.fixture
def ark(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeArk]:
    fake = FakeArk(api_key=KEY).start()
    for key, value in {"API_KEY": KEY, "BASE_URL": fake.base_url, "POLL_INTERVAL": "0.01",
                       "POLL_MAX_INTERVAL": "0.02", "RETRY_DELAY": "0.01"}.items():
        monkeypatch.setenv(f"SHOTCRAFT_SEEDANCE_{key}", value)
    yield fake
    fake.stop()


def invoke(*args: str) -> object:
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def takes_json(folder: Path, shot_id: str) -> list[dict]:
    result = invoke("takes", folder, shot_id, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def params_of(folder: Path, shot_id: str) -> list[dict]:
    project = Project.open(folder)
    try:
        return [view.take.params for view in project.takes(shot_id)]
    finally:
        project.close()


def assert_four_takes(folder: Path, engine: str, fps: int = 24) -> list[dict]:
    taken = []
    for shot_id, seconds in zip(SEQUENCE, SECONDS, strict=True):
        [take] = takes_json(folder, shot_id)
        assert take["status"] == "done" and take["engine"] == engine
        assert take["duration_frames"] == seconds * fps  # the shot's own length, cut out
        info = probe(take["path"])
        assert info.frames == seconds * fps and (info.width, info.height) == (720, 1280)
        [params] = params_of(folder, shot_id)
        taken.append({**take, "params": params})
    tasks = {json.dumps(t["params"]["sequence"]["task"], sort_keys=True) for t in taken}
    assert len(tasks) == 1  # all four came from the one task
    assert [t["params"]["sequence"]["index"] for t in taken] == [1, 2, 3, 4]
    return taken


def test_four_shots_on_seedance_are_one_task_and_four_takes_with_their_lengths(project_dir, ark):
    result = invoke("render", project_dir, "--sequence", "E01-S01-003..006", "--engine",
                    "seedance")
    assert result.exit_code == 0, result.output
    assert "drew 4 takes from one clip, 0 failed" in result.stdout
    assert len(ark.created) == 1
    prompt = ark.created[0]["body"]["content"][0]["text"]
    assert "Shot 1 [0.0s-2.0s]" in prompt and "Shot 4 [7.0s-11.0s]" in prompt
    taken = assert_four_takes(project_dir, "seedance")
    assert sum(t["cost_credits"] for t in taken) == pytest.approx(
        720 * 1280 * 24 * 11 // 1024 * 46 / 1e6, rel=1e-3)


def test_four_shots_on_kling_v3_are_one_multi_shot_task(project_dir, monkeypatch):
    with kling_stand_in(monkeypatch, MODEL_NAME="kling-v3") as fake:
        result = invoke("render", project_dir, "--sequence", "E01-S01-003..006", "--engine",
                        "kling")
        assert result.exit_code == 0, result.output
        [task] = fake.created
        body = task["body"]
        assert body["multi_shot"] is True and body["shot_type"] == "customize"
        assert [s["duration"] for s in body["multi_prompt"]] == ["2", "3", "2", "4"]
        assert body["duration"] == "11" and "prompt" not in body
    assert_four_takes(project_dir, "kling")


def test_a_clip_whose_cuts_do_not_match_the_plan_is_kept_whole_and_said_so(project_dir, ark):
    ark.cuts = "early"  # the model cut a second early everywhere
    result = invoke("render", project_dir, "--sequence", "E01-S01-003..006", "--engine",
                    "seedance")
    assert "do not match the plan" in result.stderr and "kept whole" in result.stderr
    [whole] = takes_json(project_dir, "E01-S01-003")
    assert whole["status"] == "done" and whole["duration_frames"] == 11 * 24  # not split
    assert params_of(project_dir, "E01-S01-003")[0]["sequence"]["kept_whole"] is True
    for shot_id in SEQUENCE[1:]:
        [take] = takes_json(project_dir, shot_id)
        assert take["status"] == "failed" and "kept whole as take 1 of E01-S01-003" in take["reason"]


def test_a_dry_run_prices_the_sequence_and_queues_nothing(project_dir, ark):
    result = invoke("render", project_dir, "--sequence", "E01-S01-003..006", "--engine",
                    "seedance", "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    assert plan["shot_ids"] == SEQUENCE and plan["cuts"] == [48, 120, 168]
    assert plan["clip_frames"] == 11 * 24 and plan["credits"] > 0
    assert ark.posts == [] and takes_json(project_dir, "E01-S01-003") == []


@pytest.mark.parametrize(("args", "said"), [
    (["--sequence", "E01-S01-003..006", "--engine", "previz"],
     "previz cannot draw several shots as one clip"),
    (["--sequence", "E01-S01-006..008", "--engine", "seedance"], "there is no shot E01-S01-008"),
    (["--sequence", "E01-S01-003", "--engine", "seedance"], "is not a range of shots"),
])
def test_what_cannot_be_a_sequence_is_one_sentence_and_nothing_is_sent(project_dir, ark, args,
                                                                       said):
    result = invoke("render", project_dir, *args)
    assert result.exit_code == 1 and said in result.stderr
    assert ark.posts == []


KILLED = r"""
import sys
from shotcraft.studio.cli import main
sys.argv = ["shotcraft", "render", sys.argv[1], "--sequence", "E01-S01-003..006", "--engine",
            "seedance"]
main()
"""


def test_a_sequence_killed_mid_poll_resumes_without_a_second_create(project_dir, ark):
    ark.hold = True  # the task stays running until the first process is dead
    proc = subprocess.Popen([sys.executable, "-c", KILLED, str(project_dir)], cwd=REPO,
                            env={**os.environ, "PYTHONPATH": str(REPO / "src") + os.pathsep
                                 + str(REPO)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not ark.created and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ark.created, "the first render never created the task"
        time.sleep(0.3)  # polling now
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    ark.hold = False
    result = invoke("render", project_dir, "--sequence", "E01-S01-003..006", "--engine",
                    "seedance")
    assert result.exit_code == 0, result.output
    assert "resumed the sequence" in result.stdout
    assert len(ark.created) == 1 and len(ark.posts) == 1  # never created, never paid, twice
    assert_four_takes(project_dir, "seedance")
