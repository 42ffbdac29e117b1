"""The Kling engine against a local fake of Kling's API (tests/engine/kling_server.py)."""

from __future__ import annotations

import base64
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from PIL import Image

from shotcraft.engine.kling import (
    COST_TABLE,
    KlingEngine,
    KlingSettings,
    ModelCaps,
    camera_control_for,
    plan_task,
    trim_prompt,
)
from shotcraft.engine.protocol import CharacterRef, Progress, RenderRequest
from shotcraft.shots.errors import EngineError
from shotcraft.shots.media import probe
from shotcraft.shots.models import CameraMove, Move, TakeKind
from tests.engine.kling_server import FakeKling

ACCESS = "ak-test-7f3e9c1d5a6b4c3d2e1f0a9b8c7d6e5f"
SECRET = "sk-test-0b5a8e2f44c6d7e8f9a0b1c2d3e4f5a6"
REPO = Path(__file__).resolve().parents[2]
FAST = {
    "SHOTCRAFT_KLING_POLL_INTERVAL": "0.01",
    "SHOTCRAFT_KLING_POLL_MAX_INTERVAL": "0.02",
    "SHOTCRAFT_KLING_RETRY_DELAY": "0.01",
    "SHOTCRAFT_KLING_REQUEST_TIMEOUT": "5",
}


@pytest.fixture
def fake():
    server = FakeKling(access_key=ACCESS, secret_key=SECRET).start()
    yield server
    server.stop()


