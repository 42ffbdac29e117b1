"""kling-v3 draws a sequence as one multi-shot task (engine/kling/multishot.py)."""

from __future__ import annotations

import pytest

from shotcraft.engine.kling import KlingEngine, KlingSettings
from shotcraft.engine.kling.multishot import shot_seconds
from shotcraft.engine.protocol import RenderRequest, SequencePart
from shotcraft.shots.cuts import detect_cuts
from shotcraft.shots.errors import EngineError
from shotcraft.shots.media import probe
from tests.engine.kling_server import FakeKling
from tests.engine.test_kling import ACCESS, SECRET


@pytest.fixture
def fake():
    server = FakeKling(access_key=ACCESS, secret_key=SECRET).start()
    yield server
    server.stop()


def engine(fake: FakeKling, **settings) -> KlingEngine:
    values = {"access_key": ACCESS, "secret_key": SECRET, "base_url": fake.base_url,
              "model_name": "kling-v3", "poll_interval": 0.01, "poll_max_interval": 0.02,
              **settings}
    return KlingEngine(KlingSettings(**values))


def sequence(*frames: int, fps: int = 30) -> RenderRequest:
    parts = [SequencePart(shot_id=f"E01-S01-00{i + 1}", prompt=f"shot {i + 1}", num_frames=n)
             for i, n in enumerate(frames)]
    return RenderRequest(shot_id=parts[0].shot_id, prompt="x", width=72, height=128, fps=fps,
                         num_frames=sum(frames), aspect="9:16", seeds=[1], take_numbers=[1],
                         sequence=parts)


def test_shots_get_whole_seconds_at_least_one_each_cut_near_the_plan():
    assert shot_seconds([60, 90, 60], 30) == [2, 3, 2]
    assert shot_seconds([45, 45, 30], 30) == [2, 1, 1]  # boundaries 1.5→2, 3.0→3, 4.0→4
    assert shot_seconds([10, 10, 10], 30) == [1, 1, 1]  # never a shot of no seconds


def test_a_sequence_is_one_multi_prompt_task_cut_where_it_asked(fake, tmp_path):
    kling = engine(fake)
    assert kling.capabilities().multi_shot and kling.capabilities().max_shots == 6
    request = sequence(60, 90, 60)
    declared = kling.delivers(request)
    assert (declared.frames, declared.cuts) == (7 * 24, [48, 120])
    [take] = kling.render(request, out_dir=tmp_path)
    assert take.failed is None and take.params["sequence"] == ["E01-S01-001", "E01-S01-002",
                                                               "E01-S01-003"]
    [task] = fake.created
    assert task["body"]["multi_prompt"] == [
        {"index": 1, "prompt": "shot 1", "duration": "2"},
        {"index": 2, "prompt": "shot 2", "duration": "3"},
        {"index": 3, "prompt": "shot 3", "duration": "2"}]
    assert probe(take.path).frames == 7 * 24
    assert detect_cuts(take.path, 24) == [48, 120]


@pytest.mark.parametrize(("settings", "request_", "said"), [
    ({"model_name": "kling-v2-6"}, sequence(60, 60), "kling-v2-6 draws one shot per task"),
    ({}, sequence(*[60] * 7), "at most 6 shots"),
    ({}, sequence(300, 300), "draws at most 15 s"),
])
def test_what_multi_shot_cannot_do_is_refused_before_sending(fake, settings, request_, said):
    with pytest.raises(EngineError, match=said):
        engine(fake, **settings).check(request_)
    assert fake.posts == []
