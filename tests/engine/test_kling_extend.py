"""A shot longer than one Kling task: a clip plus video-extend tasks, stitched by Kling into one
take, each step saved so a killed render pays for no step twice (fake: kling_server.py)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from shotcraft.engine.kling import COST_TABLE
from shotcraft.engine.protocol import CharacterRef, RenderRequest
from shotcraft.shots.errors import EngineError
from shotcraft.shots.media import probe
from tests.engine.test_kling import KILLED_RUN, REPO, engine, image, request
from tests.engine.test_kling import env as env  # noqa: F401 - the fixture, shared
from tests.engine.test_kling import fake as fake  # noqa: F401 - the fixture, shared

EXTEND_STD = COST_TABLE["kling-v1-6/std/5"]  # assumed: one extension costs a 5 s task


def _frames_fit(path: Path, req: RenderRequest, eng) -> int:
    """The take's frame count, checked against what the engine said it delivers."""
    delivery = eng.delivers(req)
    info = probe(path)
    assert (info.width, info.height, info.fps) == (delivery.width, delivery.height, delivery.fps)
    assert abs(info.frames - delivery.frames) <= delivery.frames_tolerance
    return info.frames


@pytest.mark.parametrize("added", [4, 5])  # Kling documents 4 to 5 s per extension
def test_a_14_s_shot_on_a_10_s_model_is_one_take_through_one_extension(env, fake, tmp_path, added):
    fake.extend_seconds = added
    eng = engine()
    req = request(takes=1, seconds=14)
    plan = eng.plan(req)
    assert (plan.body["duration"], plan.extensions, plan.downgrades) == ("10", 1, [])
    assert plan.cost == COST_TABLE["kling-v1-6/std/10"] + EXTEND_STD

    [take] = eng.render(req, out_dir=tmp_path / "out")

    assert take.failed is None and take.path is not None
    assert [t["endpoint"] for t in fake.created] == ["text2video", "video-extend"]
    clip, extension = fake.created
    assert extension["body"]["video_id"] == f"v{clip['task_id']}"
    assert set(extension["body"]) <= {"video_id", "prompt", "negative_prompt", "cfg_scale",
                                      "callback_url"}
    # Kling's extension result is the whole video: the take is it, at the clip's size and fps
    frames = _frames_fit(take.path, req, eng)
    assert frames == (10 + added) * 30 and frames >= 14 * 30
    assert take.provider["video_id"] == f"v{extension['task_id']}"
    assert take.params["extensions"] == 1 and take.params["video_duration"] == str(10 + added)
    assert take.cost_credits == COST_TABLE["kling-v1-6/std/10"] + EXTEND_STD


def test_a_20_s_shot_chains_extensions_each_from_the_one_before(env, fake, tmp_path):
    eng = engine(model_name="kling-v1", mode="pro")
    req = request(takes=1, seconds=20)
    assert eng.plan(req).extensions == 3  # 10 + 3 × 4 ≥ 20, counting each at its short end
    [take] = eng.render(req, out_dir=tmp_path / "out")

    assert take.failed is None
    extensions = fake.created_on("video-extend")
    assert [e["body"]["video_id"] for e in extensions] == [
        f"v{t['task_id']}" for t in [fake.created[0], *extensions[:2]]]
    assert _frames_fit(take.path, req, eng) == 22 * 30
    assert take.cost_credits == COST_TABLE["kling-v1/pro/10"] + 3 * COST_TABLE["kling-v1/pro/5"]


def test_a_model_that_cannot_extend_refuses_a_long_shot_in_one_sentence(env):
    with pytest.raises(EngineError) as caught:
        engine(model_name="kling-v2-master").check(request(seconds=14))
    assert str(caught.value) == ("Shot is 14.0 s but kling-v2-master std draws at most 10 s and "
                                 "cannot extend a video; shorten the shot or pass "
                                 "--allow-downgrade to draw it at that length.")
    with pytest.raises(EngineError, match="kling-v1-5 std draws at most 10 s and cannot extend"):
        engine(model_name="kling-v1-5").check(request(seconds=14))  # documented: no v1.5 extension
    plan = engine(model_name="kling-v2-master").plan(request(seconds=14, allow_downgrade=True))
    assert plan.body["duration"] == "10" and plan.extensions == 0
    assert plan.downgrades == ["shot is 14.0 s; kling-v2-master std draws at most 10 s here"]


