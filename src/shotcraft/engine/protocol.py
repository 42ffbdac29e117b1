"""The render-engine contract.

An engine declares what it can do (`Capabilities`) and renders a batch of seeded takes of one
shot (`render`). Requests are built and checked against the capabilities by
`engine.request.build_request` before any work starts, so an engine never sees a request it
cannot honour. Engines write each take to a file in `out_dir`; the project validates, moves it
into the content-addressed store and registers it — engines never touch the database.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, Field

from shotcraft.shots.errors import EngineError
from shotcraft.shots.models import Angle, CameraMove, DialogueLine, ShotKind, ShotSize, TakeKind


class Capabilities(BaseModel):
    text_to_video: bool = True
    image_to_video: bool = False
    first_frame: bool = False
    last_frame: bool = False
    character_references: bool = False
    camera_control: bool = False
    keyframes: bool = False  # can draw keyframe stills (TakeKind.KEYFRAME)
    max_seconds: float | None = None  # longest clip one take may be
    aspects: list[str] = Field(default_factory=lambda: ["9:16", "16:9", "1:1"])
    batch_size: int = 1  # seeds drawn in one call
    parallel: int = 1  # calls that may run at once on separate threads (CPU engines)
    scale: float = 1.0  # fraction of the project's frame size this engine draws at
    needs_keys: bool = False
    gpu: bool = False  # holds an accelerator while drawing: the ray executor gives it one per actor
    cloud: bool = False  # a paid remote service: its tasks are resumed, never re-submitted
    elements: bool = False  # keeps characters as reusable subjects (ensure_elements)
    lipsync: bool = False  # re-animates a video take's mouths to audio (TakeKind.LIPSYNC)
    # takes of one request differ only in composition, so one small draw shows what any take
    # scores on the shot's checks (render --until refuses a score none can reach)
    deterministic: bool = False
    # draws consecutive shots as one clip with cuts (RenderRequest.sequence), up to max_shots:
    # a Draw of what="sequence" (projects/draw/sequence.py)
    multi_shot: bool = False
    max_shots: int = 1


class CharacterRef(BaseModel):
    name: str
    description: str | None = None
    references: list[Path] = Field(default_factory=list)  # absolute paths, inside the project
    reference_hashes: list[str] = Field(default_factory=list)
    # IP-Adapter strength for this character's references; None: the request's or engine's default
    ip_adapter_scale: float | None = Field(default=None, ge=0.0, le=1.0)
    # the engine's reusable subject made from these references (a Kling element), kept by the
    # project (engines never see it); None: none made, or the references changed since
    element_id: str | None = None


class LipsyncSource(BaseModel):
    """What a lip-sync take is made of: the video take it re-animates and the audio it speaks.

    Resolved by the project (projects/lipsync.py) and kept in the job's options, so a resumed
    render sends exactly what was planned."""

    parent_take: int
    video: Path  # the parent take's file (absolute, inside the project)
    video_engine: str  # the engine that drew the parent take
    video_id: str | None = None  # the provider's id of the parent video (a Kling video_id)
    video_expires: str | None = None  # ISO time after which the provider no longer has it
    width: int
    height: int
    fps: float
    frames: int
    audio: Path  # WAV: the shot's on-screen lines at their cue times, as long as the video
    audio_hash: str  # SHA-256 of that file
    audio_seconds: float
    speech: list[tuple[float, float]] = Field(default_factory=list)  # (start, end) s of each line

    @property
    def video_seconds(self) -> float:
        return self.frames / self.fps if self.fps else 0.0


class SequencePart(BaseModel):
    """One shot of a multi-shot request: what it shows and how long it is, in the request's fps."""

    shot_id: str
    prompt: str
    num_frames: int = Field(ge=1)
    characters: list[str] = Field(default_factory=list)
    camera: CameraMove = CameraMove()
    size: ShotSize = ShotSize.MS


class RenderRequest(BaseModel):
    """One shot, N seeds: everything an engine needs, resolved to absolute paths."""

    shot_id: str
    kind: TakeKind = TakeKind.VIDEO
    prompt: str
    negative_prompt: str = ""
    width: int
    height: int
    fps: int
    num_frames: int
    aspect: str = "9:16"
    size: ShotSize = ShotSize.MS
    # the framing: an OTS frames characters[0] past characters[1]'s shoulder, a two-shot both,
    # an insert a prop with no face (engines that read only the prompt find it said there too)
    framing: ShotKind = ShotKind.ACTION
    angle: Angle | None = None
    camera: CameraMove = CameraMove()
    characters: list[CharacterRef] = Field(default_factory=list)
    dialogue: list[DialogueLine] = Field(default_factory=list)
    action: str | None = None
    location: str = ""
    time_of_day: str | None = None
    interior: bool | None = None
    first_frame: Path | None = None
    last_frame: Path | None = None
    seeds: list[int]
    take_numbers: list[int]  # same length as seeds
    downgrades: list[str] = Field(default_factory=list)  # what was dropped, in words
    allow_downgrade: bool = False  # engines' own checks drop what they cannot use instead of refusing
    params: dict[str, Any] = Field(default_factory=dict)  # engine-specific overrides
    # provider state saved by an earlier, interrupted run of the same takes (take number → state)
    resume: dict[int, dict[str, Any]] = Field(default_factory=dict)
    lipsync: LipsyncSource | None = None  # TakeKind.LIPSYNC: the take and audio it is made of
    # several consecutive shots drawn as one clip (engines with multi_shot); num_frames is their
    # sum and the clip is cut at the shots' boundaries afterwards (projects/sequence.py)
    sequence: list[SequencePart] = Field(default_factory=list)