@pytest.fixture
def env(fake: FakeKling, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    values = {**FAST, "SHOTCRAFT_KLING_BASE_URL": fake.base_url,
              "SHOTCRAFT_KLING_ACCESS_KEY": ACCESS, "SHOTCRAFT_KLING_SECRET_KEY": SECRET}
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return values


def engine(**settings) -> KlingEngine:
    return KlingEngine(KlingSettings(**settings))


def request(takes: int = 2, seconds: float = 4.0, **fields) -> RenderRequest:
    base = dict(shot_id="E01-S01-001", prompt="林夏推门走进雨夜的便利店。", width=72, height=128,
                fps=24, num_frames=round(seconds * 24), aspect="9:16",
                seeds=list(range(1, takes + 1)), take_numbers=list(range(1, takes + 1)))
    base.update(fields)
    return RenderRequest(**base)


def image(tmp_path: Path, name: str, color: str = "red") -> Path:
    path = tmp_path / name
    Image.new("RGB", (64, 64), color).save(path)
    return path


def test_text_to_video_draws_one_task_per_take_and_keeps_the_videos(env, fake, tmp_path):
    seen: list[Progress] = []
    takes = engine().render(request(), out_dir=tmp_path / "out", progress=seen.append)

    assert [t.take_number for t in takes] == [1, 2]
    assert len(fake.created) == 2
    for take in takes:
        assert take.failed is None and take.path is not None
        info = probe(take.path)  # the served MP4, downloaded whole: Kling's 720p, not 72×128
        assert (info.width, info.height, info.fps, info.frames) == (720, 1280, 30, 150)
        assert take.provider["task_id"] and take.provider["video_id"]
        assert take.provider["external_task_id"].startswith(f"shotcraft-E01-S01-001-t{take.take_number}-")
        assert take.provider["url_expires_hint"]
        assert take.params["endpoint"] == "text2video"
        assert take.params["duration"] == 5  # a 4 s shot drawn at Kling's 5 s
        assert take.cost_credits == COST_TABLE["kling-v1-6/std/5"]
    body = fake.created[0]["body"]
    assert body["duration"] == "5" and body["aspect_ratio"] == "9:16"
    assert body["model_name"] == "kling-v1-6" and body["mode"] == "std"
    assert any(p.message == "kling: processing" for p in seen)
    assert seen[-1].done == 1.0


def test_first_frame_goes_to_image2video_as_plain_base64(env, fake, tmp_path):
    first = image(tmp_path, "first.png")
    [take] = engine().render(request(takes=1, first_frame=first), out_dir=tmp_path / "out")

    assert take.failed is None
    body = fake.created[0]["body"]
    assert fake.created[0]["endpoint"] == "image2video"
    assert base64.b64decode(body["image"]) == first.read_bytes()  # no data: prefix
    assert "aspect_ratio" not in body and "image_tail" not in body
    assert take.params["image_sha256"] and "image" not in take.params


def test_last_frame_wins_over_the_camera_move_and_says_so(env, fake, tmp_path):
    req = request(takes=1, first_frame=image(tmp_path, "a.png"),
                  last_frame=image(tmp_path, "b.png", "blue"),
                  camera=CameraMove(move=Move.PAN_LEFT, intensity=0.5))
    [take] = engine(mode="pro").render(req, out_dir=tmp_path / "out")

    assert take.failed is None
    body = fake.created[0]["body"]
    assert body["image_tail"] and "camera_control" not in body
    assert "camera move ignored: Kling cannot combine image_tail with camera_control" in take.downgrades
    assert take.cost_credits == COST_TABLE["kling-v1-6/pro/5"]


def sent_images(fake: FakeKling) -> list[bytes]:
    return [base64.b64decode(item["image"]) for item in fake.created[0]["body"]["image_list"]]


def test_references_go_in_the_order_of_the_characters_in_frame_each_grouped(env, fake, tmp_path):
    colours = iter(["red", "green", "blue", "yellow"])
    chars = [CharacterRef(name=n, references=[image(tmp_path, f"{n}{i}.png", next(colours))
                                              for i in range(count)])
             for n, count in (("zhou", 1), ("lin", 3))]  # the shot lists zhou first
    [take] = engine().render(request(takes=1, characters=chars), out_dir=tmp_path / "out")

    assert take.failed is None
    assert fake.created[0]["endpoint"] == "multi-image2video"
    assert sent_images(fake) == [p.read_bytes() for c in chars for p in c.references]
    assert not any("references sent" in d for d in take.downgrades)


def test_over_four_references_every_character_keeps_one_and_the_cut_is_noted(env, fake, tmp_path):
    colours = iter(["red", "green", "blue", "yellow", "white", "black"])
    chars = [CharacterRef(name=n, references=[image(tmp_path, f"{n}{i}.png", next(colours))
                                              for i in range(2)])
             for n in ("lin", "zhou", "chen")]
    [take] = engine().render(request(takes=1, characters=chars), out_dir=tmp_path / "out")

    assert take.failed is None
    lin, zhou, chen = (c.references for c in chars)
    # Kling's documented cap is 4: lin keeps two, zhou and chen one each, grouped in shot order
    assert sent_images(fake) == [p.read_bytes() for p in (lin[0], lin[1], zhou[0], chen[0])]
    assert ("only 4 of 6 references sent (Kling's multi-image2video takes at most 4): "
            "left out zhou's 2nd, chen's 2nd") in take.downgrades
    assert len(take.params["image_list_sha256"]) == 4


@pytest.mark.parametrize(
    ("move", "axis", "sign"),
    [(Move.PAN_LEFT, "tilt", -1), (Move.PAN_RIGHT, "tilt", 1), (Move.TILT_UP, "pan", 1),
     (Move.TILT_DOWN, "pan", -1), (Move.TRUCK_LEFT, "horizontal", -1),
     (Move.TRUCK_RIGHT, "horizontal", 1), (Move.ZOOM_IN, "zoom", -1), (Move.ZOOM_OUT, "zoom", 1),
     (Move.DOLLY_IN, "zoom", -1), (Move.DOLLY_OUT, "zoom", 1), (Move.ORBIT, "horizontal", 1)],
)
def test_each_camera_move_maps_to_exactly_one_axis(move, axis, sign):
    for intensity, magnitude in ((0.0, 1), (0.04, 1), (0.5, 5), (0.73, 7), (1.0, 10)):
        control = camera_control_for(CameraMove(move=move, intensity=intensity))
        assert control is not None and control["type"] == "simple"
        nonzero = {k: v for k, v in control["config"].items() if v}
        assert nonzero == {axis: sign * magnitude}


def test_static_and_handheld_send_no_camera_control():
    assert camera_control_for(CameraMove(move=Move.STATIC)) is None
    assert camera_control_for(CameraMove(move=Move.HANDHELD, intensity=1.0)) is None


def test_camera_control_reaches_a_model_that_has_it(env, fake, tmp_path):
    req = request(takes=1, camera=CameraMove(move=Move.TILT_UP, intensity=0.8))
    [take] = engine(model_name="kling-v1").render(req, out_dir=tmp_path / "out")

    assert take.failed is None  # the fake validated the one-non-zero rule too
    sent = fake.created[0]["body"]["camera_control"]
    assert sent["config"]["pan"] == 8 and take.params["camera_control"] == sent


def test_camera_move_goes_into_the_prompt_where_the_model_has_no_camera_control(env, fake, tmp_path):
    req = request(takes=1, camera=CameraMove(move=Move.PAN_RIGHT, intensity=0.2))
    [take] = engine().render(req, out_dir=tmp_path / "out")

    body = fake.created[0]["body"]
    assert "camera_control" not in body and "slow camera pan right" in body["prompt"]
    assert any("kling-v1-6 std has no camera control" in d for d in take.downgrades)


def test_refusals_say_what_to_change_and_send_nothing(env, fake, tmp_path):
    last = image(tmp_path, "last.png")
    with pytest.raises(EngineError) as err:
        engine().render(request(last_frame=last), out_dir=tmp_path / "out")
    assert str(err.value) == (
        "kling-v1-6 std cannot use a last frame; pick pro mode or drop the last keyframe."
    )
    with pytest.raises(EngineError, match="kling-v2-master std cannot use a last frame; pick another"):
        engine(model_name="kling-v2-master").check(request(last_frame=last))
    with pytest.raises(EngineError, match="cannot draw from text alone"):
        engine(model_name="kling-v2-1").check(request())
    with pytest.raises(EngineError, match="cannot draw 4:3 stills"):
        engine().check(request(kind=TakeKind.KEYFRAME, aspect="4:3"))
    with pytest.raises(EngineError, match="cannot draw 4:3"):
        engine().check(request(aspect="4:3"))
    assert fake.posts == []


def _refusal(call) -> str | None:
    try:
        call()
    except EngineError as exc:
        return str(exc)
    return None


DROPPABLE = [  # (engine settings, request fields, the downgrade said when it is dropped)
    ({}, {"last_frame": "b"}, "last keyframe ignored: kling-v1-6 std cannot use a last frame"),
    ({"model_name": "kling-v2-master"}, {"first_frame": "a", "last_frame": "b"},
     "last keyframe ignored: kling-v2-master std cannot use a last frame"),
    ({"model_name": "kling-v2-master"}, {"characters": "refs"},
     "character references ignored: kling-v2-master std has no multi-image input"),
]


@pytest.mark.parametrize(("settings", "fields", "said"), DROPPABLE)
def test_check_refuses_exactly_what_render_refuses_and_allow_downgrade_drops_it(
        env, fake, tmp_path, settings, fields, said):
    values = {"characters": [CharacterRef(name="lin", references=[image(tmp_path, "r.png")])]}
    values |= {k: image(tmp_path, f"{v}.png") for k, v in fields.items() if k != "characters"}
    strict = request(takes=1, **{k: values[k] for k in fields})

    refused = _refusal(lambda: engine(**settings).check(strict))
    assert refused is not None
    assert _refusal(lambda: engine(**settings).render(strict, out_dir=tmp_path / "a")) == refused
    assert fake.posts == []  # refused before anything was sent

    loose = strict.model_copy(update={"allow_downgrade": True})
    engine(**settings).check(loose)
    [take] = engine(**settings).render(loose, out_dir=tmp_path / "b")
    assert take.failed is None and said in take.downgrades
    body = fake.created[0]["body"]
    assert "image_tail" not in body and "image_list" not in body


def test_allow_downgrade_still_refuses_when_nothing_drawable_is_left(env, fake, tmp_path):
    # kling-v2-1 draws from an image only; its last frame needs pro, so std has nothing to start from
    req = request(takes=1, last_frame=image(tmp_path, "b.png"), allow_downgrade=True)
    message = "kling-v2-1 std cannot draw from text alone; give the shot a first keyframe."
    assert _refusal(lambda: engine(model_name="kling-v2-1").check(req)) == message
    assert _refusal(lambda: engine(model_name="kling-v2-1").render(req, out_dir=tmp_path)) == message
    assert fake.posts == []


def test_keyframes_on_a_model_without_image_input_are_dropped_only_when_allowed(env, tmp_path):
    text_only = ModelCaps(True, False, frozenset({"std"}), True)
    req = request(first_frame=image(tmp_path, "a.png"))
    with pytest.raises(EngineError, match="cannot start from a keyframe; drop the keyframes"):
        plan_task(req, KlingSettings(), text_only)
    plan = plan_task(req.model_copy(update={"allow_downgrade": True}), KlingSettings(), text_only)
    assert plan.endpoint == "text2video" and "image" not in plan.body
    assert "keyframes ignored: kling-v1-6 std cannot start from an image" in plan.downgrades


@pytest.mark.parametrize(
    ("settings", "seconds", "fields", "expected"),
    [({}, 4, {}, (720, 1280, 30, 150)),
     ({"mode": "pro"}, 4, {}, (1080, 1920, 30, 150)),
     ({}, 7, {"aspect": "16:9"}, (1280, 720, 30, 300)),
     ({"mode": "pro"}, 4, {"aspect": "1:1"}, (1080, 1080, 30, 150)),
     ({"model_name": "kling-v2-1-master"}, 4, {}, (1080, 1920, 24, 120)),
     ({"model_name": "kling-v2-5-turbo"}, 12, {}, (720, 1280, 24, 240)),
     ({"model_name": "kling-v1", "mode": "pro"}, 4, {}, (720, 1280, 30, 150))],
)
def test_delivers_kling_s_native_format_and_the_file_matches_it(
        env, fake, tmp_path, settings, seconds, fields, expected):
    req = request(takes=1, seconds=seconds, width=1080, height=1920, fps=30, **fields)
    declared = engine(**settings).delivers(req)
    assert (declared.width, declared.height, declared.fps, declared.frames) == expected
    [take] = engine(**settings).render(req, out_dir=tmp_path / "out")
    info = probe(take.path)
    assert (info.width, info.height, info.fps) == expected[:3]
    assert abs(info.frames - expected[3]) <= declared.frames_tolerance


def test_image2video_delivers_the_shape_of_its_image(env, fake, tmp_path):
    wide = tmp_path / "wide.png"
    Image.new("RGB", (400, 225), "red").save(wide)
    req = request(takes=1, first_frame=wide)  # a 9:16 project, but Kling follows the image
    declared = engine(mode="pro").delivers(req)
    assert (declared.width, declared.height) == (1920, 1080)
    [take] = engine(mode="pro").render(req, out_dir=tmp_path / "out")
    assert (probe(take.path).width, probe(take.path).height) == (1920, 1080)


def test_capabilities_follow_the_configured_model_and_mode(env):
    std, pro = engine().capabilities(), engine(mode="pro").capabilities()
    assert (std.last_frame, pro.last_frame) == (False, True)
    assert std.character_references and not std.camera_control and not std.keyframes
    assert std.max_seconds == 180 and std.needs_keys  # a longer shot is clip + extensions
    assert engine(model_name="kling-v2-master").capabilities().max_seconds is None  # check() refuses
    assert engine(model_name="kling-v1-5", mode="pro").capabilities().camera_control
    assert not engine(model_name="kling-v2-1").capabilities().text_to_video
    assert not engine().capabilities(TakeKind.KEYFRAME).text_to_video


def test_duration_rounds_up_to_what_kling_draws_and_is_recorded(env, fake, tmp_path):
    eng = engine()
    assert eng.plan(request(seconds=7)).params["duration"] == 10
    assert eng.describe_cost(request(seconds=7)) == COST_TABLE["kling-v1-6/std/10"]
    long = eng.plan(request(seconds=12))  # 10 s and one extension (test_kling_extend.py)
    assert long.body["duration"] == "10" and long.extensions == 1 and not long.downgrades
    # a last frame on kling-v1 is 5 s only, and a take ending on it cannot be extended
    tail_request = request(seconds=8, first_frame=image(tmp_path, "a.png"),
                           last_frame=image(tmp_path, "b.png"))
    with pytest.raises(EngineError, match="cannot be extended past it"):
        engine(model_name="kling-v1").plan(tail_request)
    tail = engine(model_name="kling-v1").plan(tail_request.model_copy(update={"allow_downgrade": True}))
    assert tail.params["duration"] == 5 and tail.extensions == 0
    assert "shot is 8.0 s; kling-v1 std draws at most 5 s here" in tail.downgrades


def test_cost_table_can_be_overridden_from_the_environment(env, monkeypatch):
    monkeypatch.setenv("SHOTCRAFT_KLING_COST_TABLE", json.dumps({"kling-v1-6/std/5": 1.25}))
    assert engine().describe_cost(request()) == 1.25


def test_long_prompts_are_trimmed_at_a_sentence_and_recorded(env):
    sentence = "The rain keeps falling on the neon street. "
    text = sentence * 80  # 3440 characters
    cut = trim_prompt(text)
    assert len(cut) <= 2500 and cut.endswith("street.")
    plan = engine().plan(request(prompt=text))
    assert plan.body["prompt"] == cut
    assert any(d.startswith("prompt trimmed from 3440") for d in plan.downgrades)


KILLED_RUN = r"""
import json, sys, threading
from pathlib import Path
from shotcraft.engine.kling import KlingEngine
from shotcraft.engine.protocol import RenderRequest
state = Path(sys.argv[1])
lock = threading.Lock()
def checkpoint(take, provider):
    with lock:
        saved = json.loads(state.read_text()) if state.exists() else {}
        saved[str(take)] = provider
        tmp = state.with_suffix(".tmp")
        tmp.write_text(json.dumps(saved))
        tmp.replace(state)
request = RenderRequest.model_validate_json(sys.argv[3])
KlingEngine().render(request, out_dir=Path(sys.argv[2]), checkpoint=checkpoint)
"""


def test_a_killed_render_resumes_without_paying_again(env, fake, tmp_path):
    fake.hold = True  # tasks stay "processing" until the first process is dead
    req = request(takes=3)
    state = tmp_path / "checkpoints.json"
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_RUN, str(state), str(tmp_path / "first"),
         req.model_dump_json()],
        cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO / "src")},
    )
    try:
        deadline = time.monotonic() + 20
        while not fake.created and time.monotonic() < deadline:
            time.sleep(0.01)
        assert fake.created, "the first render never submitted"
        time.sleep(0.05)  # let it start polling
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    saved = {int(k): v for k, v in json.loads(state.read_text()).items()}
    assert any(v.get("task_id") for v in saved.values())

    fake.hold = False
    takes = engine().render(req.model_copy(update={"resume": saved}), out_dir=tmp_path / "again")

    assert [t.failed for t in takes] == [None, None, None]
    for take in takes:
        assert len(fake.created_for(f"shotcraft-E01-S01-001-t{take.take_number}-")) == 1
        if take.take_number in saved:
            assert take.provider["external_task_id"] == saved[take.take_number]["external_task_id"]
    assert len(fake.created) == 3


