"""`Draw`: one typed request for every kind of draw, checked once before anything is read.

What is drawn (`what`): takes of shots, keyframe stills, a character's sheet, lip-sync takes,
draw-until-good, or a sequence of consecutive shots as one multi-shot task. How many (`takes`),
on which engine and executor, until which score, within which credit budget.

`Project.plan(draw)` and `Project.draw(draw, on_event, cancel)` take it; the command line,
the studio and the review page build it. The options a director sets are declared once here
(`DRAW_OPTIONS`: flag, type, help, the kinds they apply to), and the CLI's `render` flags, its
usage lines and the studio's until form are made from these declarations, as harlequin
declares its options once for its command line and its UI.

A value out of range is a `SpecError` naming the field (exit 1 on the command line); options
that do not go together are a `DrawUsageError` (exit 2, with the kind's usage line).
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shotcraft.projects.limits import (
    check_episode,
    check_max_takes,
    check_seed,
    check_take_number,
    check_takes,
    check_until,
)
from shotcraft.shots.errors import SpecError
from shotcraft.shots.models import TakeKind

DrawKind = Literal["shots", "keyframes", "sheet", "lipsync", "until", "sequence"]

DEFAULT_UNTIL_BATCH = 2  # draw-until's takes per round: at most one take drawn past the good one
DEFAULT_MAX_TAKES = 8  # draw-until stops a shot at this many takes in all
DEFAULT_UNTIL = 0.8  # the score draw-until offers first

# how each kind is named in a sentence ("--shot does not apply to a character sheet")
KIND_WORDS: dict[str, str] = {
    "shots": "takes of shots", "keyframes": "keyframe stills", "sheet": "a character sheet",
    "lipsync": "lip-sync takes", "until": "draw-until", "sequence": "a sequence",
}
# a sequence: E01-S01-003..006 or E01-S01-003..E01-S01-006 (the head repeated), or E01-S01-003..
_RANGE = re.compile(r"^(?P<head>.*?)(?P<first>\d+)\.\.(?:(?P=head))?(?P<last>\d+)$")
_SHOT_ID = re.compile(r"^\S*\d$")


class DrawOption(BaseModel):
    """One option of a draw, declared once for the command line, the studio and the review page.

    `name` is the `Draw` field it sets; a `picks` option chooses the kind of draw instead (a
    flag like `--keyframes`, or a value like `--until SCORE` that also sets its field). `only`
    lists the kinds it applies to (empty: all of them)."""

    model_config = ConfigDict(frozen=True)

    name: str
    flag: str
    type: Literal["str", "strs", "int", "float", "bool"]
    help: str
    metavar: str = ""
    picks: DrawKind | None = None
    only: tuple[DrawKind, ...] = ()
    choices: Literal["engines", "executors"] | None = None  # filled from what is installed
    label: str = ""  # the studio's words for it

    def applies(self, kind: DrawKind) -> bool:
        return not self.only or kind in self.only

    @property
    def usage(self) -> str:
        """"--takes N", "--keyframes": how the option is written in a usage line."""
        return f"{self.flag} {self.metavar}" if self.metavar else self.flag


_NOT_LIPSYNC: tuple[DrawKind, ...] = ("shots", "keyframes", "sheet", "until", "sequence")
# drawn batch by batch on an executor; a sequence is one task, drawn from this process
_BATCHED: tuple[DrawKind, ...] = ("shots", "keyframes", "sheet", "until", "lipsync")

DRAW_OPTIONS: tuple[DrawOption, ...] = (
    DrawOption(name="shots", flag="--shot", type="strs", metavar="ID",
               help="Shot id (repeatable).",
               only=("shots", "keyframes", "until", "lipsync")),
    DrawOption(name="episode", flag="--episode", type="int", metavar="N",
               help="Only shots of this episode.",
               only=("shots", "keyframes", "until", "lipsync")),
    DrawOption(name="takes", flag="--takes", type="int", metavar="N", label="Takes",
               only=("shots", "keyframes", "sheet", "until", "lipsync"),
               help="Draw N more takes per shot, 1-100 (default: fill up to each shot's takes "
                    "wanted; with --until, the takes of each round, default 2)."),
    DrawOption(name="engine", flag="--engine", type="str", metavar="NAME", choices="engines",
               help="The engine to draw on (default: SHOTCRAFT_DEFAULT_ENGINE, else previz; "
                    "lip-sync: an engine that can lip-sync)."),
    DrawOption(name="seed", flag="--seed", type="int", metavar="S", only=_NOT_LIPSYNC,
               help="First seed, 0-2147483646 (default: continue from the shot's last seed)."),
    DrawOption(name="keyframes", flag="--keyframes", type="bool", picks="keyframes",
               help="Draw keyframe stills instead of video takes."),
    DrawOption(name="allow_downgrade", flag="--allow-downgrade", type="bool", only=_NOT_LIPSYNC,
               help="Drop inputs the engine cannot use instead of stopping."),
    DrawOption(name="executor", flag="--executor", type="str", metavar="NAME",
               choices="executors", only=_BATCHED,
               help="Where the takes are drawn: local threads here (default) or another "
                    "installed executor, e.g. ray (a Ray cluster)."),
    DrawOption(name="ray_address", flag="--ray-address", type="str", metavar="ADDRESS",
               only=_BATCHED,
               help="The Ray cluster to draw on (default: SHOTCRAFT_RAY_ADDRESS, else a Ray "
                    "started here); implies --executor ray."),
    DrawOption(name="character", flag="--character", type="str", metavar="NAME", picks="sheet",
               help="Draw portraits of this character alone (front and three-quarter views) "
                    "as takes of its sheet, SHEET-<name>."),
    DrawOption(name="until", flag="--until", type="float", metavar="SCORE", picks="until",
               label="until a take scores at least",
               help="Draw until good: keep drawing each shot a batch (--takes, default 2) at a "
                    "time until a take scores at least SCORE (0-1), it has --max-takes takes "
                    "or its budget is reached. Without --shot: every shot of the episode (or "
                    "project) that has no pick."),
    DrawOption(name="max_takes", flag="--max-takes", type="int", metavar="N", only=("until",),
               label="or the shot has this many takes",
               help="With --until: stop a shot at N takes in all, counting those it has "
                    f"(default {DEFAULT_MAX_TAKES})."),
    DrawOption(name="lipsync", flag="--lipsync", type="bool", picks="lipsync",
               help="Draw lip-sync takes: the shot's picked (or best) video take re-animated "
                    "to its lines in the characters' voices, on an engine that can lip-sync."),
    DrawOption(name="from_take", flag="--from-take", type="int", metavar="N", only=("lipsync",),
               help="With --lipsync: lip-sync this video take instead of the pick."),
    DrawOption(name="sequence", flag="--sequence", type="str", metavar="FIRST..LAST",
               picks="sequence",
               help="Draw consecutive shots of one scene (e.g. E01-S01-003..006) as one "
                    "multi-shot clip on an engine that has multi-shot, split at its cuts into "
                    "one take per shot; FIRST.. takes as many shots as one clip holds."),
    DrawOption(name="workflow", flag="--workflow", type="str", metavar="FILE",
               help="For an engine that draws from a workflow file (comfyui): the file to use "
                    "instead of its configured one."),
    DrawOption(name="budget", flag="--budget", type="float", metavar="CREDITS",
               label="Credits at most",
               help="Spend at most this many credits in this draw: a plan that would spend "
                    "more is refused before anything is queued."),
)
OPTIONS = {option.name: option for option in DRAW_OPTIONS}
# the option that picks each kind (shots, the plain draw, is picked by none), the most particular
# first: when two are given, the usage line shown is the first one's
KIND_OPTION: dict[str, DrawOption] = {
    kind: next(o for o in DRAW_OPTIONS if o.picks == kind)
    for kind in ("lipsync", "until", "sheet", "sequence", "keyframes")}


class DrawUsageError(SpecError):
    """Options that do not go together; `kind` is the draw whose usage line helps."""

    title = "Usage"

    def __init__(self, message: str, *, kind: DrawKind) -> None:
        super().__init__(message)
        self.kind = kind


def usage_line(kind: DrawKind, command: str = "shotcraft render DIR") -> str:
    """The kind's usage, made from the declarations: "shotcraft render DIR (--shot ID [--shot
    ID ...] | --episode N) --lipsync [--from-take N] [--takes N] …"."""
    parts = [command]
    if kind == "lipsync":
        parts.append("(--shot ID [--shot ID ...] | --episode N)")
    elif kind in ("shots", "keyframes", "until"):
        parts.append("[--shot ID ...] [--episode N]")
    if kind in KIND_OPTION:
        parts.append(KIND_OPTION[kind].usage)
    for option in DRAW_OPTIONS:
        if option.picks or option.name in ("shots", "episode") or not option.applies(kind):
            continue
        parts.append(f"[{option.usage}]")
    return " ".join([*parts, "[--dry-run]"])


