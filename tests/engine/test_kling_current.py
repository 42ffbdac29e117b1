"""Kling, current: region hosts and per-region keys, kling-v2-6/kling-v3 rows, native sound,
any-length takes, per-second cost, and the account's parallel-task limit (fake server)."""

from __future__ import annotations

import threading

import pytest

from shotcraft.engine.kling import KlingSettings
from shotcraft.engine.kling.models import COST_TABLE, MODELS, NATIVE
from shotcraft.shots.errors import EngineError
from shotcraft.shots.media import probe
from tests.engine.kling_server import HOSTS, FakeKling
from tests.engine.kling_server import NATIVE as FAKE_NATIVE
from tests.engine.test_kling import ACCESS, FAST, SECRET, engine, request

pytest.importorskip("httpx")


@pytest.fixture
def fake():
    server = FakeKling(access_key=ACCESS, secret_key=SECRET).start()
    yield server
    server.stop()


@pytest.fixture
def env(fake: FakeKling, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in {**FAST, "SHOTCRAFT_KLING_BASE_URL": fake.base_url,
                       "SHOTCRAFT_KLING_ACCESS_KEY": ACCESS,
                       "SHOTCRAFT_KLING_SECRET_KEY": SECRET}.items():
        monkeypatch.setenv(key, value)


def test_the_region_picks_the_host_and_an_explicit_base_url_still_wins(monkeypatch):
    monkeypatch.delenv("SHOTCRAFT_KLING_BASE_URL", raising=False)
    assert KlingSettings().base_url == "https://api-singapore.klingai.com"
    assert KlingSettings(region="china").base_url == "https://api-beijing.klingai.com"
    monkeypatch.setenv("SHOTCRAFT_KLING_REGION", "china")
    assert KlingSettings().base_url == "https://" + HOSTS["china"]
    monkeypatch.setenv("SHOTCRAFT_KLING_BASE_URL", "http://proxy.local:8080")
    assert KlingSettings().base_url == "http://proxy.local:8080"


def test_a_key_from_the_other_region_is_refused_in_one_sentence(env, tmp_path):
    china = FakeKling(access_key="ak-china-0f1e2d3c", secret_key="sk-china-4b5a6978",
                      region="china").start()
    try:
        with pytest.raises(EngineError) as err:  # a global key sent to the China host
            engine(region="china", base_url=china.base_url).render(
                request(), out_dir=tmp_path / "out")
    finally:
        china.stop()
    message = str(err.value)
    assert message.startswith("The Kling key was refused by the China host "
                              "(api-beijing.klingai.com)")
    assert "code 1000" in message and "keys are per region" in message
    assert "SHOTCRAFT_KLING_REGION=global" in message
    assert message.count(". ") == 0 and SECRET not in message and ACCESS not in message
    assert china.created == []


def test_a_key_from_the_other_region_is_named_the_same_way_when_making_an_element(env, tmp_path):
    from tests.engine.test_kling import portrait_refs

    china = FakeKling(access_key="ak-china-0f1e2d3c", secret_key="sk-china-4b5a6978",
                      region="china").start()
    try:  # elements are made before any video task: the first call a wrong key meets
        with pytest.raises(EngineError) as err:
            engine(region="china", base_url=china.base_url).ensure_elements(
                [portrait_refs(tmp_path, 2)])
    finally:
        china.stop()
    message = str(err.value)
    assert message.startswith("The Kling key was refused by the China host "
                              "(api-beijing.klingai.com)")
    assert "keys are per region" in message and "SHOTCRAFT_KLING_REGION=global" in message
    assert SECRET not in message and ACCESS not in message
    assert china.elements_created == []


def test_the_current_models_have_sourced_rows_in_every_table():
    for model in ("kling-v2-6", "kling-v3"):
        assert model in MODELS and NATIVE[model] == FAKE_NATIVE[model]
    assert MODELS["kling-v3"].durations == tuple(range(3, 16))
    assert COST_TABLE["kling-v3/std/7"] == pytest.approx(4.2)
    assert COST_TABLE["kling-v3/pro/7/sound"] == pytest.approx(8.4)
    assert COST_TABLE["kling-v2-6/pro/10/sound"] == 10.0


@pytest.mark.parametrize(("seconds", "drawn"), [(6.3, 7), (2.0, 3), (15.0, 15)])
def test_kling_v3_draws_the_shot_s_own_length_rounded_up(env, fake, tmp_path, seconds, drawn):
    eng = engine(model_name="kling-v3")
    req = request(takes=1, seconds=seconds)
    delivery = eng.delivers(req)
    assert delivery.frames == drawn * 24
    assert eng.describe_cost(req) == pytest.approx(0.6 * drawn)

    [take] = eng.render(req, out_dir=tmp_path / "out")
    assert take.failed is None, take.failed
    assert fake.created[0]["body"]["duration"] == str(drawn)
    assert take.params["duration"] == drawn and not take.downgrades
    info = probe(take.path)
    assert abs(info.frames - delivery.frames) <= delivery.frames_tolerance
    assert take.cost_credits == pytest.approx(0.6 * drawn)


def test_a_shot_longer_than_fifteen_seconds_is_refused_or_drawn_at_fifteen_and_says_so(env):
    # kling-v3 cannot extend a video: past 15 s it is one sentence, or a downgrade when allowed
    with pytest.raises(EngineError, match="kling-v3 std draws at most 15 s and cannot extend"):
        engine(model_name="kling-v3").plan(request(takes=1, seconds=17.0))
    plan = engine(model_name="kling-v3").plan(request(takes=1, seconds=17.0, allow_downgrade=True))
    assert plan.body["duration"] == "15"
    assert any("at most 15 s" in d for d in plan.downgrades)


def test_native_sound_is_sent_recorded_delivered_and_priced(env, fake, tmp_path):
    eng = engine(model_name="kling-v3", mode="pro", sound="on")
    [take] = eng.render(request(takes=1, seconds=5.0), out_dir=tmp_path / "out")
    assert take.failed is None, take.failed
    assert fake.created[0]["body"]["sound"] == "on"
    assert take.params["sound"] == "on"
    assert probe(take.path).has_audio
    assert take.cost_credits == COST_TABLE["kling-v3/pro/5/sound"] == pytest.approx(6.0)

    [silent] = engine(model_name="kling-v3").render(request(takes=1, seconds=5.0),
                                                    out_dir=tmp_path / "quiet")
    assert silent.params["sound"] == "off" and not probe(silent.path).has_audio
    assert silent.cost_credits == pytest.approx(3.0)


def test_sound_on_a_model_or_mode_without_it_is_refused_or_dropped_when_allowed(env, fake, tmp_path):
    with pytest.raises(EngineError, match="kling-v1-6 std has no native sound"):
        engine(sound="on").check(request())
    with pytest.raises(EngineError, match="kling-v2-6 std has no native sound"):
        engine(model_name="kling-v2-6", sound="on").check(request())
    plan = engine(model_name="kling-v2-6", sound="on").plan(request(allow_downgrade=True))
    assert plan.body["sound"] == "off" and "native sound left out" in plan.downgrades[0]
    [take] = engine(model_name="kling-v2-6", mode="pro", sound="on").render(
        request(takes=1), out_dir=tmp_path / "out")
    assert take.failed is None and probe(take.path).has_audio
    assert take.cost_credits == 5.0
    assert "cfg_scale" not in fake.created[0]["body"]
    assert fake.posts and fake.over_limit == 0


def _slow_fake(limit: int) -> FakeKling:
    return FakeKling(access_key=ACCESS, secret_key=SECRET, polls_to_finish=4,
                     max_running=limit).start()


def test_twelve_takes_never_run_more_tasks_than_the_account_allows(env, tmp_path, monkeypatch):
    server = _slow_fake(3)
    monkeypatch.setenv("SHOTCRAFT_KLING_BASE_URL", server.base_url)
    messages: list[str] = []
    try:
        eng = engine(max_tasks=3, concurrency=12)
        takes = eng.render(request(takes=12), out_dir=tmp_path / "out",
                           progress=lambda p: messages.append(p.message))
    finally:
        server.stop()
    assert [t.failed for t in takes] == [None] * 12
    assert len(server.created) == 12 and server.peak_running <= 3 and server.over_limit == 0
    assert any("waiting for a free Kling task slot (limit 3)" in m for m in messages)


def test_the_limit_holds_across_render_calls_running_in_threads(env, tmp_path, monkeypatch):
    server = _slow_fake(3)
    monkeypatch.setenv("SHOTCRAFT_KLING_BASE_URL", server.base_url)
    results: list[list] = []

    def draw(index: int) -> None:
        req = request(takes=4, shot_id=f"E01-S01-00{index}")
        results.append(engine(max_tasks=3).render(req, out_dir=tmp_path / f"out{index}"))

    try:
        threads = [threading.Thread(target=draw, args=(i,)) for i in range(1, 4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        server.stop()
    takes = [t for batch in results for t in batch]
    assert len(takes) == 12 and all(t.failed is None for t in takes)
    assert server.peak_running <= 3 and server.over_limit == 0


def test_the_fake_enforces_the_documented_over_limit_error(env, tmp_path, monkeypatch):
    server = _slow_fake(2)
    monkeypatch.setenv("SHOTCRAFT_KLING_BASE_URL", server.base_url)
    try:  # a client that believes it may run 6 is refused with 1303 and backs off
        engine(max_tasks=6, retries=8).render(request(takes=6), out_dir=tmp_path / "out",
                                              progress=lambda p: None)
    finally:
        server.stop()
    assert server.over_limit > 0 and server.peak_running <= 2


def test_a_cancelled_wait_for_a_slot_leaves_the_take_out():
    from shotcraft.providers.kling.tasks import Cancelled, TaskSlots

    slots, cancel = TaskSlots(), threading.Event()
    slots.acquire(1, lambda *_: None, cancel)
    waited: list[tuple[int, int]] = []
    cancel.set()
    with pytest.raises(Cancelled):
        slots.acquire(1, lambda n, limit: waited.append((n, limit)), cancel)
    assert waited == [(1, 1)]
    slots.release()
    assert slots.running == 0 and slots.waiting == 0