def test_a_lost_submit_answer_is_found_by_external_id(env, fake, tmp_path):
    fake.inject("drop", where="after-create")
    saved: dict[int, list[dict]] = {}
    [take] = engine().render(request(takes=1), out_dir=tmp_path / "out",
                             checkpoint=lambda n, s: saved.setdefault(n, []).append(s))

    assert take.failed is None and len(fake.created) == 1
    assert [s["state"] for s in saved[1]] == ["submitting", "submitted"]
    assert saved[1][1]["task_id"] == take.provider["task_id"]


def test_a_500_on_submit_is_checked_before_sending_again(env, fake, tmp_path):
    fake.inject("500", where="submit")
    [take] = engine().render(request(takes=1), out_dir=tmp_path / "out")
    assert take.failed is None
    assert len(fake.posts) == 2 and len(fake.created) == 1


def test_rate_limits_and_server_errors_are_retried(env, fake, tmp_path):
    fake.inject("429", where="submit", times=2)
    fake.inject("500", where="query", times=2)
    takes = engine().render(request(), out_dir=tmp_path / "out")
    assert [t.failed for t in takes] == [None, None]
    assert len(fake.created) == 2


def test_endless_server_errors_fail_the_take_with_a_sentence(env, fake, tmp_path):
    fake.inject("500", where="query", times=1000)
    [take] = engine(retries=2).render(request(takes=1), out_dir=tmp_path / "out")
    assert take.path is None
    assert take.failed == "Kling kept failing (HTTP 500, code 5000) after 3 tries while asking about the task."


