"""The engine contract: one suite every engine passes (as diffusers' PipelineTesterMixin is for
its pipelines). Adding an engine is adding its harness (harness.py).

- capabilities are declared, and what they lack is refused in one sentence by the checks
  (`build_request`, `check()`) before anything reaches a service;
- a drawn take is what `delivers()` said (size, fps, frames), and records its seed;
- cancel stops the draw and leaves no half file;
- engines that talk to a service: a render killed with SIGKILL mid-poll is resumed from its
  checkpoint without a second task; the stand-in's inconvenient answers (wrong size, late,
  expired result, refused input, rate limit), each where the provider's documents have it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from shotcraft.engine.protocol import Capabilities, Progress, SequencePart
from shotcraft.engine.request import build_request
from shotcraft.projects.media import validate_video
from shotcraft.shots.errors import EngineError, MediaError
from shotcraft.shots.media import probe
from shotcraft.shots.models import Keyframe, Shot, ShotSize
from tests.engine.contract.harness import FAULTS, HARNESSES, Harness

pytestmark = pytest.mark.timeout(300)
REPO = Path(__file__).resolve().parents[3]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Each test runs for every harness it applies to; fault cases only where documented."""
    if "harness" not in metafunc.fixturenames:
        return
    chosen = HARNESSES
    if "remote" in metafunc.function.__name__:
        chosen = [h for h in HARNESSES if h.remote]
    if "fault" in metafunc.fixturenames:
        cases = [(h, f) for h in chosen for f in FAULTS if f in h.faults]
        metafunc.parametrize(("harness", "fault"), cases,
                             ids=[f"{h.name}-{f}" for h, f in cases], indirect=["harness"])
    else:
        metafunc.parametrize("harness", chosen, ids=[h.name for h in chosen], indirect=True)


@pytest.fixture
def harness(request: pytest.FixtureRequest, tmp_path: Path,
            monkeypatch: pytest.MonkeyPatch) -> Iterator[Harness]:
    chosen: Harness = request.param
    chosen.start(tmp_path, monkeypatch)
    try:
        yield chosen
    finally:
        chosen.stop()


def one_sentence(text: str) -> bool:
    return "\n" not in text and text.rstrip().endswith((".", "。")) and len(text) < 400


def picture(tmp_path: Path, name: str, size: tuple[int, int] = (360, 640)) -> Path:
    path = tmp_path / name
    Image.new("RGB", size, "teal").save(path)
    return path


# --- declared and honoured -----------------------------------------------------------------


def test_capabilities_are_declared(harness: Harness) -> None:
    caps = harness.engine().capabilities()
    assert isinstance(caps, Capabilities) and caps.aspects and caps.batch_size >= 1
    assert caps.max_shots >= 2 if caps.multi_shot else caps.max_shots == 1
    if harness.remote:
        assert caps.cloud  # its tasks are resumed, never sent again


def test_what_the_capabilities_lack_is_refused_in_one_sentence_before_anything_is_sent(
        harness: Harness, tmp_path: Path) -> None:
    engine = harness.engine()
    caps = engine.capabilities()
    shot = Shot(id="E01-S01-001", episode=1, scene_id="1-1", order=1, size=ShotSize.MS,
                duration_frames=96, prompt="a door opens")
    lacking = []
    if not caps.last_frame:
        (tmp_path / "last.png").write_bytes(picture(tmp_path, "l.png").read_bytes())
        lacking.append(shot.model_copy(update={"last_keyframe": Keyframe(path="last.png")}))
    if not caps.first_frame:
        (tmp_path / "first.png").write_bytes(picture(tmp_path, "f.png").read_bytes())
        lacking.append(shot.model_copy(update={"first_keyframe": Keyframe(path="first.png")}))
    for needs in lacking:
        with pytest.raises(EngineError) as refused:
            request = build_request(needs, engine=engine, kind=harness.request().kind, seeds=[1],
                                    take_numbers=[1], width=72, height=128, fps=24,
                                    aspect="9:16", project_dir=tmp_path)
            engine.check(request)
        assert one_sentence(str(refused.value)), str(refused.value)
    if not caps.multi_shot:
        parts = [SequencePart(shot_id=f"E01-S01-00{i}", prompt="x", num_frames=48)
                 for i in (1, 2)]
        with pytest.raises(EngineError) as refused:
            engine.check(harness.request(sequence=parts, num_frames=96))
        assert one_sentence(str(refused.value)), str(refused.value)
    assert harness.sent() == 0 and harness.created() == 0


def test_a_drawn_take_is_what_delivers_said_and_records_its_seed(harness: Harness,
                                                                 tmp_path: Path) -> None:
    engine = harness.engine()
    request = harness.request(seeds=[11, 12], take_numbers=[1, 2])
    declared = engine.delivers(request)
    takes = engine.render(request, out_dir=tmp_path / "out")
    assert [t.take_number for t in takes] == [1, 2]
    for take, seed in zip(takes, (11, 12), strict=True):
        assert take.failed is None and take.path is not None, take.failed
        assert take.seed == seed
        info = validate_video(take.path, width=declared.width, height=declared.height,
                              fps=float(declared.fps or request.fps), frames=declared.frames or 1,
                              tolerance=declared.frames_tolerance)
        assert info.frames >= 1
    if harness.remote:
        assert harness.created() == 2


