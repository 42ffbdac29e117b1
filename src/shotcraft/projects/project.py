"""The Project facade: the only API the front-ends (CLI, studio) call.

Each method is a line or two over the store (projects/store.py) and the modules that do the
work: importing, takes (ranking and picks), cast, editing, draw (plan, queue, run), export.
Drawing has two entry points, `plan(draw)` and `draw(draw, on_event, cancel)`, over one typed
request (`projects.draw.Draw`).
"""

from __future__ import annotations

import functools
import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from shotcraft.assembly.episode import ExportOptions, ExportResult
from shotcraft.engine.executors import Executor
from shotcraft.projects import cast, editing, importing, outdated, scoring, takes, voices
from shotcraft.projects.cast import ReferenceAdded, ReferenceRefused
from shotcraft.projects.cleanup import sweep_temps
from shotcraft.projects.cut import Cut, episode_cut
from shotcraft.projects.db import Database, ProjectRow
from shotcraft.projects.doctor import Checkup
from shotcraft.projects.doctor import doctor as run_doctor
from shotcraft.projects.draw import dispatch, queue, sheets
from shotcraft.projects.draw.events import EventFn, RenderSummary
from shotcraft.projects.draw.plan import RenderPlan
from shotcraft.projects.draw.request import Draw
from shotcraft.projects.draw.run import add_take
from shotcraft.projects.export import choose_take, export
from shotcraft.projects.filmstrip import StripFrame, filmstrip
from shotcraft.projects.fit import DEFAULT_MAX_STRETCH, FitReport, fit
from shotcraft.projects.importedit import EditImport, import_edit
from shotcraft.projects.importing import ImportReport
from shotcraft.projects.limits import check_episode, check_take_number
from shotcraft.projects.outdated import OutdatedPick
from shotcraft.projects.paths import Layout
from shotcraft.projects.ranker import RankerState, effective_score, ranker_state
from shotcraft.projects.renditions import rendition as make_rendition
from shotcraft.projects.schema import HEAD, Upgrade, known_revisions, migrate, stored_revision
from shotcraft.projects.stats import Stats, stats
from shotcraft.projects.store import Store
from shotcraft.projects.takes import AutoPicks, TakeView, Totals
from shotcraft.projects.voices import CharacterVoice
from shotcraft.ranking import faces
from shotcraft.ranking.identity import ReferenceCheck
from shotcraft.shots.errors import ProjectError, ShotcraftError, SpecError, read_only_error
from shotcraft.shots.models import Budget, RejectReason, Shot, Take, TakeKind
from shotcraft.shots.settings import use_project
from shotcraft.storyboard.models import Character, Scene, Storyboard

ASPECTS = ("9:16", "16:9", "1:1")
F = TypeVar("F", bound=Callable[..., Any])


def folder_writable(folder: Path) -> bool:
    """Whether files can be made in `folder` and its database written: `os.access` (which
    says no on a read-only mount, even to root) confirmed by making a file there."""
    if not os.access(folder, os.W_OK):
        return False
    db = folder / "shotcraft.db"
    if db.exists() and not os.access(db, os.W_OK):
        return False
    try:
        with tempfile.TemporaryFile(dir=folder, prefix=".shotcraft-probe-"):
            pass
    except OSError:
        return False
    return True


def _writes(method: F) -> F:
    """Mark a facade method that writes: on a read-only project it is refused with the
    read-only sentence before anything starts."""
    doing = method.__name__.strip("_").replace("_", " ")

    @functools.wraps(method)
    def guarded(self: Project, *args: Any, **kwargs: Any) -> Any:
        self.require_writable(doing)
        return method(self, *args, **kwargs)

    return guarded  # type: ignore[return-value]


