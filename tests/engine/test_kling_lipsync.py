"""Lip-sync takes through Kling's /v1/videos/lip-sync on the stand-in (kling_server.py): the
documented body, refusals before anything is sent, and never paying twice — a lost answer is
found in the task list, and a render killed mid-poll or mid-POST resumes with one submit."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
import wave
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from shotcraft.engine.kling.lipsync import LIPSYNC_UNITS_PER_5S
from shotcraft.engine.protocol import LipsyncSource, RenderRequest
from shotcraft.shots.errors import EngineError
from shotcraft.shots.media import probe
from shotcraft.shots.models import TakeKind
from tests.engine.test_kling import KILLED_RUN, REPO, engine, request
from tests.engine.test_kling import env as env  # noqa: F401 - the fixture, shared
from tests.engine.test_kling import fake as fake  # noqa: F401 - the fixture, shared

RATE = 48_000


def speech_wav(path: Path, seconds: float, spans: list[tuple[float, float]]) -> Path:
    """A 48 kHz mono WAV `seconds` long: a voiced 4-Hz-syllable tone in `spans`, silence elsewhere."""
    t = np.arange(round(seconds * RATE)) / RATE
    voiced = np.zeros_like(t)
    for start, end in spans:
        inside = (t >= start) & (t < end)
        voiced[inside] = (0.55 + 0.45 * np.sin(2 * np.pi * 4 * t[inside])) * 0.5
    tone = np.sin(2 * np.pi * 180 * t) + 0.4 * np.sin(2 * np.pi * 360 * t)
    samples = np.clip(voiced * tone * 20000, -32768, 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(samples.tobytes())
    return path


@pytest.fixture
def parent(env, fake, tmp_path):
    """A finished Kling video take (text2video, 5 s, std: 720×1280 at 30 fps)."""
    [take] = engine().render(request(takes=1), out_dir=tmp_path / "parent")
    assert take.failed is None, take.failed
    fake.posts.clear()
    return take


def lipsync_request(parent, tmp_path: Path, *, audio_seconds: float | None = None,
                    **source) -> RenderRequest:
    info = probe(parent.path)
    seconds = audio_seconds if audio_seconds is not None else info.frames / info.fps
    audio = speech_wav(tmp_path / "line.wav", seconds, [(0.4, 1.6), (2.4, 3.6)])
    fields = dict(parent_take=1, video=parent.path, video_engine="kling",
                  video_id=parent.provider["video_id"],
                  video_expires=parent.provider["url_expires_hint"], width=info.width,
                  height=info.height, fps=info.fps, frames=info.frames, audio=audio,
                  audio_hash=hashlib.sha256(audio.read_bytes()).hexdigest(),
                  audio_seconds=seconds, speech=[(0.4, 1.6), (2.4, 3.6)])
    fields.update(source)
    return request(takes=1, kind=TakeKind.LIPSYNC, width=info.width, height=info.height,
                   fps=round(info.fps), num_frames=info.frames,
                   lipsync=LipsyncSource(**fields))


def lipsync_posts(fake) -> list[dict]:
    return [p for p in fake.posts if p["endpoint"] == "lip-sync"]


def test_a_lip_sync_take_sends_the_documented_body_and_keeps_the_parent_s_format(
        env, fake, parent, tmp_path):
    eng = engine()
    req = lipsync_request(parent, tmp_path)
    [take] = eng.render(req, out_dir=tmp_path / "out")

    assert take.failed is None, take.failed
    [post] = lipsync_posts(fake)
    assert set(post["body"]) == {"input"}  # no external_task_id: Kling's lip-sync takes none
    given = post["body"]["input"]
    assert {k: given[k] for k in ("video_id", "mode", "audio_type")} == {
        "video_id": parent.provider["video_id"], "mode": "audio2video", "audio_type": "file"}
    import base64
    assert base64.b64decode(given["audio_file"]) == req.lipsync.audio.read_bytes()  # type: ignore[union-attr]
    # the parent video's own size, rate and length, as delivers() said
    delivery, info = eng.delivers(req), probe(take.path)
    assert (info.width, info.height, info.fps) == (720, 1280, 30) == (
        delivery.width, delivery.height, delivery.fps)
    assert abs(info.frames - delivery.frames) <= delivery.frames_tolerance
    assert info.has_audio  # Kling's result carries the speech
    assert take.params["parent_take"] == 1 and take.params["audio_sha256"] == req.lipsync.audio_hash
    assert take.provider["parent_video_id"] == parent.provider["video_id"]
    assert take.cost_credits == LIPSYNC_UNITS_PER_5S  # 5 s of audio: one 5-s unit


@pytest.mark.parametrize(("change", "says"), [
    ({"video_engine": "previz", "video_id": None}, "was drawn by previz; Kling lip-syncs only videos it drew"),
    ({"video_expires": (datetime.now(UTC) - timedelta(days=1)).isoformat()}, "Kling video expired on"),
    ({"frames": 420}, "runs 14.0 s; Kling lip-syncs videos of 2 to 10 s"),
    ({"audio_seconds": 6.5}, "longer than take 1 of E01-S01-001 (5.0 s)"),
])
def test_what_kling_cannot_lip_sync_is_refused_before_anything_is_sent(
        env, fake, parent, tmp_path, change, says):
    req = lipsync_request(parent, tmp_path)
    req = req.model_copy(update={"lipsync": req.lipsync.model_copy(update=change)})
    with pytest.raises(EngineError) as refused:
        engine().check(req)
    assert says in str(refused.value)
    assert str(refused.value).count(". ") == 0  # one sentence
    assert lipsync_posts(fake) == []


def test_the_stand_in_refuses_a_body_kling_would_refuse(env, fake, parent, tmp_path, monkeypatch):
    """Audio under Kling's 2 s, sent anyway, is a 400/1201 with the reason on the take."""
    req = lipsync_request(parent, tmp_path)
    short = speech_wav(tmp_path / "short.wav", 1.0, [(0.1, 0.9)])
    plan = engine().plan(req)
    import base64
    plan.body["input"]["audio_file"] = base64.b64encode(short.read_bytes()).decode()
    # what a careless client would send
    monkeypatch.setattr("shotcraft.engine.kling.engine.plan_lipsync", lambda request, settings: plan)
    [take] = engine().render(req, out_dir=tmp_path / "out")
    assert take.failed is not None and "audio must be 2 to 60 seconds long" in take.failed
    assert [t for t in fake.created if t["endpoint"] == "lip-sync"] == []