def test_a_moderation_failure_is_the_take_s_reason(env, fake, tmp_path):
    fake.inject("moderation", where="after-create")
    takes = engine(concurrency=1).render(request(), out_dir=tmp_path / "out")
    assert takes[0].failed == "Kling failed the task: Failure to pass the risk control system."
    assert takes[0].path is None and takes[1].failed is None


def test_an_empty_balance_stops_further_submits_but_not_running_takes(env, fake, tmp_path):
    fake.inject("balance", where="submit", after=1)
    takes = engine(concurrency=1).render(request(takes=3), out_dir=tmp_path / "out")

    assert takes[0].failed is None and takes[0].path is not None
    assert "top up the resource pack" in takes[1].failed
    assert takes[2].failed.startswith("Not submitted: Kling account cannot pay")
    assert len(fake.posts) == 2 and len(fake.created) == 1


def test_missing_keys_are_a_clear_error_before_anything_is_sent(env, fake, tmp_path, monkeypatch):
    monkeypatch.delenv("SHOTCRAFT_KLING_SECRET_KEY")
    with pytest.raises(EngineError, match="set SHOTCRAFT_KLING_ACCESS_KEY and SHOTCRAFT_KLING_SECRET_KEY"):
        engine().render(request(), out_dir=tmp_path / "out")
    assert fake.posts == [] and fake.auth_headers == []