class RenderedTake(BaseModel):
    take_number: int
    seed: int
    path: Path | None = None  # the finished file inside out_dir; None when failed
    failed: str | None = None  # one-sentence reason when this take failed
    params: dict[str, Any] = Field(default_factory=dict)  # full parameters to reproduce it
    cost_seconds: float = 0.0
    cost_credits: float | None = None
    provider: dict[str, Any] = Field(default_factory=dict)
    downgrades: list[str] = Field(default_factory=list)


class Delivery(BaseModel):
    """What an engine's file for one take of a request is: its native format.

    The project validates each file against this, records the take's true size and fps, and
    assembly scales it to the episode's preset (as it does for imported takes).
    """

    width: int
    height: int
    fps: float | None = None  # None for stills
    frames: int | None = None  # None for stills
    frames_tolerance: int = 1  # ± frames a container may round to
    # a multi-shot clip: the frame (at `fps`) where each shot after the first was asked to start
    cuts: list[int] = Field(default_factory=list)

    @property
    def still(self) -> bool:
        return self.frames is None


class Progress(BaseModel):
    take_number: int
    done: float  # 0..1 within this take
    message: str = ""


ProgressFn = Callable[[Progress], None]
# Engines that talk to a remote service call this with provider state (task id, ...) as soon as
# they have it; the project stores it in the job row before the engine goes on.
CheckpointFn = Callable[[int, dict[str, Any]], None]


def no_progress(_: Progress) -> None:
    return None


def no_checkpoint(_: int, __: dict[str, Any]) -> None:
    return None


class Engine(ABC):
    """Base class for engines. Subclasses set `name`, `version` and implement `render`."""

    name: ClassVar[str]
    version: ClassVar[str] = "0"
    # the kinds of take it draws, declared on the class so a front-end can list the engines
    # that lip-sync (say) without making one; `capabilities(kind)` says the rest
    kinds: ClassVar[frozenset[TakeKind]] = frozenset({TakeKind.VIDEO})

    @abstractmethod
    def capabilities(self, kind: TakeKind = TakeKind.VIDEO) -> Capabilities:
        """What this engine can do for takes of `kind`."""

    @abstractmethod
    def render(
        self,
        request: RenderRequest,
        *,
        out_dir: Path,
        progress: ProgressFn = no_progress,
        cancel: threading.Event | None = None,
        checkpoint: CheckpointFn = no_checkpoint,
    ) -> list[RenderedTake]:
        """Render one take per seed into `out_dir`; a failed take is reported, not raised.

        Raise `EngineError` only when nothing can be drawn (bad settings, missing keys). When
        `cancel` is set, stop at the next safe point and return what is finished.
        """

    def check(self, request: RenderRequest) -> None:
        """Raise EngineError, in one sentence, if this engine cannot draw `request`.

        `build_request` has already held the request against `capabilities()`; engines with
        rules of their own (models, modes, lengths) refuse here, before any take is queued.
        Engines that drop inputs under `request.allow_downgrade` do it in `render` too.
        """
        if request.sequence and not self.capabilities(request.kind).multi_shot:
            raise EngineError(f"{self.name} cannot draw several shots as one clip; draw them one "
                              "by one or pick an engine with multi-shot.")

    def check_ready(self) -> None:
        """Raise EngineError, in one sentence, if this engine cannot draw anything now (a cloud
        engine without its keys). Called before takes are queued, not for a dry run: a plan
        and its price can be seen before the keys are set."""
        return None

    def delivers(self, request: RenderRequest) -> Delivery:
        """The size, fps and frame count this engine's file for one take of `request` has.

        By default what was asked for; engines whose native output differs (a 720p cloud mode,
        a 16 fps model) say so, and the project checks the file against this.
        """
        if request.kind is TakeKind.KEYFRAME:
            return Delivery(width=request.width, height=request.height)
        return Delivery(width=request.width, height=request.height, fps=request.fps,
                        frames=request.num_frames)

    def score_ceilings(self, request: RenderRequest) -> dict[str, float]:
        """The most this engine's takes of `request` score on a check (metric name → 0..1),
        for checks where the engine knows it can do no better; the rest may reach 1."""
        return {}

    def describe_cost(self, request: RenderRequest) -> float | None:
        """Credits one take of this request will cost, where the engine bills in credits."""
        return None

    def element_region(self) -> str | None:
        """Where this engine's reusable subjects live (an account's region); None when it makes
        none. A subject made in one region cannot be used from another."""
        return None

    def ensure_elements(self, characters: list[CharacterRef]) -> dict[str, str]:
        """Make a reusable subject (a Kling element) from each character's references, which
        the project has face-checked; `{name: id}` for those made. Engines without them make
        none. The project keeps the ids and calls this only for characters it has none for (or
        whose references changed), so the engine itself remembers nothing."""
        return {}
