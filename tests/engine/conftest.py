"""Shared fixtures for engine tests: tiny requests, tiny images, a stand-in engine."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from shotcraft.engine.protocol import Capabilities, Engine, RenderedTake, RenderRequest
from shotcraft.shots.models import CameraMove, Move, ShotSize, TakeKind


def make_request(**overrides: Any) -> RenderRequest:
    """A small previz request (72×128, 12 frames) with two characters and a line of dialogue."""
    from shotcraft.shots.models import DialogueLine

    values: dict[str, Any] = {
        "shot_id": "E01-S01-001",
        "prompt": "test",
        "width": 72,
        "height": 128,
        "fps": 12,
        "num_frames": 12,
        "size": ShotSize.MS,
        "camera": CameraMove(move=Move.STATIC, intensity=0.5),
        "characters": [],
        "dialogue": [DialogueLine(speaker="林夏", text="你终于回来了。")],
        "location": "客厅",
        "time_of_day": "夜",
        "interior": True,
        "seeds": [1],
        "take_numbers": [1],
    }
    values.update(overrides)
    return RenderRequest(**values)


@pytest.fixture
def request_factory() -> Callable[..., RenderRequest]:
    return make_request


def save_image(path: Path, colour: tuple[int, int, int], size: tuple[int, int] = (72, 128), stripes: bool = True) -> Path:
    """A flat image (with darker stripes, so it has structure) written to `path`."""
    arr = np.zeros((size[1], size[0], 3), dtype=np.uint8)
    arr[:] = colour
    if stripes:
        arr[:, ::12] = (np.array(colour) * 0.4).astype(np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(arr).save(path)
    return path


class LimitedEngine(Engine):
    """An engine that only does text-to-video, 9:16 and 16:9, up to 5 seconds."""

    name = "limited"
    version = "1"

    def __init__(self, **caps: Any) -> None:
        defaults: dict[str, Any] = {
            "text_to_video": True, "image_to_video": False, "first_frame": False,
            "last_frame": False, "character_references": False, "keyframes": False,
            "max_seconds": 5.0, "aspects": ["9:16", "16:9"],
        }
        defaults.update(caps)
        self.caps = Capabilities(**defaults)

    def capabilities(self, kind: TakeKind = TakeKind.VIDEO) -> Capabilities:
        return self.caps

    def render(self, request: RenderRequest, *, out_dir: Path, progress=None,  # type: ignore[override]
               cancel: threading.Event | None = None, checkpoint=None) -> list[RenderedTake]:
        return []


@pytest.fixture
def limited_engine() -> Callable[..., LimitedEngine]:
    return LimitedEngine