def test_a_lost_answer_is_found_in_the_task_list_not_paid_twice(env, fake, parent, tmp_path):
    fake.inject("drop", where="after-create")
    saved: list[dict] = []
    [take] = engine().render(lipsync_request(parent, tmp_path), out_dir=tmp_path / "out",
                             checkpoint=lambda n, s: saved.append(s))
    assert take.failed is None, take.failed
    created = [t for t in fake.created if t["endpoint"] == "lip-sync"]
    assert len(created) == 1 and len(lipsync_posts(fake)) == 1
    assert [s["state"] for s in saved] == ["submitting", "submitted"]
    assert saved[-1]["task_id"] == created[0]["task_id"] == take.provider["task_id"]


def _killed(fake, tmp_path: Path, req: RenderRequest, wait_for) -> dict[int, dict]:
    state = tmp_path / "checkpoints.json"
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_RUN, str(state), str(tmp_path / "first"),
         req.model_dump_json()],
        cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO / "src")})
    try:
        deadline = time.monotonic() + 20
        while not wait_for() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert wait_for(), "the first render never got that far"
        time.sleep(0.1)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    return {int(k): v for k, v in json.loads(state.read_text()).items()}


def test_kill_9_during_the_poll_then_resume_is_one_submit(env, fake, parent, tmp_path):
    fake.hold = True  # the task stays "processing" until the first process is dead
    req = lipsync_request(parent, tmp_path)
    saved = _killed(fake, tmp_path, req,
                    lambda: any(t["endpoint"] == "lip-sync" for t in fake.created))
    assert saved[1]["state"] == "submitted" and saved[1]["task_id"]

    fake.hold = False
    [take] = engine().render(req.model_copy(update={"resume": saved}), out_dir=tmp_path / "again")

    assert take.failed is None, take.failed
    assert len([t for t in fake.created if t["endpoint"] == "lip-sync"]) == 1
    assert len(lipsync_posts(fake)) == 1
    assert take.provider["task_id"] == saved[1]["task_id"]


def test_kill_9_while_the_post_is_in_flight_then_resume_finds_the_task(env, fake, parent,
                                                                       tmp_path):
    """The POST reached Kling (which creates the task) but the render died before the answer:
    its checkpoint says "submitting", so the resumed render looks in the list first."""
    fake.hold_posts.add("lip-sync")
    req = lipsync_request(parent, tmp_path)
    saved = _killed(fake, tmp_path, req, lambda: bool(lipsync_posts(fake)))
    assert saved[1]["state"] == "submitting" and "task_id" not in saved[1]
    fake.hold_posts.discard("lip-sync")  # Kling goes on and creates (and bills) the task
    deadline = time.monotonic() + 5
    while not any(t["endpoint"] == "lip-sync" for t in fake.created) and time.monotonic() < deadline:
        time.sleep(0.01)

    [take] = engine().render(req.model_copy(update={"resume": saved}), out_dir=tmp_path / "again")

    assert take.failed is None, take.failed
    assert len([t for t in fake.created if t["endpoint"] == "lip-sync"]) == 1
    assert len(lipsync_posts(fake)) == 1
