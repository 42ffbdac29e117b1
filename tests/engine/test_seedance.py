"""The Seedance engine against the Ark stand-in (tests/engine/seedance_server.py)."""

from __future__ import annotations

import base64
import logging
import threading
from pathlib import Path

import pytest
from PIL import Image

from shotcraft.engine.protocol import CharacterRef, Progress, RenderRequest
from shotcraft.engine.seedance import SeedanceEngine, SeedanceSettings
from shotcraft.engine.seedance.models import SIZES_1, SIZES_2, tokens
from shotcraft.providers.ark.settings import HOSTS
from shotcraft.shots.errors import ConfigError, EngineError
from shotcraft.shots.media import probe
from tests.engine import seedance_server
from tests.engine.seedance_server import FakeArk

KEY = "ark-test-9d8c7b6a-5f4e-3d2c-1b0a-f9e8d7c6b5a4"


@pytest.fixture
def ark():
    fake = FakeArk(api_key=KEY).start()
    yield fake
    fake.stop()


@pytest.fixture(autouse=True)
def no_other_engines(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SHOTCRAFT_KLING_ACCESS_KEY", "SHOTCRAFT_COMFYUI_URL"):
        monkeypatch.delenv(name, raising=False)


def engine(fake: FakeArk, **settings) -> SeedanceEngine:
    values = {"api_key": KEY, "base_url": fake.base_url, "poll_interval": 0.01,
              "poll_max_interval": 0.02, "retry_delay": 0.01, **settings}
    return SeedanceEngine(SeedanceSettings(**values))


def request(takes: int = 1, seconds: float = 4.0, **fields) -> RenderRequest:
    base = dict(shot_id="E01-S01-001", prompt="林夏推门走进雨夜的便利店。", width=72, height=128,
                fps=30, num_frames=round(seconds * 30), aspect="9:16",
                seeds=list(range(7, 7 + takes)), take_numbers=list(range(1, takes + 1)))
    base.update(fields)
    return RenderRequest(**base)


def image(tmp_path: Path, name: str, size=(480, 854), colour="red") -> Path:
    path = tmp_path / name
    Image.new("RGB", size, colour).save(path)
    return path


def images_sent(fake: FakeArk) -> list[tuple[str, bytes]]:
    out = []
    for item in fake.created[0]["body"]["content"][1:]:
        url = item["image_url"]["url"]
        out.append((item["role"], base64.b64decode(url.split(",", 1)[1])))
    return out


def test_the_size_tables_are_the_stand_in_s(ark):
    assert SIZES_2 == seedance_server.SIZES_2 and SIZES_1 == seedance_server.SIZES_1


@pytest.mark.parametrize(("settings", "aspect", "size"), [
    ({}, "9:16", (720, 1280)),
    ({"resolution": "1080p"}, "9:16", (1080, 1920)),
    ({"resolution": "480p"}, "16:9", (864, 496)),
    ({"model": "doubao-seedance-1-0-pro-250528"}, "9:16", (704, 1248)),
    ({"model": "doubao-seedance-1-5-pro-251215", "resolution": "1080p"}, "1:1", (1440, 1440)),
])
def test_a_take_is_seedance_s_own_size_at_24_fps_in_whole_seconds(ark, tmp_path, settings, aspect,
                                                                  size):
    sd = engine(ark, **settings)
    req = request(seconds=4.4, aspect=aspect)  # drawn at 5 s: Seedance counts whole seconds
    declared = sd.delivers(req)
    assert (declared.width, declared.height, declared.fps, declared.frames) == (*size, 24, 120)
    [take] = sd.render(req, out_dir=tmp_path)
    info = probe(take.path)
    assert (info.width, info.height, info.fps, info.frames) == (*size, 24.0, 120)
    body = ark.created[0]["body"]
    assert body["duration"] == 5 and body["ratio"] == aspect and body["seed"] == 7


def test_each_take_is_one_task_with_its_own_seed_and_its_price(ark, tmp_path):
    sd = engine(ark)
    takes = sd.render(request(takes=3), out_dir=tmp_path)
    assert [t.seed for t in takes] == [7, 8, 9]
    assert sorted(t["body"]["seed"] for t in ark.created) == [7, 8, 9]
    price = tokens(720, 1280, 4) * 46 / 1e6
    assert sd.describe_cost(request()) == pytest.approx(price, rel=1e-4)
    for take in takes:
        assert take.cost_credits == pytest.approx(price, rel=1e-4)
        assert take.provider["task_id"].startswith("cgt-")
        assert take.provider["usage"]["completion_tokens"] == tokens(720, 1280, 4)
        assert take.provider["url_expires_hint"]


def test_keyframes_and_references_go_as_their_roles(ark, tmp_path):
    first, last = image(tmp_path, "a.png"), image(tmp_path, "b.png", colour="blue")
    engine(ark).render(request(first_frame=first, last_frame=last), out_dir=tmp_path / "o1")
    assert images_sent(ark) == [("first_frame", first.read_bytes()),
                                ("last_frame", last.read_bytes())]
    ark.created.clear()
    refs = [CharacterRef(name=n, references=[image(tmp_path, f"{n}{i}.png", colour=c)
                                             for i, c in enumerate(colours)])
            for n, colours in (("林夏", ["red"] * 6), ("陈默", ["green"] * 5))]
    [take] = engine(ark).render(request(characters=refs), out_dir=tmp_path / "o2")
    sent = images_sent(ark)
    assert [r for r, _ in sent] == ["reference_image"] * 9  # Seedance 2.0 takes at most 9
    assert any("only 9 reference images sent" in d and "陈默's #5" in d for d in take.downgrades)


def test_references_beside_a_keyframe_are_left_out_and_said(ark, tmp_path):
    refs = [CharacterRef(name="林夏", references=[image(tmp_path, "r.png")])]
    [take] = engine(ark).render(request(first_frame=image(tmp_path, "a.png"), characters=refs),
                                out_dir=tmp_path)
    assert [r for r, _ in images_sent(ark)] == ["first_frame"]
    assert any("character references ignored" in d for d in take.downgrades)


@pytest.mark.parametrize(("settings", "fields", "said"), [
    ({"model": "doubao-seedance-2-0-fast-260128", "resolution": "1080p"}, {},
     "doubao-seedance-2-0-fast-260128 cannot draw 1080p; set SHOTCRAFT_SEEDANCE_RESOLUTION"),
    ({"model": "doubao-seedance-1-0-pro-250528"}, {"refs": True},
     "cannot use character reference images"),
    ({"model": "doubao-seedance-1-0-lite-t2v-250428"}, {"first": True},
     "cannot start from a keyframe"),
    ({"model": "doubao-seedance-1-0-pro-250528", "audio": True}, {}, "has no native sound"),
    ({}, {"seconds": 16}, "draws at most 15 s"),
    ({}, {"aspect": "2:1"}, "Seedance cannot draw 2:1"),
])
def test_what_a_model_cannot_do_is_refused_in_one_sentence_and_nothing_is_sent(
        ark, tmp_path, settings, fields, said):
    extra: dict = {}
    if fields.pop("refs", False):
        extra["characters"] = [CharacterRef(name="林夏", references=[image(tmp_path, "r.png")])]
    if fields.pop("first", False):
        extra["first_frame"] = image(tmp_path, "a.png")
    with pytest.raises(EngineError, match=said):
        engine(ark, **settings).render(request(**fields, **extra), out_dir=tmp_path)
    assert ark.posts == []


def test_a_lost_create_is_found_in_the_task_list_not_sent_again(ark, tmp_path):
    ark.inject("drop", where="after-create")
    saved: list[dict] = []
    [take] = engine(ark).render(request(), out_dir=tmp_path,
                                checkpoint=lambda n, s: saved.append(s))
    assert take.failed is None and len(ark.posts) == 1 and len(ark.created) == 1
    assert [s["state"] for s in saved[:2]] == ["submitting", "submitted"]
    assert saved[1]["task_id"] == ark.created[0]["id"] == take.provider["task_id"]


def test_a_500_on_create_is_looked_for_before_sending_again(ark, tmp_path):
    ark.inject("500", where="create")
    [take] = engine(ark).render(request(), out_dir=tmp_path)
    assert take.failed is None and len(ark.posts) == 2 and len(ark.created) == 1


def test_an_unreadable_task_list_sends_nothing_again(ark, tmp_path):
    ark.inject("drop", where="after-create")
    ark.inject("500", where="list", times=100)
    [take] = engine(ark, retries=1).render(request(), out_dir=tmp_path)
    assert "was not sent again, so nothing is paid twice" in take.failed
    assert len(ark.posts) == 1


def test_a_moderation_refusal_is_not_retried_and_names_the_other_engines(ark, tmp_path,
                                                                         monkeypatch):
    ark.inject("moderation", where="after-create")
    [take] = engine(ark).render(request(), out_dir=tmp_path)
    assert take.failed.startswith("Seedance refused take 1 on content grounds "
                                  "(OutputVideoSensitiveContentDetected")
    named = take.failed.split("engines that could draw this shot: ")[1].rstrip(".").split(", ")
    assert "previz" in named and "seedance" not in named and "kling" not in named
    assert len(ark.posts) == 1
    monkeypatch.setenv("SHOTCRAFT_KLING_ACCESS_KEY", "ak-x")
    monkeypatch.setenv("SHOTCRAFT_KLING_SECRET_KEY", "sk-x")
    [take] = engine(ark).render(request(prompt=f"{seedance_server.SENSITIVE}的场面"),
                                out_dir=tmp_path / "b")  # input refused at create, once
    assert "InputTextSensitiveContentDetected" in take.failed
    named = take.failed.split("engines that could draw this shot: ")[1].rstrip(".").split(", ")
    assert {"kling", "previz"} <= set(named) and "seedance" not in named
    assert len(ark.posts) == 2 and len(ark.created) == 1


def test_an_overdue_account_stops_the_takes_not_yet_sent(ark, tmp_path):
    ark.inject("overdue", where="create", times=5)
    takes = engine(ark, max_tasks=1).render(request(takes=2), out_dir=tmp_path)
    assert "cannot pay for more takes (AccountOverdueError" in takes[0].failed
    assert takes[1].failed.startswith("Not sent: The Ark account cannot pay")
    assert len(ark.posts) == 1 and ark.created == []


def test_a_url_past_24_hours_is_said_not_paid_again(ark, tmp_path):
    saved: dict[int, dict] = {}
    sd = engine(ark)
    [first] = sd.render(request(), out_dir=tmp_path / "a",
                        checkpoint=lambda n, s: saved.__setitem__(n, s))
    assert first.failed is None
    ark.clock = 25 * 3600
    [again] = sd.render(request(resume=saved), out_dir=tmp_path / "b")
    assert again.path is None and "keeps a video 24 h after it is drawn" in again.failed
    assert "HTTP 403" in again.failed and len(ark.created) == 1


def test_cancel_while_queued_cancels_the_task_on_ark_and_keeps_nothing(tmp_path):
    fake = FakeArk(api_key=KEY, queue_polls=1000).start()
    try:
        cancel = threading.Event()
        saved: dict[int, dict] = {}

        def progress(event: Progress) -> None:
            if event.message == "seedance: queued":
                cancel.set()

        takes = engine(fake).render(request(), out_dir=tmp_path, progress=progress,
                                    cancel=cancel, checkpoint=lambda n, s: saved.__setitem__(n, s))
        assert takes == [] and fake.deleted == [fake.created[0]["id"]]
        assert saved[1] == {}  # nothing left to resume: the cancelled task was never paid
    finally:
        fake.stop()


def test_missing_key_refuses_before_anything_is_sent_and_keys_never_leak(ark, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    with pytest.raises(EngineError, match="set SHOTCRAFT_SEEDANCE_API_KEY"):
        engine(ark, api_key=None).render(request(), out_dir=tmp_path)
    bad = engine(ark, api_key="ark-wrong-00000000")
    with pytest.raises(EngineError, match="SHOTCRAFT_SEEDANCE_REGION") as refused:
        bad.render(request(), out_dir=tmp_path)
    assert ark.created == []
    takes = engine(ark).render(request(), out_dir=tmp_path / "ok")
    for text in (caplog.text, str(refused.value), repr(bad.settings),
                 takes[0].model_dump_json()):
        assert KEY not in text and "ark-wrong-00000000" not in text


def test_the_region_picks_the_host_and_the_model(monkeypatch):
    monkeypatch.setenv("SHOTCRAFT_SEEDANCE_REGION", "international")
    s = SeedanceSettings()
    assert s.base_url == HOSTS["international"] == "https://ark.ap-southeast.bytepluses.com/api/v3"
    assert s.model == "dreamina-seedance-2-0-260128"
    monkeypatch.setenv("SHOTCRAFT_SEEDANCE_REGION", "china")
    assert SeedanceSettings().base_url == "https://ark.cn-beijing.volces.com/api/v3"
    with pytest.raises(ConfigError, match="SHOTCRAFT_SEEDANCE_MODEL"):
        SeedanceEngine(SeedanceSettings(model="doubao-seedance-9"))


def test_a_host_of_the_other_region_does_not_know_the_model(tmp_path):
    fake = FakeArk(api_key=KEY, region="international").start()
    try:
        [take] = engine(fake).render(request(), out_dir=tmp_path)  # a china model name
        assert "InvalidEndpointOrModel.NotFound" in take.failed
    finally:
        fake.stop()