def test_keys_never_appear_in_logs_takes_or_errors(env, fake, tmp_path, caplog, monkeypatch):
    caplog.set_level(logging.DEBUG)
    fake.inject("429", where="submit")
    takes = engine().render(request(), out_dir=tmp_path / "out")
    monkeypatch.setenv("SHOTCRAFT_KLING_SECRET_KEY", "sk-wrong-91c2d7aa00bb11cc22dd33ee44ff5566")
    with pytest.raises(EngineError) as err:
        engine().render(request(), out_dir=tmp_path / "out2")

    assert "SHOTCRAFT_KLING_SECRET_KEY" in str(err.value)
    tokens = [h.split()[-1] for h in fake.auth_headers]
    leaked = [ACCESS, SECRET, "sk-wrong-91c2d7aa00bb11cc22dd33ee44ff5566", *tokens]
    texts = [caplog.text, str(err.value), repr(KlingSettings()), repr(engine().settings),
             *(t.model_dump_json() for t in takes)]
    for text in texts:
        for secret in leaked:
            assert secret not in text


def test_the_token_is_cached_and_resigned_before_it_expires(env, monkeypatch):
    import jwt

    eng = engine()
    first = eng._bearer()
    assert eng._bearer() == first
    claims = jwt.decode(first, SECRET, algorithms=["HS256"])
    assert claims["iss"] == ACCESS and claims["exp"] - claims["nbf"] == 1805
    assert jwt.get_unverified_header(first) == {"alg": "HS256", "typ": "JWT"}
    later = time.time() + 1600  # under five minutes left
    monkeypatch.setattr("shotcraft.providers.kling.auth.time.time", lambda: later)
    assert eng._bearer() != first