def test_cancel_stops_the_draw_and_leaves_no_half_file(harness: Harness, tmp_path: Path) -> None:
    cancel = threading.Event()
    if harness.remote:
        harness.hold(True)  # still running when the director presses cancel

    def progress(event: Progress) -> None:
        cancel.set()

    out = tmp_path / "out"
    takes = harness.engine().render(harness.request(), out_dir=out, progress=progress,
                                    cancel=cancel)
    assert takes == [] or all(t.path is None for t in takes)
    assert not [p for p in out.rglob("*") if p.suffix in (".mp4", ".part")]


# --- engines with a service: kill -9, and the stand-in's inconvenient answers ---------------

KILLED = r"""
import importlib, json, os, sys, threading
from pathlib import Path
from shotcraft.engine.protocol import RenderRequest

def load(target):
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)

state = Path(sys.argv[1])
lock = threading.Lock()
def checkpoint(take, provider):
    with lock:
        saved = json.loads(state.read_text()) if state.exists() else {}
        saved[str(take)] = provider
        state.with_suffix(".tmp").write_text(json.dumps(saved))
        state.with_suffix(".tmp").replace(state)
settings = load(os.environ["SHOTCRAFT_TEST_SETTINGS_CLASS"])(
    **json.loads(os.environ["SHOTCRAFT_TEST_SETTINGS"]))
engine = load(os.environ["SHOTCRAFT_TEST_ENGINE"])(settings)
engine.render(RenderRequest.model_validate_json(sys.argv[3]), out_dir=Path(sys.argv[2]),
              checkpoint=checkpoint)
"""


def test_a_remote_take_killed_mid_poll_resumes_without_a_second_task(harness: Harness,
                                                                      tmp_path: Path) -> None:
    harness.hold(True)
    request = harness.request()
    state = tmp_path / "state.json"
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED, str(state), str(tmp_path / "first"),
         request.model_dump_json()], cwd=REPO,
        env={**os.environ, **harness.kill_env(), "PYTHONPATH": f"{REPO / 'src'}{os.pathsep}{REPO}"})
    try:
        deadline = time.monotonic() + 60
        while harness.sent() == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert harness.sent() == 1, "the first render never sent its task"
        time.sleep(0.3)  # it is polling now
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    saved = {int(k): v for k, v in json.loads(state.read_text()).items()}
    harness.hold(False)
    [take] = harness.engine().render(request.model_copy(update={"resume": saved}),
                                     out_dir=tmp_path / "again")
    assert take.failed is None and take.path is not None, take.failed
    assert harness.sent() == 1 and harness.created() == 1  # drawn and paid once


def test_a_remote_stand_in_s_inconvenient_answer_is_met(harness: Harness, fault: str,
                                                        tmp_path: Path) -> None:
    request = harness.request()
    if fault == "late":
        harness.hold(True)
        saved: dict[int, dict] = {}
        [take] = harness.engine(**harness.late_settings()).render(
            request, out_dir=tmp_path / "a", checkpoint=lambda n, s: saved.__setitem__(n, s))
        assert take.path is None and one_sentence(take.failed), take.failed
        assert "resume" in take.failed
        harness.hold(False)
        [take] = harness.engine().render(request.model_copy(update={"resume": saved}),
                                         out_dir=tmp_path / "b")
        assert take.failed is None and harness.sent() == 1 and harness.created() == 1
        return
    if fault == "expired":
        saved: dict[int, dict] = {}
        [first] = harness.engine().render(request, out_dir=tmp_path / "a",
                                          checkpoint=lambda n, s: saved.__setitem__(n, s))
        assert first.failed is None  # drawn and kept; now the service's copy goes away
        harness.inject("expired")
        [take] = harness.engine().render(request.model_copy(update={"resume": saved}),
                                         out_dir=tmp_path / "b")
        if harness.expired_redraws:
            assert take.failed is None and any("queued again" in d for d in take.downgrades)
        else:
            assert take.path is None and one_sentence(take.failed), take.failed
            assert harness.sent() == 1  # nothing paid again
        return
    harness.inject(fault)
    try:
        [take] = harness.engine().render(request, out_dir=tmp_path / "out")
    except EngineError as refused:  # refused by check() against the service, before sending
        assert fault == "refused" and one_sentence(str(refused)) and harness.sent() == 0
        return
    if fault == "wrong_size":
        declared = harness.engine().delivers(request)
        with pytest.raises(MediaError, match="expected"):
            validate_video(take.path, width=declared.width, height=declared.height,
                           fps=float(declared.fps or 24), frames=declared.frames or 1,
                           tolerance=declared.frames_tolerance)
        assert (probe(take.path).width, probe(take.path).height) != (declared.width,
                                                                     declared.height)
    elif fault == "refused":
        assert take.path is None and one_sentence(take.failed), take.failed
        assert harness.sent() == 1  # refused once, not sent again
    elif fault == "rate_limit":
        assert take.failed is None and harness.created() == 1 and harness.sent() == 3
