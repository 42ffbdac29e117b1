"""The shot and take domain: plain pydantic models, no I/O.

Time is integer frames at the episode fps; seconds appear only at the edges (display, engines
that speak seconds).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shotcraft.shots.names import normalise_name

SHOT_ID_RE = re.compile(r"^E\d{2,}-S\d{2,}-\d{3,}$")


class ShotSize(StrEnum):
    EWS = "EWS"  # extreme wide
    WS = "WS"  # wide
    MS = "MS"  # medium
    MCU = "MCU"  # medium close-up
    CU = "CU"  # close-up
    ECU = "ECU"  # extreme close-up


class Move(StrEnum):
    STATIC = "static"
    PAN_LEFT = "pan_left"
    PAN_RIGHT = "pan_right"
    TILT_UP = "tilt_up"
    TILT_DOWN = "tilt_down"
    DOLLY_IN = "dolly_in"
    DOLLY_OUT = "dolly_out"
    TRUCK_LEFT = "truck_left"
    TRUCK_RIGHT = "truck_right"
    ORBIT = "orbit"
    ZOOM_IN = "zoom_in"
    ZOOM_OUT = "zoom_out"
    HANDHELD = "handheld"


class Angle(StrEnum):
    """Where the camera looks from, when it is not eye level (the writer's 俯拍, 仰拍, …)."""

    HIGH = "high"  # 俯拍: looking down on the subject
    LOW = "low"  # 仰拍: looking up at the subject
    OVERHEAD = "overhead"  # 顶拍 / 鸟瞰: straight down
    POV = "pov"  # 主观镜头: through a character's eyes
    DUTCH = "dutch"  # a tilted horizon


class CameraMove(BaseModel):
    model_config = ConfigDict(frozen=True)

    move: Move = Move.STATIC
    intensity: float = Field(default=0.5, ge=0.0, le=1.0)


class DialogueMode(StrEnum):
    OS = "OS"  # off-screen / inner monologue (OS)
    VO = "VO"  # voice-over


class DialogueLine(BaseModel):
    speaker: str
    text: str
    parenthetical: str | None = None
    mode: DialogueMode | None = None
    line: int | None = None  # line number in the imported script

    @field_validator("speaker")
    @classmethod
    def _one_form(cls, speaker: str) -> str:
        return normalise_name(speaker)


class Keyframe(BaseModel):
    """A first/last keyframe: an image inside the project, or the previous shot's last frame."""

    path: str | None = None  # relative to the project folder
    chain_previous: bool = False

    @field_validator("path")
    @classmethod
    def _relative(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if value.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", value) or ".." in value.replace("\\", "/").split("/"):
            raise ValueError("keyframe path must be relative to the project folder and stay inside it")
        return value


class Budget(BaseModel):
    max_takes: int | None = Field(default=None, ge=0)
    max_seconds: float | None = Field(default=None, ge=0)
    max_credits: float | None = Field(default=None, ge=0)


class ShotKind(StrEnum):
    """What a shot shows. OTS, two-shot and insert are framings a director draws on purpose:
    each engine, previz, the ranker's face checks and every export tell them apart."""

    ESTABLISHING = "establishing"
    ACTION = "action"
    DIALOGUE = "dialogue"  # a single on one face
    REACTION = "reaction"
    INSERT = "insert"  # a close-up of a prop or a detail, no face (or added by hand in the studio)
    OTS = "ots"  # over the shoulder: characters[0] faces the camera past characters[1]'s shoulder
    TWO_SHOT = "two_shot"  # two characters side by side, both faces seen
    TITLE = "title"  # a title card (a centered line)


# the short names shot lists use for the framings that are more than a size
KIND_LABELS = {ShotKind.OTS: "OTS", ShotKind.TWO_SHOT: "2S", ShotKind.INSERT: "INS"}


def framing_label(kind: ShotKind, size: ShotSize) -> str:
    """How a shot list names a framing: "OTS MCU", "2S MS", "INS CU", or the size alone."""
    if kind is ShotKind.TITLE:
        return "TITLE"
    label = KIND_LABELS.get(kind)
    return f"{label} {size.value}" if label else size.value


# Ten minutes at 120 fps: no single shot of a short drama runs longer; a bigger number is a typo
# (and past 2**63-1 could not even be stored).
MAX_SHOT_FRAMES = 72_000
MAX_TAKES_WANTED = 100  # the most takes one run draws per shot (projects/limits.py)


class Shot(BaseModel):
    id: str  # E01-S02-003
    episode: int
    scene_id: str  # "1-2"
    order: int  # position within the episode, 0-based
    kind: ShotKind = ShotKind.ACTION
    size: ShotSize = ShotSize.MS
    camera: CameraMove = CameraMove()
    angle: Angle | None = None  # None: eye level
    duration_frames: int = Field(gt=0, le=MAX_SHOT_FRAMES)
    characters: list[str] = Field(default_factory=list)
    action: str | None = None
    dialogue: list[DialogueLine] = Field(default_factory=list)
    prompt: str = ""
    negative_prompt: str = ""
    first_keyframe: Keyframe | None = None
    last_keyframe: Keyframe | None = None
    takes_wanted: int = Field(default=3, ge=1, le=MAX_TAKES_WANTED)
    budget: Budget | None = None
    picked_take: int | None = None
    picked_by: MadeBy | None = None  # None: a pick made before shotcraft recorded who made it
    # the frames of the picked take played, [trim_in, trim_out), at the episode fps; set by
    # `import-edit` from an editor's trim, None when untrimmed (bookkeeping like the pick)
    trim_in: int | None = Field(default=None, ge=0)
    trim_out: int | None = Field(default=None, gt=0)
    notes: str | None = None
    source_lines: list[int] = Field(default_factory=list)
    # hash of what the script said about this shot; re-import matches shots on it
    content_hash: str = ""
    archived: bool = False
    # True when the director wrote the prompt by hand: it is kept as written instead of being
    # composed again from the spec (bookkeeping, from the row's edited fields)
    prompt_by_hand: bool = False

    @property
    def framing(self) -> str:
        """"OTS MCU", "2S MS", "INS CU", "MCU": the size with the kind of framing it is."""
        return framing_label(self.kind, self.size)

    def faces(self) -> list[str]:
        """The characters whose faces the shot shows: an OTS sees only the first (the second
        is a shoulder in the foreground); an insert or a title card sees nobody."""
        if self.kind in (ShotKind.INSERT, ShotKind.TITLE):
            return []
        if self.kind is ShotKind.OTS:
            return self.characters[:1]
        return list(self.characters)

    @field_validator("characters")
    @classmethod
    def _one_form_each(cls, names: list[str]) -> list[str]:
        return list(dict.fromkeys(n for n in (normalise_name(name) for name in names) if n))


class TakeKind(StrEnum):
    KEYFRAME = "keyframe"  # a still
    VIDEO = "video"
    LIPSYNC = "lipsync"  # a video take re-animated to its shot's dialogue (parent_take, audio_hash)

    @property
    def moving(self) -> bool:
        """A clip (video or lip-sync): what a shot's picked take is, and what export cuts."""
        return self is not TakeKind.KEYFRAME


CLIP_KINDS = (TakeKind.VIDEO.value, TakeKind.LIPSYNC.value)  # take.kind values of clips


class TakeStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    REJECTED = "rejected"  # done, but the director threw it away


class RejectReason(StrEnum):
    """Why the director threw a take away; counted in the statistics of what card drawing costs."""

    FACE = "face"
    HANDS = "hands"
    BODY = "body"
    MOTION = "motion"
    CONTINUITY = "continuity"
    ARTEFACT = "artefact"
    OTHER = "other"


class MadeBy(StrEnum):
    """Who made a pick or a reject; only the director's teach the ranker."""

    DIRECTOR = "director"  # by hand: `pick`, `reject`, the studio
    AUTO = "auto"  # `pick --auto`, the demo: the ranker's own choice
    IMPORT_EDIT = "import-edit"  # a take switched in an editor and read back


class TakeOrigin(StrEnum):
    ENGINE = "engine"
    IMPORTED = "imported"


def _now() -> datetime:
    return datetime.now(UTC)


class Take(BaseModel):
    shot_id: str
    number: int = Field(ge=1)  # 1..n per shot, never reused
    kind: TakeKind = TakeKind.VIDEO
    origin: TakeOrigin = TakeOrigin.ENGINE
    engine: str = "previz"
    engine_version: str = ""
    seed: int | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    reference_hashes: dict[str, str] = Field(default_factory=dict)
    downgrades: list[str] = Field(default_factory=list)
    status: TakeStatus = TakeStatus.QUEUED
    reason: str | None = None  # why it failed (the engine's words)
    reject_reason: RejectReason | None = None  # why the director rejected it, when he said
    rejected_by: MadeBy | None = None
    media_path: str | None = None  # relative to the project folder
    thumbnail_path: str | None = None
    duration_frames: int | None = None
    fps: float | None = None
    width: int | None = None
    height: int | None = None
    scores: dict[str, float] = Field(default_factory=dict)
    score: float | None = None
    cost_seconds: float = 0.0
    cost_credits: float | None = None
    provider: dict[str, Any] = Field(default_factory=dict)  # e.g. Kling task/video ids
    parent_take: int | None = None  # a lip-sync take: the video take it was made from
    audio_hash: str | None = None  # a lip-sync take: SHA-256 of the dialogue audio it speaks
    # what it was drawn from (shots.spec.drawn_from): the shot's spec and the references of
    # the characters in frame at draw time; None for takes drawn before this was recorded
    spec_hash: str | None = None
    drawn_from: dict[str, Any] | None = None
    created_at: datetime = Field(default_factory=_now)
