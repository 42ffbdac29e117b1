"""One harness per engine: how to make it, a request it can draw, and (for engines that talk to a
service) its stand-in and the stand-in's inconvenient answers.

A harness lists the faults its provider's documents describe (`faults`); the contract suite
generates those cases for it and no others, so nothing is skipped: an engine without a remote
service has no task to resume and no URL to expire.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from shotcraft.engine.protocol import Engine, RenderRequest

FAULTS = ("wrong_size", "late", "expired", "refused", "rate_limit")
ARK_KEY = "ark-test-3f0c9b7e-1d2a-4c5b-8e6f-0a1b2c3d4e5f"
KLING_ACCESS = "ak-test-2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f"
KLING_SECRET = "sk-test-5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b"
FAST = {"poll_interval": 0.01, "poll_max_interval": 0.02, "retry_delay": 0.01}


def base_request(**fields: Any) -> RenderRequest:
    values: dict[str, Any] = {"shot_id": "E01-S01-001", "prompt": "林夏推门走进雨夜的便利店。",
                              "width": 72, "height": 128, "fps": 24, "num_frames": 96,
                              "aspect": "9:16", "seeds": [11], "take_numbers": [1]}
    values.update(fields)
    return RenderRequest(**values)


class Harness:
    name = ""
    remote = False  # a service holds the task: it is resumed, never sent twice
    # when its result is gone (an expired URL, a restarted server): False, the take fails with
    # a sentence and nothing is sent again (paid services); True, it is drawn again and says so
    expired_redraws = False
    faults: frozenset[str] = frozenset()
    target = ""  # "module:Class" of the engine, and of its settings (for a killed subprocess)
    settings_target = ""

    def start(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.tmp = tmp_path

    def stop(self) -> None:
        return None

    def settings(self, **overrides: Any) -> dict[str, Any]:
        return dict(overrides)

    def engine(self, **overrides: Any) -> Engine:
        raise NotImplementedError

    def request(self, **fields: Any) -> RenderRequest:
        return base_request(**fields)

    # --- the stand-in --------------------------------------------------------------------

    def created(self) -> int:
        """Tasks the service made (paid for, or GPU time spent)."""
        return 0

    def sent(self) -> int:
        """Requests to make a task that reached the service, made or not."""
        return 0

    def inject(self, fault: str) -> None:
        raise NotImplementedError(fault)

    def hold(self, on: bool) -> None:
        raise NotImplementedError

    def late_settings(self) -> dict[str, Any]:
        return {}

    def kill_env(self) -> dict[str, str]:
        """Environment for a subprocess drawing with `settings()` (JSON in SHOTCRAFT_TEST_*)."""
        return {"SHOTCRAFT_TEST_ENGINE": self.target,
                "SHOTCRAFT_TEST_SETTINGS_CLASS": self.settings_target,
                "SHOTCRAFT_TEST_SETTINGS": json.dumps(self.settings())}


class PrevizHarness(Harness):
    name = "previz"

    def engine(self, **overrides: Any) -> Engine:
        from shotcraft.engine.previz import PrevizEngine

        return PrevizEngine()


class DiffusersHarness(Harness):
    """The diffusers engine on a tiny random LTX pipeline (shotcraft.engine.diffusers_tiny)."""

    name = "diffusers"
    _folder: Path | None = None

    def start(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        super().start(tmp_path, monkeypatch)
        if DiffusersHarness._folder is None:
            from shotcraft.engine import diffusers_tiny

            DiffusersHarness._folder = diffusers_tiny.build_ltx(
                Path(tmp_path.parent) / "contract-tiny-ltx")

    def engine(self, **overrides: Any) -> Engine:
        from shotcraft.engine.registry import get_engine

        return get_engine("diffusers", video_model=str(self._folder), video_steps=2,
                          frames_per_clip=9, video_buckets={"9:16": "32x32", "1:1": "32x32"},
                          max_sequence_length=16, max_batch=2, **overrides)

    def request(self, **fields: Any) -> RenderRequest:
        return base_request(**{"width": 32, "height": 32, "num_frames": 9, **fields})


class SeedanceHarness(Harness):
    name = "seedance"
    remote = True
    faults = frozenset(FAULTS)
    target = "shotcraft.engine.seedance:SeedanceEngine"
    settings_target = "shotcraft.engine.seedance:SeedanceSettings"

    def start(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        from tests.engine.seedance_server import FakeArk

        super().start(tmp_path, monkeypatch)
        self.fake = FakeArk(api_key=ARK_KEY).start()

    def stop(self) -> None:
        self.fake.stop()

    def settings(self, **overrides: Any) -> dict[str, Any]:
        return {"api_key": ARK_KEY, "base_url": self.fake.base_url, **FAST, **overrides}

    def engine(self, **overrides: Any) -> Engine:
        from shotcraft.engine.seedance import SeedanceEngine, SeedanceSettings

        return SeedanceEngine(SeedanceSettings(**self.settings(**overrides)))

    def created(self) -> int:
        return len(self.fake.created)

    def sent(self) -> int:
        return len(self.fake.posts)

    def inject(self, fault: str) -> None:
        if fault == "wrong_size":
            self.fake.inject("wrong-size", where="media")
        elif fault == "expired":
            self.fake.clock = 25 * 3600  # the URL (24 h) is stale by the time it is fetched
        elif fault == "refused":
            self.fake.inject("moderation", where="after-create")
        elif fault == "rate_limit":
            self.fake.inject("429", where="create", times=2)

    def hold(self, on: bool) -> None:
        self.fake.hold = on

    def late_settings(self) -> dict[str, Any]:
        return {"max_poll_seconds": 0.3}


class KlingHarness(Harness):
    name = "kling"
    remote = True
    faults = frozenset(FAULTS)
    target = "shotcraft.engine.kling:KlingEngine"
    settings_target = "shotcraft.engine.kling:KlingSettings"

    def start(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        from tests.engine.kling_server import FakeKling

        super().start(tmp_path, monkeypatch)
        self.fake = FakeKling(access_key=KLING_ACCESS, secret_key=KLING_SECRET).start()

    def stop(self) -> None:
        self.fake.stop()

    def settings(self, **overrides: Any) -> dict[str, Any]:
        return {"access_key": KLING_ACCESS, "secret_key": KLING_SECRET, "model_name": "kling-v3",
                "base_url": self.fake.base_url, **FAST, **overrides}

    def engine(self, **overrides: Any) -> Engine:
        from shotcraft.engine.kling import KlingEngine, KlingSettings

        return KlingEngine(KlingSettings(**self.settings(**overrides)))

    def created(self) -> int:
        return len(self.fake.created)

    def sent(self) -> int:
        return len(self.fake.posts)

    def inject(self, fault: str) -> None:
        from tests.engine.kling_server import native_clip

        if fault == "wrong_size":
            self.fake.video = native_clip(1280, 720, 24, 4)
        elif fault == "expired":
            self.fake.media_gone = True
        elif fault == "refused":
            self.fake.inject("moderation", where="after-create")
        elif fault == "rate_limit":
            self.fake.inject("429", where="submit", times=2)

    def hold(self, on: bool) -> None:
        self.fake.hold = on

    def late_settings(self) -> dict[str, Any]:
        return {"max_poll_seconds": 0.3}


class ComfyHarness(Harness):
    """ComfyUI with the official Wan 2.1 text-to-video template, as a director exports it."""

    name = "comfyui"
    remote = True
    faults = frozenset({"wrong_size", "late", "expired", "refused"})  # no rate limits in server.py
    expired_redraws = True  # the director's own GPU: a prompt the server lost is queued again
    target = "shotcraft.engine.comfyui:ComfyUIEngine"
    settings_target = "shotcraft.engine.comfyui:ComfyUISettings"
    workflow = Path(__file__).resolve().parents[1] / "data/comfyui/text_to_video_wan.json"

    def start(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        from tests.engine.comfyui_server import FakeComfy

        super().start(tmp_path, monkeypatch)
        self.fake = FakeComfy(folder=tmp_path / "comfy-server").start()

    def stop(self) -> None:
        self.fake.stop()

    def settings(self, **overrides: Any) -> dict[str, Any]:
        return {"url": self.fake.base_url, "workflow": str(self.workflow), "long_side": 256,
                "poll_interval": 0.05, "event_timeout": 0.1, **overrides}

    def engine(self, **overrides: Any) -> Engine:
        from shotcraft.engine.comfyui import ComfyUIEngine, ComfyUISettings

        return ComfyUIEngine(ComfyUISettings(**self.settings(**overrides)))

    def created(self) -> int:
        return len(self.fake.executed)

    def sent(self) -> int:
        return self.fake.posted

    def inject(self, fault: str) -> None:
        if fault == "wrong_size":
            self.fake.wrong_size = True
        elif fault == "expired":
            self.fake.restart()  # the server forgot the prompt (its history is in memory)
        elif fault == "refused":
            self.fake.models = {**self.fake.models, "diffusion_models": []}  # model not there

    def hold(self, on: bool) -> None:
        self.fake.hold = on

    def late_settings(self) -> dict[str, Any]:
        return {"max_run_seconds": 0.3}


HARNESSES = [PrevizHarness(), DiffusersHarness(), KlingHarness(), SeedanceHarness(),
             ComfyHarness()]