def test_cancel_leaves_the_take_out_and_keeps_its_task_for_later(env, fake, tmp_path):
    fake.hold = True
    cancel = threading.Event()
    saved: dict[int, dict] = {}

    def checkpoint(n: int, s: dict) -> None:
        saved[n] = s

    def on_progress(p: Progress) -> None:
        if p.message == "kling: processing":
            cancel.set()

    takes = engine().render(request(takes=1), out_dir=tmp_path / "out", progress=on_progress,
                            cancel=cancel, checkpoint=checkpoint)
    assert takes == [] and saved[1]["task_id"]
    fake.hold = False
    [take] = engine().render(request(takes=1, resume=saved), out_dir=tmp_path / "out")
    assert take.failed is None and len(fake.created) == 1


# --- elements, omni-video and stills ----------------------------------------------------


def portrait_refs(tmp_path: Path, count: int) -> CharacterRef:
    paths = [image(tmp_path, f"ref{i}.png", color) for i, color in
             zip(range(count), ("red", "green", "blue", "white", "black"), strict=False)]
    return CharacterRef(name="林夏", description="25岁，白裙", references=paths,
                        reference_hashes=[f"{i:064x}" for i in range(count)])


def test_elements_are_made_from_two_to_four_references_and_one_is_not_enough(env, fake, tmp_path):
    two = portrait_refs(tmp_path, 2)
    one = CharacterRef(name="顾言", references=[two.references[0]], reference_hashes=["a" * 64])
    made = engine().ensure_elements([two, one])
    [task] = fake.elements_created
    assert made == {"林夏": str(task["element_id"])}
    body = task["body"]
    assert body["element_image_list"]["refer_images"] == [
        {"image_url": base64.b64encode(two.references[1].read_bytes()).decode()}]
    assert body["tag_list"] == [{"tag_id": "o_102"}] and body["element_description"] == "25岁，白裙"
    assert engine().element_region() == "127.0.0.1"