class Project:
    """A project folder: `shotcraft.db`, `script/`, `refs/`, `media/`, `cache/`, `exports/`."""

    def __init__(self, root: Path, db: Database, *, upgrade: Upgrade | None = None) -> None:
        self.store = Store(root, db)
        self.upgrade = upgrade  # set when opening brought an older project up to date

    # -- opening -------------------------------------------------------------------------

    @classmethod
    def create(
        cls, root: str | Path, *, title: str | None = None, aspect: str = "9:16", fps: int = 30,
        db_url: str | None = None,
    ) -> Project:
        root = Path(root)
        if aspect not in ASPECTS:
            raise SpecError(f"must be one of {', '.join(ASPECTS)}, not {aspect!r}", field="aspect")
        if not 1 <= fps <= 120:
            raise SpecError(f"must be between 1 and 120, not {fps}", field="fps")
        if (root / "shotcraft.db").exists():
            raise ProjectError(f"{root} already holds a shotcraft project.")
        if root.exists() and not root.is_dir():
            raise ProjectError(f"{root} exists and is not a folder.")
        layout = Layout(root)
        layout.make()
        db = Database(db_url or f"sqlite:///{layout.db}")
        migrate(db)  # the schema is built by the recorded migrations, as an upgrade would
        with db.write() as session:
            session.add(ProjectRow(title=title or layout.root.name, fps=fps, aspect=aspect,
                                   settings={"db_url": db_url} if db_url else {}))
        use_project(layout.root)  # its shotcraft.toml is read from now on
        return cls(layout.root, db)

    @classmethod
    def open(cls, root: str | Path, *, db_url: str | None = None) -> Project:
        layout = Layout(Path(root))
        if db_url is None and not layout.db.is_file():
            raise ProjectError(
                f"{root} is not a shotcraft project (no shotcraft.db); create one with `shotcraft new {root}`."
            )
        if db_url is None and not folder_writable(layout.root):
            return cls._open_read_only(layout)
        db = Database(db_url or f"sqlite:///{layout.db}")
        try:
            upgrade = migrate(db, None if db_url else layout.db)  # backs up, then upgrades
        except BaseException:
            db.dispose()
            raise
        sweep_temps(layout)  # dead runs' temp files and work folders: a few scandir calls
        use_project(layout.root)  # its shotcraft.toml is read from now on
        return cls(layout.root, db, upgrade=upgrade)

    @classmethod
    def _open_read_only(cls, layout: Layout) -> Project:
        """A project on a folder that cannot be written: read, never migrated or written."""
        db = Database.read_only_file(layout.db)
        try:
            with db.engine.connect() as connection:
                stored, _ = stored_revision(connection)
        except BaseException:
            db.dispose()
            raise
        if stored != HEAD:
            db.dispose()
            raise ProjectError(
                f"{layout.root} was saved by an older shotcraft (schema {stored}) and needs an "
                f"upgrade to {HEAD}, which can't be written on a read-only folder; make it "
                "writable or copy the project elsewhere, then open it again."
            ) if stored in known_revisions() else ProjectError(
                f"{layout.root} was saved by a newer shotcraft (schema {stored}); upgrade "
                "shotcraft to open it."
            )
        use_project(layout.root)
        return cls(layout.root, db)

    def close(self) -> None:
        self.store.close()

    @property
    def read_only(self) -> bool:
        """True when the folder cannot be written: reading works, every change is refused."""
        return self.store.db.read_only

    def require_writable(self, doing: str | None = None) -> None:
        """Raise the read-only sentence (naming what was refused) on a read-only project."""
        if self.read_only:
            raise read_only_error(self.root, doing=doing)

    @property
    def root(self) -> Path:
        return self.store.root

    @property
    def layout(self) -> Layout:
        return self.store.layout

    @property
    def db(self) -> Database:
        return self.store.db

    @property
    def title(self) -> str:
        return self.store.title

    @property
    def fps(self) -> int:
        return self.store.fps

    @property
    def aspect(self) -> str:
        return self.store.aspect

    @property
    def language(self) -> str:
        return self.store.language

    # -- import --------------------------------------------------------------------------

    @_writes
    def import_script(
        self, path: str | Path, *, format: str | None = None,
        progress: Callable[[str, float], None] | None = None, assist: str | None = None,
        fit_voices: bool = False, max_stretch: float | None = None,
    ) -> ImportReport:
        """Parse and break down a script; re-import keeps ids, edits and takes of unchanged shots.

        `progress(phase, fraction)` hears "parse", "breakdown", "write" and "done" in order.
        `assist="llm"` has an OpenAI-compatible model rewrite the text into the 剧本 layout first.
        The report's `read` says what was read (scenes, characters, warnings). With
        `fit_voices`, every dialogue shot whose length nobody edited then follows its lines as
        the characters' voices speak them, within `max_stretch` of the breakdown's length
        (projects.fit; `report.fitted` says what changed)."""
        stretch = DEFAULT_MAX_STRETCH if max_stretch is None else max_stretch
        if fit_voices and not stretch >= 1.0:  # refused before the script is imported
            raise SpecError(f"must be at least 1 (1.5 lets a shot grow by half), not {stretch:g}",
                            field="max_stretch")
        report = importing.import_script(self.store, path, format=format, progress=progress,
                                         assist=assist)
        if fit_voices:
            report.fitted = fit(self.store, follow=True, max_stretch=stretch)
        return report

    def read_script(
        self, path: str | Path, *, format: str | None = None, assist: str | None = None,
        progress: Callable[[str, float], None] | None = None,
    ) -> ImportReport:
        """What importing `path` would read and do (`import --dry-run`); nothing is saved."""
        return importing.import_script(self.store, path, format=format, progress=progress,
                                       assist=assist, dry_run=True)

    def script_copy(self) -> Path | None:
        """The copy of the imported script kept in script/ (None before the first import)."""
        kept = self.store.meta().script_path
        return self.layout.resolve(kept, what="script") if kept else None

    # -- reading -------------------------------------------------------------------------

    def storyboard(self, *, episode: int | None = None, include_archived: bool = False) -> Storyboard:
        """Episodes → scenes → shots, in order, with the character bible. Four queries."""
        check_episode(episode)
        return self.store.storyboard(episode=episode, include_archived=include_archived)

    def episodes(self) -> list[int]:
        return self.store.episodes()

    def shots(self, *, episode: int | None = None) -> list[Shot]:
        check_episode(episode)
        return self.store.shots(episode=episode)

    def shot(self, shot_id: str) -> Shot:
        return self.store.shot(shot_id)

    def scene(self, scene_id: str) -> Scene:
        return self.store.scene(scene_id)

    def characters(self) -> list[Character]:
        return self.store.characters()

    def character(self, name: str) -> Character:
        return self.store.character(name)

    # -- editing -------------------------------------------------------------------------

    @_writes
    def update_shot(self, shot_id: str, *, auto_prompt: bool = False, **changes: Any) -> Shot:
        """Edit a shot's spec; the edit is validated, saved at once and survives re-import.

        The prompt is composed again from the edited spec unless the director wrote it by hand
        (a `prompt` given here is hand-written from now on; `auto_prompt` composes it again).
        Takes drawn before the edit become outdated (see `takes`)."""
        return editing.update_shot(self.store, shot_id, auto_prompt=auto_prompt, **changes)

    def outdated_picks(self, *, episode: int | None = None) -> list[OutdatedPick]:
        """Shots whose picked take no longer matches the shot or its faces (projects/outdated.py)."""
        check_episode(episode)
        return outdated.outdated_picks(self.store, episode=episode)

    @_writes
    def set_episode_budget(self, episode: int, budget: Budget | None) -> None:
        check_episode(episode)
        self.store.set_episode_budget(episode, budget)

    def episode_budget(self, episode: int) -> Budget | None:
        check_episode(episode)
        return self.store.episode_budget(episode)

    @_writes
    def update_character(self, name: str, **changes: Any) -> Character:
        return cast.update_character(self.store, name, **changes)

    def character_voices(self) -> list[CharacterVoice]:
        """Every character's voice (set, or a distinct default), in the bible's order."""
        return voices.character_voices(self.store)

    def character_voice(self, name: str) -> CharacterVoice:
        return voices.character_voice(self.store, name)

    def speaking_rate(self, entry: CharacterVoice) -> float | None:
        """The character's measured speaking rate (characters or words a second), or None
        where measuring it would be billed or no engine runs here."""
        return voices.speaking_rate_of(self.store, entry)

    @_writes
    def set_voice(self, name: str, **fields: Any) -> CharacterVoice:
        """Set a character's voice fields (engine, voice, speed, pitch, language), checked by
        the engine; the rest come from the voice it has now. Survives re-import."""
        return voices.set_voice(self.store, name, **fields)

    @_writes
    def clear_voice(self, name: str) -> CharacterVoice:
        return voices.clear_voice(self.store, name)

    def fit(self, *, episode: int | None = None, dry_run: bool = False,
            max_stretch: float | None = None) -> FitReport:
        """Flag the lines that run past their shot, spoken in the characters' voices, and
        (unless `dry_run`) lengthen those shots in one transaction, each to at most
        `max_stretch` times its length (default 1.5); takes are kept."""
        if episode is not None:
            check_episode(episode)
        if not dry_run:
            self.require_writable("fit")
        return fit(self.store, episode=episode, dry_run=dry_run,
                   max_stretch=DEFAULT_MAX_STRETCH if max_stretch is None else max_stretch)

    @_writes
    def add_reference(self, name: str, image: str | Path, *, force: bool = False) -> ReferenceAdded:
        """Check a reference image's face, copy it into refs/ and attach it to a character.

        No face, several faces or a face too small is refused (`ReferenceRefused`, nothing
        copied); `force` keeps it, without identity use. Without the face model it is kept
        unchecked (`ReferenceAdded.note` says so)."""
        return cast.add_reference(self.store, name, image, force=force)

    @_writes
    def add_reference_from_take(self, name: str, take_number: int, *,
                                force: bool = False) -> ReferenceAdded:
        """Make take N of the character's sheet a reference, through the same face check."""
        check_take_number(sheets.sheet_id(name), take_number)
        sheet = sheets.sheet_id(self.store.character(name).name)
        return cast.add_reference_from_take(self.store, name, take_number, sheet=sheet,
                                            force=force)

    def reference_checks(self, name: str) -> list[ReferenceCheck]:
        """The face check of each of a character's references, in order."""
        return cast.reference_checks(self.store, name)

    def character_faces(self) -> dict[str, list[ReferenceCheck]]:
        """The face checks of every character's references, by character name."""
        return cast.character_faces(self.store)

    @_writes
    def remove_reference(self, name: str, reference: str | Path) -> Character:
        """Detach a reference image (as listed, by file name, or the original image) from a
        character; the file stays in refs/ and the takes drawn with it become outdated."""
        return cast.remove_reference(self.store, name, reference)

    # -- takes and picks -----------------------------------------------------------------

    def takes(self, shot_id: str, *, kind: TakeKind | None = None) -> list[TakeView]:
        """Takes of a shot, ranked (rank 1 = best done take of its kind), in take order."""
        return takes.take_views(self.store, shot_id, kind=kind)

    def take_path(self, take: Take) -> Path | None:
        return self.store.take_path(take)

    def filmstrip(self, take: Take, *, make: bool = True) -> list[StripFrame] | None:
        """A done take's first, middle and last frames (one for a still) as small PNGs, made
        and cached on first call for takes scored before filmstrips existed; None for a take
        without media, or when missing and not `make`. Slow when it makes them: call it off
        the UI thread."""
        path = self.store.take_path(take)
        if path is None or not path.is_file():
            return None
        return filmstrip(self.store.layout, path, kind=take.kind, fps=take.fps,
                         frames=take.duration_frames, make=make)

    def takes_by_shot(self, *, episode: int | None = None) -> dict[str, list[TakeView]]:
        """`takes` of every live shot (of one episode) in two queries, for a storyboard grid."""
        check_episode(episode)
        return takes.take_views_by_shot(self.store, episode=episode)

    def covers(self, *, episode: int | None = None) -> dict[str, tuple[TakeView | None, str]]:
        """Each live shot's takes' cover: the take an export would use (the pick, else the
        best take, else None for a slate) and which of "picked", "auto", "slate" it is; from
        `takes_by_shot`'s two queries."""
        return {shot_id: (chosen, source.value) for shot_id, views in
                self.takes_by_shot(episode=episode).items()
                for chosen, source in [choose_take(views)]}

    def rendition(self, take: Take, kind: str, *, make: bool = True) -> Path | None:
        """A done take's small rendition for streaming: "poster" (a JPEG of its middle frame)
        or "proxy" (a small MP4 that starts at once), made with ffmpeg once and cached under
        cache/review/; None for a take without media, or when missing and not `make`. Slow
        when it makes one: call it off the UI or event-loop thread."""
        path = self.store.take_path(take)
        if path is None or not path.is_file():
            return None
        return make_rendition(self.store.layout, path, kind, make=make)

    def cut(self, episode: int) -> Cut:
        """The episode's current cut: each shot's pick (else what export would use), where it
        starts and how long it plays, and the subtitle cues (projects/cut.py)."""
        check_episode(episode)
        return episode_cut(self.store, episode)

    @_writes
    def pick(self, shot_id: str, take_number: int) -> Take:
        """Pick a done take; a keyframe take becomes the first frame of later video takes."""
        check_take_number(shot_id, take_number)
        return takes.pick(self.store, shot_id, take_number)

    @_writes
    def unpick(self, shot_id: str) -> None:
        takes.unpick(self.store, shot_id)

    @_writes
    def auto_pick(self, *, episode: int | None = None) -> AutoPicks:
        """Pick the top-ranked video take of every shot without a pick (identity threshold
        honoured); returns what was picked and the notes."""
        check_episode(episode)
        return takes.auto_pick(self.store, episode=episode)

    @_writes
    def reject(self, shot_id: str, take_number: int,
               reason: RejectReason | str | None = None) -> Take:
        """Throw a take away, optionally saying why (face, hands, body, motion, continuity,
        artefact, other): it stays on disk and in the list, but never ranks or gets picked.
        Rejecting it again with another reason corrects the reason."""
        check_take_number(shot_id, take_number)
        return takes.reject(self.store, shot_id, take_number, reason)

    @_writes
    def unreject(self, shot_id: str, take_number: int) -> Take:
        """Take a reject back: the take is done again, ranked and pickable."""
        check_take_number(shot_id, take_number)
        return takes.unreject(self.store, shot_id, take_number)

    def totals(self, *, shot_id: str | None = None, episode: int | None = None) -> Totals:
        """Takes and spend per shot or episode (or the whole project)."""
        check_episode(episode)
        return takes.totals(self.store, shot_id=shot_id, episode=episode)

    def totals_by_shot(self, *, episode: int | None = None) -> dict[str, Totals]:
        """One query for every shot's totals (the storyboard table needs them all at once)."""
        check_episode(episode)
        return takes.totals_by_shot(self.store, episode=episode)

    def top_scores(self) -> dict[str, float]:
        return takes.top_scores(self.store)

    def ranker(self) -> RankerState:
        """The ranker: weights learned from picks and rejects, the agreement with the picks
        before and after learning (held out), and whether the learned weights are in use."""
        return ranker_state(self.store)

    def effective_score(self) -> Callable[[Take], float | None]:
        """A take's effective total (learned weights when in use, else the stored total)."""
        return effective_score(self.store)

    def stats(self, *, episode: int | None = None) -> Stats:
        """Draws, rejects, spend per picked shot and per finished minute, the ranker's
        agreement and the shots still unpicked (see projects/stats.py)."""
        check_episode(episode)
        return stats(self.store, episode=episode)

    def data_version(self) -> int:
        """A number that changes whenever another process commits (cheap change polling)."""
        return self.store.data_version()

    # -- the render queue (see projects/queue.py) ------------------------------------------

    def jobs(self) -> list[dict[str, Any]]:
        """The render queue: every job not done, with its take, newest last."""
        return queue.jobs(self.store)

    @_writes
    def retry_failed(self, *, shot_id: str | None = None) -> int:
        """Queue failed takes again under their own numbers and seeds; returns how many."""
        return queue.retry_failed(self.store, shot_id=shot_id)

    @_writes
    def cancel_queued(self, *, shot_id: str | None = None) -> int:
        """Cancel takes still waiting in the queue; returns how many."""
        return queue.cancel_queued(self.store, shot_id=shot_id)

    # -- drawing (see projects/draw/) -----------------------------------------------------

    def plan(self, draw: Draw) -> RenderPlan:
        """What `draw` would draw and spend, writing nothing (also on a read-only project):
        every request built and checked against its engine, priced, held against the budgets;
        a refusal raises as the draw would. For draw-until, its takes and credits are the most
        it could draw and spend."""
        return dispatch.plan(self.store, draw)

    @_writes
    def draw(self, draw: Draw, on_event: EventFn | None = None,
             cancel: threading.Event | None = None, *,
             executor: Executor | None = None) -> RenderSummary:
        """Draw what `draw` asks for (projects/draw/): takes of shots, keyframes, a character's
        sheet, lip-sync takes, draw-until or a sequence. `on_event` hears each take queued,
        started, progressing and finished; `cancel` stops the draw after the takes in flight.
        Returns the summary (an `UntilSummary`, saying what stopped each shot, for until).
        `executor` is one already made (a Ray cluster kept warm between draws); by default
        the draw makes the one `draw.executor` names and closes it when done."""
        return dispatch.draw(self.store, draw, on_event=on_event, cancel=cancel,
                             executor=executor)

    @_writes
    def rescore(self, *, shot_ids: list[str] | None = None,
                progress: Callable[[int, int, Any], None] | None = None) -> list[Any]:
        """Score finished takes again (all shots when none are named): after a reference was
        added or the face model installed, old and new takes count the same metrics."""
        return scoring.rescore(self.store, shot_ids=shot_ids, progress=progress)

    def reference_model_note(self) -> str | None:
        """None when identity can be measured; otherwise the one line saying how to install it."""
        reason = faces.missing_reason()
        return None if reason is None else f"identity is left out of the total: {reason}"

    def sheet_id(self, name: str) -> str:
        """The shot id of a character's sheet (`SHEET-<name>`), for takes and pick; a
        ProjectError saying how to draw one when the character has no sheet yet."""
        return sheets.existing_sheet(self.store, name)

    @_writes
    def add_take(self, shot_id: str, file: str | Path) -> Take:
        return add_take(self.store, shot_id, Path(file))

    @_writes
    def export(
        self, episode: int, options: ExportOptions | None = None, *, out: str | Path | None = None,
        progress: Callable[[str, float], None] | None = None, cancel: Any = None,
    ) -> ExportResult:
        check_episode(episode)
        return export(self.store, episode, options, out=Path(out) if out else None,
                      progress=progress, cancel=cancel)

    def import_edit(self, file: str | Path, *, dry_run: bool = False,
                    force: bool = False) -> EditImport:
        """Read back an edit of an exported episode (OTIO, .otioz, FCPXML, EDL): alternate takes
        become picks and trims are stored, in one transaction; removals and moves are reported.
        A shot picked anew since the export the edit was made from is left alone unless
        `force`. `dry_run` lists the same changes and writes nothing."""
        if not dry_run:
            self.require_writable("import the edit")
        return import_edit(self.store, Path(file), dry_run=dry_run, force=force)

    # -- health (see projects/doctor.py) ----------------------------------------------------

    def doctor(self, *, repair: bool = True) -> Checkup:
        """What is wrong with the project (a damaged file, stored values that do not read,
        takes without their file, renders that died, leftovers), and unless `repair` is False
        the repair of what can be repaired, after a backup of the database."""
        if repair:
            self.require_writable("doctor")
        return run_doctor(self.store, repair=repair)

    # -- shot-list editing (see projects/editing.py) --------------------------------------

    @_writes
    def split_shot(self, shot_id: str, *, at_line: int | None = None) -> tuple[Shot, Shot]:
        return editing.split_shot(self.store, shot_id, at_line=at_line)

    @_writes
    def merge_with_next(self, shot_id: str) -> Shot:
        return editing.merge_with_next(self.store, shot_id)

    @_writes
    def insert_shot_after(self, shot_id: str) -> Shot:
        return editing.insert_shot_after(self.store, shot_id)

    @_writes
    def delete_shot(self, shot_id: str) -> None:
        editing.delete_shot(self.store, shot_id)

    @_writes
    def move_shot(self, shot_id: str, step: int) -> Shot:
        return editing.move_shot(self.store, shot_id, step)

    @_writes
    def set_keyframe(self, shot_id: str, which: str, image: str | Path | None, *,
                     chain_previous: bool = False) -> Shot:
        return editing.set_keyframe(self.store, shot_id, which, image, chain_previous=chain_previous)


__all__ = [
    "Draw", "ImportReport", "Project", "ReferenceAdded", "ReferenceCheck", "ReferenceRefused",
    "ShotcraftError", "TakeView", "Totals",
]