class Draw(BaseModel):
    """A draw request (see the module docstring). Build it with keywords, or from the options
    a front-end collected with `Draw.from_options`; either way it checks itself once."""

    model_config = ConfigDict(extra="forbid")

    what: DrawKind = "shots"
    shots: list[str] = Field(default_factory=list)  # shot ids; empty: the episode, or every shot
    episode: int | None = None
    character: str | None = None  # what="sheet": the character (name or alias)
    sequence: str | None = None  # what="sequence": "FIRST..LAST" shot ids of one scene
    takes: int | None = None  # more takes per shot; None: up to each shot's takes wanted
    seed: int | None = None  # the first seed; None: each shot goes on from its last
    engine: str | None = None  # None: the default engine (lip-sync: one that can)
    allow_downgrade: bool = False
    executor: str | None = None  # None: the configured executor (local threads)
    ray_address: str | None = None  # the ray executor's cluster (implies executor="ray")
    executor_options: dict[str, Any] = Field(default_factory=dict)  # the executor's own options
    until: float | None = None  # what="until": the score a take must reach
    max_takes: int | None = None  # what="until": the cap per shot, counting its takes
    from_take: int | None = None  # what="lipsync": the video take to re-animate
    workflow: str | None = None  # an engine's workflow file (its `workflow` setting)
    budget: float | None = None  # the most credits this draw may spend
    params: dict[str, Any] = Field(default_factory=dict)  # engine-specific request overrides
    engine_settings: dict[str, Any] = Field(default_factory=dict)  # the engine's constructor

    @model_validator(mode="after")
    def check_inputs(self) -> Draw:
        """Values in range (SpecError naming the field), options that fit the kind
        (DrawUsageError): once, before the project is read."""
        given = self._given()
        for name in given:
            option = OPTIONS.get(name)
            if option is None or option.applies(self.what) or option.picks:
                continue
            owners = [k for k in option.only if k in KIND_OPTION]
            if len(owners) == 1 and self.what == "shots":
                raise DrawUsageError(f"{option.flag} needs {KIND_OPTION[owners[0]].flag}",
                                     kind=owners[0])
            raise DrawUsageError(f"{option.flag} does not apply to {KIND_WORDS[self.what]}",
                                 kind=self.what)
        check_takes(self.takes)
        check_seed(self.seed)
        check_episode(self.episode)
        if self.budget is not None and not self.budget >= 0:
            raise SpecError(f"must be 0 credits or more, not {self.budget:g}.", field="budget")
        getattr(self, f"_check_{self.what}")()
        if self.workflow is not None:  # the engine is made with it, as with its setting
            self.engine_settings = {**self.engine_settings, "workflow": self.workflow}
        return self

    def _given(self) -> list[str]:
        """The option fields set to something other than their default."""
        values = {"shots": self.shots, "episode": self.episode, "seed": self.seed,
                  "allow_downgrade": self.allow_downgrade, "character": self.character,
                  "until": self.until, "max_takes": self.max_takes, "from_take": self.from_take,
                  "sequence": self.sequence, "takes": self.takes, "executor": self.executor,
                  "ray_address": self.ray_address}
        return [name for name, value in values.items() if _set(value)]

    def _check_shots(self) -> None:
        return None

    _check_keyframes = _check_shots

    def _check_sheet(self) -> None:
        if not (self.character or "").strip():
            raise SpecError("name the character whose sheet to draw.", field="character")

    def _check_until(self) -> None:
        if self.until is None:
            raise DrawUsageError("--until needs a score", kind="until")
        check_until(self.until)
        if self.max_takes is not None:
            check_max_takes(self.max_takes)

    def _check_lipsync(self) -> None:
        if bool(self.shots) == (self.episode is not None):
            raise DrawUsageError("--lipsync needs --shot or --episode, not both", kind="lipsync")
        if self.from_take is not None:
            if len(self.shots) != 1:
                raise DrawUsageError("--from-take needs one --shot", kind="lipsync")
            check_take_number(self.shots[0], self.from_take)

    def _check_sequence(self) -> None:
        self.sequence_ids()

    # --- what the request means ----------------------------------------------------------

    @property
    def kind(self) -> TakeKind:
        """The kind of take drawn."""
        if self.what in ("keyframes", "sheet"):
            return TakeKind.KEYFRAME
        if self.what == "lipsync":
            return TakeKind.LIPSYNC
        return TakeKind.VIDEO

    @property
    def batch(self) -> int:
        """Draw-until's takes per round."""
        return self.takes or DEFAULT_UNTIL_BATCH

    @property
    def cap(self) -> int:
        """Draw-until's takes per shot at most."""
        return DEFAULT_MAX_TAKES if self.max_takes is None else self.max_takes

    @property
    def executor_name(self) -> str | None:
        return "ray" if self.ray_address and self.executor is None else self.executor

    @property
    def executor_settings(self) -> dict[str, Any]:
        """What the executor is made with: its own options, and the ray address."""
        return {**self.executor_options,
                **({"ray_address": self.ray_address} if self.ray_address else {})}

    def sequence_ids(self) -> list[str] | None:
        """The shot ids `sequence` names: `E01-S01-003..006` (or `E01-S01-003..E01-S01-006`)
        → each shot id from the first to the last; an open range `E01-S01-003..` → None (the
        shot and those after it in its scene, as many as one clip holds: the engine says).
        SpecError naming `sequence` when it is neither."""
        text = (self.sequence or "").strip()
        if text.endswith("..") and _SHOT_ID.match(text[:-2]):
            return None
        match = _RANGE.match(text)
        if not match or int(match["last"]) <= int(match["first"]):
            raise SpecError(f"'{self.sequence}' is not a range of shots like E01-S01-003..006.",
                            field="sequence")
        width = len(match["first"])
        return [f"{match['head']}{n:0{width}d}"
                for n in range(int(match["first"]), int(match["last"]) + 1)]

    @property
    def sequence_first(self) -> str:
        """The first shot of `sequence`."""
        return (self.sequence or "").strip().split("..")[0]

    @classmethod
    def from_options(cls, values: dict[str, Any]) -> Draw:
        """The request a front-end's collected options make: `values` by option name (the
        declarations' `name`), unset ones None or False. The option that picks the kind of draw
        decides `what`; two of them is a DrawUsageError."""
        picked = [KIND_OPTION[kind] for kind in KIND_OPTION
                  if _set(values.get(KIND_OPTION[kind].name))]
        if len(picked) > 1:
            first, second = picked[0], picked[1]
            raise DrawUsageError(f"{first.flag} and {second.flag} do not go together",
                                 kind=first.picks or "shots")
        what: DrawKind = picked[0].picks if picked and picked[0].picks else "shots"
        fields = {name: value for name, value in values.items()
                  if name in cls.model_fields and value is not None}
        return cls(what=what, **fields)


def _set(value: Any) -> bool:
    """Whether an option was given: not left at None, False or an empty list (0 is a value)."""
    return value is not None and value is not False and value != []