def test_a_failed_element_task_is_one_sentence(env, fake, tmp_path):
    fake.fail_elements = True
    with pytest.raises(EngineError, match="could not make an element of 林夏: element refused"):
        engine().ensure_elements([portrait_refs(tmp_path, 2)])


def test_a_shot_with_an_element_goes_through_omni_video(env, fake, tmp_path):
    [element] = engine().ensure_elements([portrait_refs(tmp_path, 2)]).values()
    lin = portrait_refs(tmp_path, 2).model_copy(update={"element_id": element})
    gu = CharacterRef(name="顾言", references=[image(tmp_path, "gu.png", "gray")],
                      reference_hashes=["b" * 64])
    req = request(takes=1, characters=[lin, gu], negative_prompt="blurry",
                  camera=CameraMove(move=Move.PAN_LEFT, intensity=0.5))
    kling = engine()
    assert kling.delivers(req).width == 720 and kling.delivers(req).fps == 24
    [take] = kling.render(req, out_dir=tmp_path / "out")
    assert take.failed is None and take.path is not None
    [task] = fake.created
    body = task["body"]
    assert task["endpoint"] == "omni-video" and body["model_name"] == "kling-video-o1"
    assert body["element_list"] == [{"element_id": int(element)}]
    assert len(body["image_list"]) == 1
    assert "林夏 is <<<element_1>>>; 顾言 is <<<image_1>>>." in body["prompt"]
    assert "negative_prompt" not in body and "camera_control" not in body
    assert take.params["element_ids"] == [element]
    assert any("no negative_prompt" in d for d in take.downgrades)
    # priced per second like kling-v3 (std, the request's 5 s): 0.6 × 5 units, before the draw
    assert kling.describe_cost(req) == 3.0 and take.cost_credits == 3.0