def test_references_are_not_extended_and_three_minutes_is_the_limit(env, tmp_path):
    lin = CharacterRef(name="lin", references=[image(tmp_path, "lin.png")])
    with pytest.raises(EngineError, match="not multi-image2video"):
        engine().check(request(seconds=14, characters=[lin]))
    with pytest.raises(EngineError, match="to 180 s at most"):
        engine().check(request(seconds=181))


def test_the_fake_takes_only_documented_fields_and_known_video_ids(env, fake):
    def post(body: dict) -> httpx.Response:
        token = engine()._bearer()
        return httpx.post(f"{fake.base_url}/v1/videos/video-extend", json=body,
                          headers={"Authorization": f"Bearer {token}"})

    unknown = post({"video_id": "v123", "prompt": "more"})
    assert unknown.status_code == 400 and unknown.json()["code"] == 1201
    with_ext = post({"video_id": "v123", "external_task_id": "x"})
    assert with_ext.status_code == 400 and "external_task_id" in with_ext.json()["message"]
    assert fake.created == []


def test_kill_9_between_the_clip_and_its_extension_resumes_without_a_second_submit(
        env, fake, tmp_path):
    """The extension POST has reached Kling (and is created there) when the render is killed,
    before its answer is saved: the resumed render must find it, not send it, nor the clip."""
    fake.hold_posts.add("video-extend")
    req = request(takes=1, seconds=14)
    state = tmp_path / "checkpoints.json"
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_RUN, str(state), str(tmp_path / "first"),
         req.model_dump_json()],
        cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO / "src")},
    )
    try:
        deadline = time.monotonic() + 30
        while not fake.posted_to("video-extend") and time.monotonic() < deadline:
            time.sleep(0.01)
        assert fake.posted_to("video-extend"), "the first render never asked for the extension"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    fake.hold_posts.clear()  # the held request goes through: Kling created (and bills) it
    deadline = time.monotonic() + 5
    while not fake.created_on("video-extend") and time.monotonic() < deadline:
        time.sleep(0.01)
    saved = {int(k): v for k, v in json.loads(state.read_text()).items()}
    assert saved[1]["task_id"] and saved[1]["video_id"]  # the clip: submitted and finished
    assert [s["state"] for s in saved[1]["extends"]] == ["submitting"]  # its answer never saved

    [take] = engine().render(req.model_copy(update={"resume": saved}), out_dir=tmp_path / "again")

    assert take.failed is None
    assert len(fake.posted_to("text2video")) == len(fake.created_on("text2video")) == 1
    assert len(fake.posted_to("video-extend")) == len(fake.created_on("video-extend")) == 1
    assert take.provider["task_id"] == saved[1]["task_id"]
    assert _frames_fit(take.path, req, engine()) == 14 * 30


def test_a_saved_extension_task_id_is_polled_not_sent_again(env, fake, tmp_path):
    req = request(takes=1, seconds=14)
    saved: dict[int, dict] = {}
    cancel = threading.Event()

    def checkpoint(number: int, provider: dict) -> None:
        saved[number] = json.loads(json.dumps(provider))
        if any(step.get("task_id") for step in provider.get("extends") or []):
            cancel.set()  # the extension is submitted and saved: stop here

    eng = engine()
    assert eng.render(req, out_dir=tmp_path / "a", checkpoint=checkpoint, cancel=cancel) == []
    assert saved[1]["extends"][0]["task_id"]

    [take] = engine().render(req.model_copy(update={"resume": saved}), out_dir=tmp_path / "b")

    assert take.failed is None
    assert len(fake.posted_to("text2video")) == len(fake.posted_to("video-extend")) == 1
    assert take.provider["extends"][0]["task_id"] == saved[1]["extends"][0]["task_id"]