def test_an_unknown_element_is_refused_by_kling_with_its_code(env, fake, tmp_path):
    lin = portrait_refs(tmp_path, 2).model_copy(update={"element_id": "123"})
    [take] = engine().render(request(takes=1, characters=[lin]), out_dir=tmp_path / "out")
    assert "code 1201" in take.failed and "element 123 does not exist" in take.failed


def test_a_keyframe_still_comes_from_image_generation_at_the_documented_size(env, fake, tmp_path):
    from shotcraft.engine.kling.stills import STILL_SIZES

    lin = portrait_refs(tmp_path, 1).model_copy(update={"ip_adapter_scale": 0.7})
    req = request(takes=2, kind=TakeKind.KEYFRAME, characters=[lin], negative_prompt="blurry")
    kling = engine()
    assert kling.capabilities(TakeKind.KEYFRAME).keyframes
    delivery = kling.delivers(req)
    assert delivery.still and (delivery.width, delivery.height) == STILL_SIZES["9:16"] == (720, 1280)
    takes = kling.render(req, out_dir=tmp_path / "out")
    assert [t.failed for t in takes] == [None, None] and fake.created == []
    for take in takes:
        with Image.open(take.path) as img:
            assert (img.format, img.size) == ("PNG", (720, 1280))
    body = fake.images_created[0]["body"]
    assert (body["model_name"], body["image_reference"], body["image_fidelity"]) == (
        "kling-v1-5", "face", 0.7)
    assert "negative_prompt" not in body and body["n"] == 1 and body["aspect_ratio"] == "9:16"
    assert any("negative prompt left out" in d for d in takes[0].downgrades)


def test_the_fake_refuses_undocumented_image_and_element_fields_with_1201(env, fake, tmp_path):
    import httpx

    kling = engine()
    headers = {"Authorization": f"Bearer {kling._bearer()}"}
    b64 = base64.b64encode(image(tmp_path, "p.png").read_bytes()).decode()
    cases = [
        ("/v1/images/generations", {"model_name": "kling-v1-5", "prompt": "x", "image": b64},
         "image_reference is required"),
        ("/v1/images/generations", {"model_name": "kling-v1-5", "prompt": "x", "image": b64,
                                    "image_reference": "face", "negative_prompt": "y"},
         "negative_prompt is not supported"),
        ("/v1/images/generations", {"model_name": "kling-v1-5", "prompt": "x", "image": b64,
                                    "image_reference": "face", "human_fidelity": 0.5},
         "human_fidelity only applies"),
        ("/v1/general/advanced-custom-elements",
         {"element_name": "林夏", "element_description": "d", "reference_type": "image_refer",
          "element_image_list": {"frontal_image": b64, "refer_images": []}}, "1 to 3 refer_images"),
        ("/v1/general/advanced-custom-elements",
         {"element_name": "x" * 21, "element_description": "d", "reference_type": "image_refer",
          "element_image_list": {"frontal_image": b64, "refer_images": [{"image_url": b64}]}},
         "cannot exceed 20"),
    ]
    for path, body, said in cases:
        answer = httpx.post(fake.base_url + path, json=body, headers=headers).json()
        assert answer["code"] == 1201 and said in answer["message"], (path, answer)
    assert fake.elements_created == [] and fake.images_created == []
