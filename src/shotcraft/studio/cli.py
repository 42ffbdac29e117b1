"""The `shotcraft` command line: a few lines per command over the Project facade.

Every command runs through `_handled`: an error a user can cause (a ShotcraftError, or what
`user_error` translates: a locked, read-only or damaged database, a full disk, a denied or
missing path) is one sentence on stderr and exit 1; anything else is a bug, said as such in
one line (the traceback with SHOTCRAFT_DEBUG=1). Usage errors stay typer's: exit 2.
"""

from __future__ import annotations

import functools
import inspect
import json
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text
from typer.exceptions import TyperException

from shotcraft.assembly.speech import engine_names as speech_engine_names
from shotcraft.engine.executors import executor_names
from shotcraft.engine.registry import engine_names
from shotcraft.projects import Interruption, Project, finding
from shotcraft.projects.draw import DRAW_OPTIONS, Draw, DrawUsageError
from shotcraft.projects.draw.request import usage_line
from shotcraft.projects.draw.sequence import SequencePlan
from shotcraft.projects.limits import check_episode, check_takes
from shotcraft.projects.settings import project_file, settings_of, user_config_file
from shotcraft.shots.errors import ShotcraftError, SpecError, details, user_error
from shotcraft.shots.models import TakeKind
from shotcraft.shots.redact import clean, install_log_redaction, install_warning_sentences
from shotcraft.shots.settings import GeneralSettings
from shotcraft.storyboard.formats import names as script_format_names
from shotcraft.studio.demo import run_demo
from shotcraft.studio.options import export_declarations, export_request
from shotcraft.studio.player import CannotPlay
from shotcraft.studio.player import play as play_file
from shotcraft.studio.progress import ExportProgress, ImportProgress, RenderProgress
from shotcraft.studio.shot_fields import (
    parse_angle,
    parse_camera,
    parse_characters,
    parse_duration,
    parse_kind,
    parse_size,
    shot_lines,
)
from shotcraft.studio.views import (
    agreement_sentence,
    export_json,
    import_lines,
    left_out_sentence,
    plan_json,
    print_export_summary,
    ranker_json,
    shot_json,
    shots_json,
    stats_json,
    stats_lines,
    takes_json,
    until_json,
)

app = typer.Typer(
    name="shotcraft",
    help="A keyboard-first studio for AI short drama: script → storyboard → takes → episode.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)
T = TypeVar("T")

DirArg = Annotated[Path, typer.Argument(help="The project folder.", show_default=False)]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print stable JSON instead of a table.")]


def command(*args: Any, **kwargs: Any) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """`@app.command(...)` for a body that runs through `_handled`."""
    def register(function: Callable[..., T]) -> Callable[..., T]:
        return app.command(*args, **kwargs)(_handled(function))

    return register


def _handled(function: Callable[..., T]) -> Callable[..., T]:
    @functools.wraps(function)
    def body(*args: Any, **kwargs: Any) -> T:
        install_log_redaction()  # a library's log line never shows a key or a password
        install_warning_sentences(_say_warning)
        previous = _catch_stop_signals()
        try:
            return function(*args, **kwargs)
        except (typer.Exit, typer.Abort, TyperException):
            raise  # typer.Exit codes and usage errors (exit 2) are typer's to report
        except KeyboardInterrupt as stop:
            number = getattr(stop, "signal", signal.SIGINT)
            name = "SIGTERM" if number == signal.SIGTERM else "interrupted"
            err.print(f"{'stopped (SIGTERM)' if name == 'SIGTERM' else name}; finished takes "
                      "are kept, run the command again to go on.")
            raise typer.Exit(128 + int(number)) from None
        except Exception as exc:  # noqa: BLE001 - every error ends in one sentence or a bug line
            fail(exc, project=kwargs.get("directory"))
        finally:
            _close_opened()
            _restore_signals(previous)

    return body


class Stopped(KeyboardInterrupt):
    """SIGTERM (or Ctrl-C) outside a draw: raised in the main thread, so every `finally`
    (temp files, locks, ffmpeg children) runs before the command exits."""

    def __init__(self, number: int) -> None:
        super().__init__(number)
        self.signal = number


_drawing: list[threading.Event] = []  # the cancel events of the draws and exports running now
_stopped_by: list[int] = []  # the signal that stopped them


def _on_stop_signal(number: int, _frame: Any) -> None:
    """SIGTERM or Ctrl-C: a draw winds down (its takes go back to the queue) within seconds;
    anything else stops at once."""
    if _drawing:
        _stopped_by.append(number)
        for cancel in _drawing:
            cancel.set()
        return
    raise Stopped(number)


def _catch_stop_signals() -> dict[int, Any]:
    _stopped_by.clear()
    if threading.current_thread() is not threading.main_thread():
        return {}
    previous: dict[int, Any] = {}
    for number in (signal.SIGTERM, signal.SIGINT):
        previous[number] = signal.signal(number, _on_stop_signal)
    return previous


def _restore_signals(previous: dict[int, Any]) -> None:
    for number, handler in previous.items():
        signal.signal(number, handler)


def _say_warning(sentence: str) -> None:
    err.print(Text.assemble(("warning:", "yellow"), f" {sentence}"))


def fail(exc: Exception, *, project: Path | None = None) -> NoReturn:
    """Say `exc` in one line on stderr and exit 1; with SHOTCRAFT_DEBUG, the details too."""
    try:
        debug = bool(GeneralSettings().debug)  # SHOTCRAFT_DEBUG
    except ShotcraftError:
        debug = False  # a broken setting is the error being said, not a reason to hide it
    error = user_error(exc, project=project)
    if error is None:
        if debug:
            raise exc  # a bug: the traceback is what a report needs
        line = (f"shotcraft hit a bug ({type(exc).__name__}: {clean(exc)}); run again with "
                "SHOTCRAFT_DEBUG=1 for the traceback and report it.")
    else:
        line = clean(error.message)  # may quote a provider: no escapes, no secrets
    # Text, not markup: a message may quote a script line with "[" in it
    err.print(Text.assemble(("error: ", "bold red"), line))
    if debug and error is not None:
        err.print(Text(details(error)))
    raise typer.Exit(1) from None


_opened: list[Project] = []  # projects a command opened; closed when the command ends


def _close_opened() -> None:
    # a connection left open past its command keeps SQLite's per-file state (WAL index) alive
    # in this process, and the next command on the same folder would read through it
    while _opened:
        _opened.pop().close()


def _open(directory: Path) -> Project:
    project = Project.open(directory)
    _opened.append(project)
    if project.upgrade is not None:
        err.print(Text(f"{directory}: {project.upgrade.sentence()}"), style="yellow")
    return project


def _with_export_options(function: Callable[..., T]) -> Callable[..., T]:
    """Give the export command one flag per declared export option (studio.options: the same
    declarations build the studio's export screen), passed on as `values`: a new option, or a
    new format's, needs no code here."""
    declared = export_declarations()
    signature = inspect.signature(function, eval_str=True)
    params = [p for p in signature.parameters.values() if p.name != "values"]
    for option in declared:
        kind = option.kind
        flags = option.flags()
        annotation: Any
        if kind == "bool":
            annotation = Annotated[bool, typer.Option(*flags, help=option.help)]
        elif kind == "switch":
            annotation = Annotated[bool, typer.Option(option.flag, help=option.help)]
        elif kind in ("formats", "many"):
            annotation = Annotated[list[str] | None, typer.Option(*flags, help=option.help,
                                                                  show_default=False)]
        else:
            python = {"path": Path, "int": int, "float": float}.get(kind, str)
            annotation = Annotated[python | None, typer.Option(  # type: ignore[valid-type]
                *flags, help=option.help, show_default=option.default is not None)]
        default = option.default if kind in ("bool", "switch", "choice", "text") else None
        params.append(inspect.Parameter(option.name, inspect.Parameter.KEYWORD_ONLY,
                                        default=default, annotation=annotation))

    @functools.wraps(function)
    def body(*args: Any, **kwargs: Any) -> T:
        given = {option.name: kwargs.pop(option.name) for option in declared
                 if option.name in kwargs}
        return function(*args, values=given, **kwargs)

    body.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
    body.__annotations__ = {p.name: p.annotation for p in params}
    return body


@command()
def new(
    directory: DirArg,
    title: Annotated[str | None, typer.Option("--title", help="Project title (default: folder name).")] = None,
    aspect: Annotated[str, typer.Option("--aspect", help="Frame aspect: 9:16, 16:9 or 1:1.")] = "9:16",
    fps: Annotated[int, typer.Option("--fps", help="Frames per second of every episode.")] = 30,
) -> None:
    """Create a project folder."""
    project = Project.create(directory, title=title, aspect=aspect, fps=fps)
    _opened.append(project)
    out.print(Text.assemble("created project ", (project.title, "bold"),
                            f" in {project.root} ({aspect}, {fps} fps)"))


MaxStretch = Annotated[float | None, typer.Option(
    "--max-stretch", help="The most a shot may grow to fit its lines, as a factor of its length "
    "(default 1.5); a line still too long is cut, and said.", show_default=False)]


@command("import")
def import_(
    directory: DirArg,
    script: Annotated[Path, typer.Argument(help="A Fountain (.fountain) or Chinese 剧本 (.txt/.md) script.")],
    format: Annotated[str | None, typer.Option("--format", metavar="NAME", help=f"The script format (default: detect); installed: {', '.join(script_format_names())}.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what would be read and done; save nothing.")] = False,
    assist: Annotated[str | None, typer.Option(
        "--assist", help="llm: have an OpenAI-compatible model (SHOTCRAFT_LLM_BASE_URL, _MODEL, "
                         "_API_KEY) rewrite a text the rules cannot read into the 剧本 layout first.",
        show_default=False)] = None,
    fit_voices: Annotated[bool, typer.Option("--fit-voices", help="Time each dialogue shot by its lines as the characters' voices speak them (shots nobody edited).")] = False,
    max_stretch: MaxStretch = None,
    as_json: JsonOpt = False,
) -> None:
    """Parse a script and break it down into shots (re-import keeps takes of unchanged shots).

    Prints what was read (episodes, scenes, characters, speakers no cast list names) and warnings
    for what looks wrong; --dry-run prints it without saving anything."""
    if max_stretch is not None and not fit_voices:
        err.print(Text("usage: --max-stretch goes with --fit-voices (or shotcraft fit)"))
        raise typer.Exit(2)
    if fit_voices and dry_run:
        err.print(Text("usage: --fit-voices changes the shots' lengths, so it cannot go with "
                       "--dry-run (shotcraft fit --dry-run shows them after an import)"))
        raise typer.Exit(2)
    project = _open(directory)
    with ImportProgress(err) as bar:  # shown only if the import runs over a second
        if dry_run:
            report = project.read_script(script, format=format, assist=assist, progress=bar.update)
        else:
            report = project.import_script(script, format=format, assist=assist, progress=bar.update,
                                           fit_voices=fit_voices, max_stretch=max_stretch)
    if as_json:
        shape = report.model_dump(mode="json", exclude={"fitted"})
        shape["fitted"] = report.fitted.as_json() if report.fitted is not None else None
        print(json.dumps(shape, ensure_ascii=False, indent=2))
        return
    for line, style in import_lines(report):
        out.print(Text(line, style=style or ""))
    if report.fitted is not None:
        fitted = report.fitted
        shorter = sum(c.new_frames < c.old_frames for c in fitted.changes if not c.trimmed)
        longer = sum(c.new_frames > c.old_frames for c in fitted.changes if not c.trimmed)
        out.print(Text(f"timed {shorter + longer} dialogue shots by the voices ({shorter} shorter, "
                       f"{longer} longer, at most ×{fitted.max_stretch:g})"))
        _print_cuts(fitted.cut_after)


def _print_cuts(cut: list[Any]) -> None:
    """Each line the voice track will cut, as a warning, and the seconds lost in all."""
    for line in cut:
        err.print(Text.assemble(("warning:", "yellow"), f" {line.sentence()}."))
    if cut:
        lost = sum(line.lost_seconds for line in cut)
        err.print(Text.assemble(("warning:", "yellow"),
                                f" {len(cut)} line{'s' if len(cut) > 1 else ''} cut, "
                                f"{lost:.1f} s lost in all."))


@command()
def shots(
    directory: DirArg,
    episode: Annotated[int | None, typer.Option("--episode", help="Only this episode.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List the storyboard: episodes, scenes and shots."""
    project = _open(directory)
    board = project.storyboard(episode=episode)
    totals = project.totals_by_shot(episode=episode)
    if as_json:
        print(json.dumps(shots_json(board, totals), ensure_ascii=False, indent=2))
        return
    for ep in board.episodes:
        out.print(Text.assemble((f"Episode {ep.number}", "bold"), f" — {ep.title}" if ep.title else ""))
        table = Table(show_edge=False, pad_edge=False)
        # credits spent per shot, where any were (cloud engines); previz-only boards stay narrow
        priced = any(t.credits for t in totals.values())
        # ids, numbers and moves never wrap or shrink; the script's words give way
        ids = max((len(s.id) for sc in ep.scenes for s in sc.shots), default=5)
        fixed = {"shot": max(ids, len(ep.scenes[0].id) if ep.scenes else 4), "size": 7,
                 "camera": 6, "sec": 4, "takes": 5, "pick": 4, "credits": 7}
        for column in ("shot", "size", "camera", "sec", "who", "what", "takes", "pick",
                       *(("credits",) if priced else ())):
            if column in fixed:
                table.add_column(column, no_wrap=True, min_width=fixed[column])
            else:
                table.add_column(column)
        for scene in ep.scenes:
            table.add_row(Text(scene.id, style="dim"), "", "", "", "", Text(scene.heading, style="dim"),
                          "", "", *(("",) if priced else ()))
            for shot in scene.shots:
                total = totals.get(shot.id)
                # Text cells: names and words are the script's, never markup
                table.add_row(
                    shot.id, shot.framing, shot.camera.move.value,
                    f"{shot.duration_frames / board.fps:.1f}", Text(", ".join(shot.characters)),
                    Text(_summary(shot)), f"{total.takes_done if total else 0}",
                    str(shot.picked_take or ""),
                    *((f"{total.credits:g}" if total and total.credits else "",) if priced else ()),
                )
        out.print(table)
        if priced:
            spent = sum(totals[s.id].credits for sc in ep.scenes for s in sc.shots if s.id in totals)
            out.print(f"episode {ep.number}: credits {spent:g}")
    episode_totals = project.totals(episode=episode)
    out.print(f"takes done {episode_totals.takes_done}, queued {episode_totals.takes_queued}, "
              f"failed {episode_totals.takes_failed}; compute {episode_totals.seconds:.1f} s, "
              f"credits {episode_totals.credits:g}")


def _summary(shot: Any, width: int = 40) -> str:
    if shot.dialogue:
        line = shot.dialogue[0]
        text = f"{line.speaker}: {line.text}"
    else:
        text = shot.action or shot.kind.value
    return text if len(text) <= width else text[: width - 1] + "…"


@command()
def shot(
    directory: DirArg,
    shot_id: Annotated[str, typer.Argument(help="The shot, e.g. E01-S02-003.", show_default=False)],
    size: Annotated[str | None, typer.Option("--size", help="EWS, WS, MS, MCU, CU or ECU.", show_default=False)] = None,
    kind: Annotated[str | None, typer.Option("--kind", help="The framing: ots (over the shoulder), two_shot (2S), insert (INS), dialogue, action, reaction, establishing, title.", show_default=False)] = None,
    camera: Annotated[str | None, typer.Option("--camera", help="MOVE[:INTENSITY], e.g. handheld, dolly_in:0.3, pan_left:0.8 (intensity 0-1).", show_default=False)] = None,
    angle: Annotated[str | None, typer.Option("--angle", help="eye, high, low, overhead, pov or dutch.", show_default=False)] = None,
    duration: Annotated[float | None, typer.Option("--duration", help="Length in seconds (stored as frames at the project's fps).", show_default=False)] = None,
    characters: Annotated[str | None, typer.Option("--characters", help="Who is in frame, A,B (an OTS shot: the face first, the shoulder second; '' for nobody).", show_default=False)] = None,
    action: Annotated[str | None, typer.Option("--action", help="What happens in the shot.", show_default=False)] = None,
    prompt: Annotated[str | None, typer.Option("--prompt", help="Write the prompt by hand (kept as written from now on).", show_default=False)] = None,
    auto_prompt: Annotated[bool, typer.Option("--auto-prompt", help="Compose the prompt from the spec again (drops a hand-written one).")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Show a shot, or edit it as the studio's editor does (edits survive re-import; takes
    drawn before an edit become outdated)."""
    if prompt is not None and auto_prompt:
        err.print(Text("usage: shotcraft shot DIR SHOT_ID takes --prompt T or --auto-prompt, not both"))
        raise typer.Exit(2)
    project = _open(directory)
    current = project.shot(shot_id)
    changes: dict[str, Any] = {}
    if size is not None:
        changes["size"] = parse_size(size)
    if kind is not None:
        changes["kind"] = parse_kind(kind)
    if camera is not None:
        changes["camera"] = parse_camera(camera, current=current.camera)
    if angle is not None:
        changes["angle"] = parse_angle(angle)
    if duration is not None:
        changes["duration_frames"] = parse_duration(duration, project.fps)
    if characters is not None:
        changes["characters"] = parse_characters(characters)
    if action is not None:
        changes["action"] = action or None
    if prompt is not None:
        changes["prompt"] = prompt
    edited = project.update_shot(shot_id, auto_prompt=auto_prompt, **changes) if (
        changes or auto_prompt) else current
    views = project.takes(shot_id)
    if as_json:
        totals = project.totals(shot_id=shot_id)
        print(json.dumps({**shot_json(edited, totals, project.fps),
                          "scene_id": edited.scene_id, "edited": bool(changes or auto_prompt),
                          "takes_list": takes_json(project, views)},
                         ensure_ascii=False, indent=2))
        return
    scene = project.scene(edited.scene_id) if edited.scene_id else None
    for line in shot_lines(edited, project.fps, scene=scene, views=views):
        out.print(line)
    if changes or auto_prompt:
        stale = [v.take.number for v in views if v.outdated]
        if stale:
            err.print(Text.assemble(("note:", "yellow"), f" {len(stale)} take{'s' if len(stale) > 1 else ''} "
                                    f"drawn before this edit {'are' if len(stale) > 1 else 'is'} outdated; "
                                    "they rank below new takes and pick --auto leaves them."))


@command()
def characters(directory: DirArg, as_json: JsonOpt = False) -> None:
    """List the character bible, with the face check of each reference image."""
    project = _open(directory)
    people = project.characters()
    faces = project.character_faces()
    voices = {v.name: v for v in project.character_voices()}
    if as_json:
        print(json.dumps([
            {"name": c.name, "aliases": c.aliases,
             # appearance is what prompts use; biography never reaches one ("description" is
             # the appearance, kept for scripts written before the split)
             "appearance": c.appearance, "biography": c.biography, "description": c.appearance,
             "first_scene": c.first_scene, "ip_adapter_scale": c.ip_adapter_scale,
             # the voice it speaks with: set on it, or its default ("default": true)
             "voice": voices[c.name].as_json(),
             # measured: characters (zh) or words a second; null where that would be billed
             "rate": project.speaking_rate(voices[c.name]),
             # each reference with its face check, in the bible's order
             "references": [{"path": check.path, "faces": check.faces,
                             "usable": check.usable, "reason": check.reason}
                            for check in faces.get(c.name, [])]}
            for c in people
        ], ensure_ascii=False, indent=2))
        return
    table = Table(show_edge=False)
    for column in ("name", "aliases", "appearance", "biography", "refs", "first", "voice"):
        table.add_column(column)
    for c in people:
        table.add_row(Text(c.name), Text(", ".join(c.aliases)), Text(c.appearance or ""),
                      Text(c.biography or ""),
                      _refs_cell(faces.get(c.name, [])), Text(c.first_scene or ""),
                      Text(_voice_words(voices[c.name], project.speaking_rate(voices[c.name]),
                                        project.language)))
    out.print(table)


def _voice_words(entry: Any, rate: float | None = None, project_language: str = "zh") -> str:
    """"espeak cmn+f2, speed 1.25, pitch 70 (default), 4.96 characters a second": a voice in a
    table cell or a line, with its measured rate where known."""
    v = entry.voice
    language = f", {v.language}" if v.language else ""
    source = "default" if entry.default else "set"
    unit = "characters" if (v.language or project_language).startswith(("zh", "cmn")) else "words"
    speaks = f", {rate:.2f} {unit} a second" if rate is not None else ""
    return f"{v.engine} {v.voice}, speed {v.speed:g}, pitch {v.pitch}{language} ({source}){speaks}"


@command()
def voice(
    directory: DirArg,
    name: Annotated[str, typer.Argument(help="The character (name or alias).", show_default=False)],
    engine: Annotated[str | None, typer.Option("--engine", metavar="NAME", help=f"The speech engine; installed: {', '.join(speech_engine_names())}.")] = None,
    voice_id: Annotated[str | None, typer.Option("--voice", help="The engine's voice, e.g. cmn+f3 (espeak-ng LANGUAGE+VARIANT), genshin_vindi2 (kling), alloy (openai).")] = None,
    speed: Annotated[float | None, typer.Option("--speed", help="0.5-2.0; 1 is the voice's normal speed.")] = None,
    pitch: Annotated[int | None, typer.Option("--pitch", help="0-99; 50 is the voice's own pitch.")] = None,
    language: Annotated[str | None, typer.Option("--language", help="The language it speaks (zh, en, …).")] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Forget the voice set on it: it speaks in a default again.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Set the voice a character speaks with (edits survive re-import); with no option, show it."""
    project = _open(directory)
    fields = {"engine": engine, "voice": voice_id, "speed": speed, "pitch": pitch,
              "language": language}
    changes = {k: v for k, v in fields.items() if v is not None}
    if clear and changes:
        err.print(Text("usage: shotcraft voice DIR NAME --clear takes no other option"))
        raise typer.Exit(2)
    if clear:
        entry = project.clear_voice(name)
    elif changes:
        entry = project.set_voice(name, **changes)
    else:
        entry = project.character_voice(name)
    rate = project.speaking_rate(entry)
    if as_json:
        print(json.dumps({"name": entry.name, "voice": entry.as_json(), "rate": rate},
                         ensure_ascii=False, indent=2))
        return
    out.print(Text(f"{entry.name}: {_voice_words(entry, rate, project.language)}"))


def _refs_cell(checks: list[Any]) -> str:
    """"2 (1 usable)": references, and how many identity can use ("unchecked" without a model)."""
    if not checks:
        return "0"
    if all(check.faces is None for check in checks):
        return f"{len(checks)} (unchecked)"
    return f"{len(checks)} ({sum(check.usable for check in checks)} usable)"


@command()
def fit(
    directory: DirArg,
    episode: Annotated[int | None, typer.Option("--episode", help="Only this episode (default: every episode).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List the lines and the new lengths; change nothing.")] = False,
    max_stretch: MaxStretch = None,
    as_json: JsonOpt = False,
) -> None:
    """Lengthen the shots whose lines, spoken in the characters' voices, run past them (takes kept)."""
    project = _open(directory)
    report = project.fit(episode=episode, dry_run=dry_run, max_stretch=max_stretch)
    if as_json:
        print(json.dumps(report.as_json(), ensure_ascii=False, indent=2))
        return
    for line in report.lines:
        out.print(Text(line))
    for change in report.changes:
        old, new = change.old_frames / change.fps, change.new_frames / change.fps
        if change.trimmed:
            out.print(Text(f"{change.shot_id}: trimmed in an editor, left at {old:.1f} s; "
                           f"it needs {new:.1f} s."))
            continue
        verb = "would go" if report.dry_run else "goes"
        kept = {0: "no takes yet", 1: "its take kept"}.get(change.takes, f"its {change.takes} takes kept")
        held = (f"; its lines need {(change.needed_frames or 0) / change.fps:.1f} s, held at "
                f"×{report.max_stretch:g}") if change.capped else ""
        out.print(Text(f"{change.shot_id}: {verb} from {old:.1f} s to {new:.1f} s ({kept}{held})."))
    if not report.changes:
        out.print(Text("Every line fits its shot."))
    elif report.dry_run:
        out.print(Text("Dry run: nothing changed."))
    _print_cuts(report.cut_after)


@command("add-ref")
def add_ref(
    directory: DirArg,
    name: Annotated[str, typer.Argument(help="The character (name or alias).")],
    image: Annotated[Path | None, typer.Argument(help="A portrait showing exactly one clear face.", show_default=False)] = None,
    take: Annotated[int | None, typer.Option("--take", help="Use take N of the character's sheet (see render --character) instead of a file.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Keep an image the face check refuses; it is not used for identity.")] = False,
) -> None:
    """Add a reference image to a character, after checking it shows one clear face."""
    if (image is None) == (take is None):
        err.print(Text("usage: shotcraft add-ref DIR NAME IMAGE [--force], or shotcraft add-ref DIR NAME --take N [--force]"))
        raise typer.Exit(2)
    project = _open(directory)
    if take is not None:
        added = project.add_reference_from_take(name, take, force=force)
    else:
        assert image is not None
        added = project.add_reference(name, image, force=force)
    found = "" if added.check.faces is None else f" ({finding(added.check)})"
    out.print(Text(f"added {added.reference} to {added.character.name}{found}"))
    if added.note:
        err.print(Text.assemble(("note:", "yellow"), f" {added.note}"))
    if added.lookalike:
        err.print(Text.assemble(("warning:", "yellow"), f" {added.lookalike}"))
    _say_outdated(project, added.character.name)


@command("remove-ref")
def remove_ref(
    directory: DirArg,
    name: Annotated[str, typer.Argument(help="The character (name or alias).", show_default=False)],
    image: Annotated[str, typer.Argument(help="The reference as `characters` lists it (refs/…), its file name, or the image it was added from.", show_default=False)],
) -> None:
    """Remove a reference image from a character (the file stays in refs/)."""
    project = _open(directory)
    person = project.remove_reference(name, image)
    out.print(Text(f"removed {image} from {person.name}; {len(person.references)} "
                   f"reference{'s' if len(person.references) != 1 else ''} left"))
    _say_outdated(project, person.name)


def _say_outdated(project: Project, name: str) -> None:
    """After a character's references changed: how many drawn takes now show an old face."""
    theirs = {shot.id for shot in project.shots() if name in shot.characters}
    stale = sum(1 for shot_id, views in project.takes_by_shot().items() if shot_id in theirs
                for view in views if view.outdated)
    if stale:
        err.print(Text.assemble(("note:", "yellow"), f" {stale} take{'s' if stale > 1 else ''} "
                                f"drawn with {name}'s earlier references {'are' if stale > 1 else 'is'} "
                                "outdated now (see shotcraft takes)."))


@command()
def character(
    directory: DirArg,
    name: Annotated[str, typer.Argument(help="The character (name or alias).", show_default=False)],
    appearance: Annotated[str | None, typer.Option("--appearance", "--description", help="Face, hair, build, wardrobe: the only words of the bible prompts use.")] = None,
    biography: Annotated[str | None, typer.Option("--biography", help="Who they are (人物小传); never in a prompt.")] = None,
    ip_adapter_scale: Annotated[str | None, typer.Option("--ip-adapter-scale", help="How closely the diffusers keyframe stage follows this character's references, 0-1; 'default' goes back to the engine's setting.")] = None,
) -> None:
    """Edit a character (edits survive re-import); with no option, show it."""
    project = _open(directory)
    changes: dict[str, Any] = {}
    if appearance is not None:
        changes["appearance"] = appearance or None
    if biography is not None:
        changes["biography"] = biography or None
    if ip_adapter_scale is not None:
        changes["ip_adapter_scale"] = None if ip_adapter_scale == "default" else ip_adapter_scale
    person = project.update_character(name, **changes) if changes else project.character(name)
    scale = "default" if person.ip_adapter_scale is None else f"{person.ip_adapter_scale:g}"
    out.print(Text(f"{person.name}: {person.appearance or '(no appearance)'}; "
                   f"{len(person.references)} references, IP-Adapter scale {scale}"))
    if person.biography:
        out.print(Text(f"biography (never in a prompt): {person.biography}"))


def _with_draw_options(function: Callable[..., T]) -> Callable[..., T]:
    """Give a command one flag per option a draw declares (`projects.draw.DRAW_OPTIONS`: flag,
    type, help), passed on as `draw_options`: the flags, their help and the usage lines come
    from the one declaration the studio and the review page use too."""
    signature = inspect.signature(function, eval_str=True)
    own = [p for p in signature.parameters.values() if p.name != "draw_options"]
    params, after = own[:1], own[1:]  # the project folder first, the command's own flags last
    types: dict[str, Any] = {"str": str | None, "strs": list[str] | None, "int": int | None,
                             "float": float | None, "bool": bool}
    installed = {"engines": engine_names, "executors": executor_names}
    for option in DRAW_OPTIONS:
        help_text = option.help
        if option.choices:
            help_text += f" Installed: {', '.join(installed[option.choices]())}."
        settings: dict[str, Any] = {"help": help_text, "show_default": False}
        if option.metavar:
            settings["metavar"] = option.metavar
        annotation = Annotated[types[option.type], typer.Option(option.flag, **settings)]  # type: ignore[valid-type,name-defined]
        params.append(inspect.Parameter(
            option.name, inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=annotation,
            default=False if option.type == "bool" else None))
    params += after

    @functools.wraps(function)
    def body(*args: Any, **kwargs: Any) -> T:
        given = {option.name: kwargs.pop(option.name, None) for option in DRAW_OPTIONS}
        return function(*args, draw_options=given, **kwargs)

    body.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
    body.__annotations__ = {p.name: p.annotation for p in params}
    return body


@command()
@_with_draw_options
def render(
    directory: DirArg,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the plan (takes per shot, engine, downgrades, estimated cost) and draw nothing.")] = False,
    as_json: JsonOpt = False,
    draw_options: dict[str, Any] | None = None,  # the draw's own flags (_with_draw_options)
) -> None:
    """Draw takes (card draw): plan N seeded takes per shot, queue them and render them."""
    try:  # checked before the project is opened: a refusal is the only line on stderr
        draw = Draw.from_options(draw_options or {})
    except DrawUsageError as usage:
        err.print(Text(f"usage: {usage_line(usage.kind)}; {usage.message}"))
        raise typer.Exit(2) from None
    if as_json and not dry_run and draw.what != "until":
        raise SpecError("--json prints the plan; use it with --dry-run.", field="json")
    project = _open(directory)
    if dry_run:
        plan = project.plan(draw)
        for note in plan.skipped:
            err.print(Text.assemble(("skipped:", "yellow"), f" {note}"))
        if draw.what == "lipsync" and not plan.shots:
            out.print(f"no shot of episode {draw.episode} to lip-sync.")
            return
        if isinstance(plan, SequencePlan):
            _print_sequence_plan(plan, as_json=as_json)
            return
        _print_plan(plan, as_json=as_json)
        return
    summary = _with_progress(project, draw)
    for note in summary.plan.skipped if summary.plan else []:
        err.print(Text.assemble(("skipped:", "yellow"), f" {note}"))
    if draw.what == "lipsync":
        _report_lipsync(project, draw, summary)
    elif draw.what == "until":
        _report_until(draw, summary, as_json=as_json)
    elif draw.what == "sequence":
        _report_sequence(summary)
    else:
        _report_draw(directory, draw, summary)
    if summary.failed and not summary.done:
        raise typer.Exit(1)


def _report_draw(directory: Path, draw: Draw, summary: Any) -> None:
    for note in summary.budget_notes:
        err.print(Text.assemble(("budget:", "yellow"), f" {note}"))
    if summary.resumed:
        out.print(f"resumed {summary.resumed} interrupted takes")
    where = "" if summary.executor == "local" else f" on {summary.executor}"
    out.print(f"drew {summary.done} takes, {summary.failed} failed, in {summary.seconds:.1f} s{where}")
    for result in summary.results:
        if result.status != "done":
            err.print(Text(f"  {result.shot_id} take {result.take}: {result.reason}"))
    if draw.what == "sheet" and summary.done:
        out.print(Text(f"list them with: shotcraft takes {directory} --character {draw.character}"))


def _print_sequence_plan(plan: SequencePlan, *, as_json: bool) -> None:
    """`render --sequence … --dry-run`: the shots, the one clip they come from, the cost."""
    if as_json:  # the plan every draw prints, and the clip's own numbers
        data = plan_json(plan) | {
            "shot_ids": plan.shot_ids, "take_numbers": plan.take_numbers, "seed": plan.seed,
            "frames": plan.frames, "width": plan.width, "height": plan.height, "fps": plan.fps,
            "clip_frames": plan.clip_frames, "cuts": plan.cuts, "downgrades": plan.downgrades}
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return
    cost = "no credits" if plan.credits is None else f"{plan.credits:g} credits"
    shots = ", ".join(f"{s} take {plan.take_numbers[s]} ({plan.frames[s]} frames)"
                      for s in plan.shot_ids)
    out.print(Text(f"plan: {len(plan.shot_ids)} shots as one {plan.width}×{plan.height} clip "
                   f"on {plan.engine} ({plan.clip_frames} frames at {plan.fps:g} fps, seed "
                   f"{plan.seed}): {shots}; estimated cost {cost}. Nothing was queued "
                   "(--dry-run)."))
    for note in plan.downgrades:
        err.print(Text.assemble(("downgrade:", "yellow"), f" {note}"))


def _report_sequence(summary: Any) -> None:
    """`render --sequence`: each shot's take from the one clip, or why it has none."""
    for note in summary.budget_notes:
        err.print(Text.assemble(("budget:", "yellow"), f" {note}"))
    if summary.resumed:
        out.print("resumed the sequence left from an earlier run")
    for result in summary.results:
        if result.status == "done":
            out.print(Text(f"{result.shot_id} take {result.take}: drawn in the sequence"))
        else:
            err.print(Text(f"  {result.shot_id} take {result.take}: {result.reason}"))
    if summary.message:
        err.print(Text(summary.message))
    out.print(f"drew {summary.done} takes from one clip, {summary.failed} failed")


def _report_lipsync(project: Project, draw: Draw, summary: Any) -> None:
    """Each lip-sync take with its mouth check; the shots an episode left out were said."""
    if draw.episode is not None and not (summary.plan and summary.plan.shots):
        out.print(f"no shot of episode {draw.episode} to lip-sync.")
        return
    for note in summary.budget_notes:
        err.print(Text.assemble(("budget:", "yellow"), f" {note}"))
    for result in summary.results:
        if result.status == "done":
            take = next(v.take for v in project.takes(result.shot_id)
                        if v.take.number == result.take)
            sync = take.scores.get("lipsync")
            said = f" (mouth sync {sync:.2f})" if sync is not None else ""
            out.print(Text(f"{result.shot_id} take {result.take}: lip-sync of take "
                           f"{take.parent_take}{said}"))
        else:
            err.print(Text(f"  {result.shot_id} take {result.take}: {result.reason}"))
    out.print(f"drew {summary.done} lip-sync takes, {summary.failed} failed")


def _with_progress(project: Project, draw: Draw) -> Any:
    """`project.draw(draw)` under the progress bars. A stop (SIGTERM, Ctrl-C) puts the takes in
    flight back in the queue (an Interruption), finished takes are kept, and the command says
    so and exits 128 + the signal's number."""
    project.require_writable("render")  # before the bars start
    cancel = Interruption()
    _drawing.append(cancel)
    try:
        with RenderProgress(err) as bar:
            summary = project.draw(draw, on_event=bar.update, cancel=cancel)
    finally:
        _drawing.remove(cancel)
    if cancel.is_set() and _stopped_by:
        number = _stopped_by.pop()
        back = getattr(summary, "interrupted", 0)
        why = "SIGTERM" if number == signal.SIGTERM else "Ctrl-C"
        count = f"{back} takes" if back else "the takes"
        again = f"shotcraft render {project.root}" + (
            f" --sequence {draw.sequence}" if draw.what == "sequence" else "")
        err.print(Text(f"stopped by {why}: {count} being drawn went back to the queue; finished "
                       f"takes are kept. Run `{again}` to draw them."))
        raise typer.Exit(128 + int(number))
    return summary


def _report_until(draw: Draw, summary: Any, *, as_json: bool) -> None:
    """`render --until SCORE`: the rule that stopped each shot."""
    if as_json:
        print(json.dumps(until_json(summary), ensure_ascii=False, indent=2))
    else:
        if not summary.shots:
            where = f"episode {draw.episode}" if draw.episode is not None else "this project"
            out.print(f"every shot of {where} has a pick; nothing to draw.")
        for stop in summary.shots:
            out.print(Text(stop.sentence))
        where = "" if summary.executor == "local" else f" on {summary.executor}"
        out.print(f"drew {summary.done} takes, {summary.failed} failed, in "
                  f"{summary.seconds:.1f} s{where}")
    for note in summary.budget_notes:
        err.print(Text.assemble(("budget:", "yellow"), f" {note}"))


def _print_plan(plan: Any, *, as_json: bool) -> None:
    """`render --dry-run`: what would be drawn and spent (with --until: at most that)."""
    until = (plan.until, plan.max_takes) if plan.until is not None else None
    if as_json:
        data = plan_json(plan)
        if until is not None:  # takes and credits are upper bounds: shots stop when one is good
            data.update(upper_bound=True, until=until[0], max_takes=until[1])
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return
    table = Table(show_edge=False)
    for column in ("shot", "takes", "numbers", "seeds", "size", "credits"):
        table.add_column(column, no_wrap=True)
    table.add_column("notes", overflow="fold", min_width=5)  # downgrades and budget caps; gives way
    for entry in plan.shots:
        if not entry.takes and not entry.notes:
            continue
        numbers = f"{entry.take_numbers[0]}–{entry.take_numbers[-1]}" if entry.take_numbers else ""
        seeds = f"{entry.seeds[0]}–{entry.seeds[-1]}" if entry.seeds else ""
        credits = "" if entry.credits is None else f"{entry.credits:g}"
        table.add_row(Text(entry.shot_id), str(entry.takes), numbers, seeds,
                      f"{entry.width}×{entry.height}" if entry.takes else "", credits,
                      Text("; ".join([*entry.downgrades, *entry.notes])))
    out.print(table)
    cost = "no credits (compute on this machine)" if plan.credits is None else f"{plan.credits:g} credits"
    resumed = f", plus {plan.resumed} interrupted takes to resume" if plan.resumed else ""
    if until is not None:
        out.print(Text(f"plan: at most {plan.takes} takes on {plan.engine} (each shot stops at its "
                       f"first take scoring at least {until[0]:g}, or at {until[1]} takes); "
                       f"estimated cost {'at most ' if plan.credits else ''}{cost}. "
                       "Nothing was queued (--dry-run)."))
        return
    out.print(Text(f"plan: {plan.takes} takes on {plan.engine}{resumed}; estimated cost {cost}. "
                   "Nothing was queued (--dry-run)."))


@command("add-take")
def add_take(
    directory: DirArg,
    shot_id: Annotated[str, typer.Argument(help="The shot, e.g. E01-S02-003.")],
    file: Annotated[Path, typer.Argument(help="A video (or still) drawn elsewhere.")],
) -> None:
    """Import a clip drawn elsewhere (e.g. the Kling web app) as a take of a shot."""
    take = _open(directory).add_take(shot_id, file)
    out.print(Text(f"added take {take.number} to {shot_id} (score {take.score:.2f})" if take.score is not None
                   else f"added take {take.number} to {shot_id}"))


@command()
def takes(
    directory: DirArg,
    shot_id: Annotated[str | None, typer.Argument(help="The shot, e.g. E01-S02-003 (or a sheet, SHEET-<name>).", show_default=False)] = None,
    character: Annotated[str | None, typer.Option("--character", help="The takes of this character's sheet (see render --character).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List a shot's takes with rank, scores, status, seed, engine and file."""
    if (shot_id is None) == (character is None):
        err.print(Text("usage: shotcraft takes DIR SHOT_ID, or shotcraft takes DIR --character NAME"))
        raise typer.Exit(2)
    project = _open(directory)
    if character is not None:
        shot_id = project.sheet_id(character)
    assert shot_id is not None
    views = project.takes(shot_id)
    if as_json:
        print(json.dumps(takes_json(project, views), ensure_ascii=False, indent=2))
        return
    table = Table(show_edge=False)
    # a reject's reason is read in full ("rejected: continuity"); a failure's may give way
    reasons = [len(f"rejected: {v.take.reject_reason.value}") for v in views if v.take.reject_reason]
    reasons += [len(f"done lip-sync of {v.take.parent_take} ★") for v in views if v.take.parent_take]
    reasons += [len("done ★ · outdated") for v in views if v.outdated]
    widths = {"weakest": 14, "status": max([12, *reasons]), "seed": 7, "engine": 9}
    for column in ("take", "rank", "score", "identity", "weakest", "status", "seed", "engine", "sec"):
        table.add_column(column, no_wrap=True, min_width=widths.get(column, len(column)))
    # the store path is long and the least read: it is the column that gives way
    table.add_column("file", overflow="ellipsis", no_wrap=True, max_width=22)
    for view in sorted(views, key=lambda v: (v.rank is None, v.rank or 0, v.take.number)):
        take = view.take
        status = take.status.value + (f": {take.reject_reason.value}" if take.reject_reason else "")
        status += f" ({take.reason})" if take.reason else ""
        if take.kind is TakeKind.KEYFRAME:
            status += " still"
        if take.kind is TakeKind.LIPSYNC:
            status += f" lip-sync of {take.parent_take}"
        if view.picked:
            status += " ★"
        if view.outdated:
            status += " · outdated"
        table.add_row(
            str(take.number), str(view.rank or ""),
            f"{take.score:.2f}" if take.score is not None else "",
            f"{take.scores['identity']:.2f}" if "identity" in take.scores else "·",
            _weakest(take.scores), Text(status),
            str(take.seed if take.seed is not None else ""), Text(take.engine),
            f"{take.duration_frames / project.fps:.1f}" if take.duration_frames else "",
            Text(take.media_path or ""),
        )
    out.print(table)
    if any(v.fixed_score != v.take.score for v in views):
        out.print(Text(f"scores are the learned weights' totals (see shotcraft ranker {directory})"))
    best = next((v for v in views if v.rank == 1 and v.take.kind is TakeKind.VIDEO), None)
    if best is not None and best.explanations.get("identity"):
        out.print(Text(f"identity of take {best.take.number}: {best.explanations['identity']}"))
    for view in views:  # the mouth check of each lip-sync take, in its own words
        if view.take.kind is TakeKind.LIPSYNC and view.explanations.get("lipsync"):
            out.print(Text(f"take {view.take.number}: {view.explanations['lipsync']}"))
    for view in views:  # what no longer matches: the shot was edited, or a face changed
        if view.outdated:
            out.print(Text(f"take {view.take.number} is outdated: {', '.join(view.outdated)} "
                           "changed since it was drawn; it ranks below current takes and "
                           "pick --auto leaves it.", style="yellow"))
    totals = project.totals(shot_id=shot_id)
    out.print(f"{totals.takes_done} done, {totals.takes_queued} queued, {totals.takes_failed} failed; "
              f"compute {totals.seconds:.1f} s, credits {totals.credits:g}")


def _weakest(scores: dict[str, float]) -> str:
    """The metric that holds a take back most, e.g. "frozen 0.26" (blank when all are fine)."""
    if not scores:
        return ""
    name, value = min(scores.items(), key=lambda item: item[1])
    return f"{name} {value:.2f}" if value < 0.9 else ""


@command()
def rescore(
    directory: DirArg,
    shot: Annotated[list[str] | None, typer.Option("--shot", help="Shot id (repeatable; default: every shot).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Score finished takes again, e.g. after adding a reference or installing the face model."""
    project = _open(directory)
    project.require_writable("rescore")
    note = project.reference_model_note()
    if note:
        err.print(Text(note))

    def report(done: int, total: int, result: Any) -> None:
        if not as_json:
            change = result.error or _score_change(result.before, result.after)
            err.print(Text(f"[{done}/{total}] {result.shot_id} take {result.take}: {change}"),
                      highlight=False)

    results = project.rescore(shot_ids=shot or None, progress=report)
    if as_json:
        print(json.dumps([r.model_dump() for r in results], ensure_ascii=False, indent=2))
        return
    failed = [r for r in results if r.error]
    changed = sum(1 for r in results if not r.error and (
        r.before is None or abs((r.after or 0.0) - r.before) >= 0.005))
    out.print(f"rescored {len(results) - len(failed)} takes; {changed} changed"
              + (f"; {len(failed)} could not be read and keep their scores" if failed else ""))
    if failed and len(failed) == len(results):
        raise typer.Exit(1)


def _score_change(before: float | None, after: float | None) -> str:
    if after is None:
        return "not scored"
    return f"{after:.2f}" if before is None else f"{before:.2f} → {after:.2f}"


@command()
def pick(
    directory: DirArg,
    shot_id: Annotated[str | None, typer.Argument(help="The shot.")] = None,
    take: Annotated[int | None, typer.Argument(help="The take number.")] = None,
    auto: Annotated[bool, typer.Option("--auto", help="Pick the top-ranked take of every shot without a pick.")] = False,
    episode: Annotated[int | None, typer.Option("--episode", help="With --auto: only this episode.")] = None,
) -> None:
    """Pick a take for a shot, or --auto pick the top-ranked take everywhere."""
    if auto == (shot_id is not None):
        err.print(Text("usage: shotcraft pick DIR SHOT_ID TAKE_NO, or shotcraft pick DIR --auto [--episode N]"))
        raise typer.Exit(2)
    if auto:
        result = _open(directory).auto_pick(episode=episode)
        out.print(f"picked {len(result.picked)} shots")
        for note in result.notes:
            out.print(Text(note))
        return
    if take is None:
        err.print(Text("usage: shotcraft pick DIR SHOT_ID TAKE_NO"))
        raise typer.Exit(2)
    _open(directory).pick(shot_id or "", take)
    out.print(Text(f"picked take {take} for {shot_id}"))


@command()
def reject(
    directory: DirArg,
    shot_id: Annotated[str, typer.Argument(help="The shot, e.g. E01-S02-003.", show_default=False)],
    take: Annotated[int, typer.Argument(help="The take number.", show_default=False)],
    reason: Annotated[str | None, typer.Option("--reason", help="Why: face, hands, body, motion, continuity, artefact or other.", show_default=False)] = None,
    undo: Annotated[bool, typer.Option("--undo", help="Take the reject back: the take is done and pickable again.")] = False,
) -> None:
    """Reject a take (it stays on disk but never ranks or gets picked), saying why with --reason."""
    if undo and reason is not None:
        err.print(Text("usage: shotcraft reject DIR SHOT_ID TAKE_NO [--reason R], or --undo without --reason"))
        raise typer.Exit(2)
    project = _open(directory)
    if undo:
        project.unreject(shot_id, take)
        out.print(Text(f"Took back the reject of take {take} of {shot_id}."))
        return
    rejected = project.reject(shot_id, take, reason)
    why = f" ({rejected.reject_reason.value})" if rejected.reject_reason else ""
    out.print(Text(f"Rejected take {take} of {shot_id}{why}."))


@command()
def ranker(directory: DirArg, as_json: JsonOpt = False) -> None:
    """Show the metric weights learned from your picks and rejects, and how often they agree."""
    state = _open(directory).ranker()
    if as_json:
        print(json.dumps(ranker_json(state), ensure_ascii=False, indent=2))
        return
    table = Table(show_edge=False)
    for column in ("metric", "default", "learned", "change"):
        table.add_column(column, no_wrap=True, justify="left" if column == "metric" else "right")
    for name, default in state.defaults.items():
        learned = state.weights.get(name, default)
        table.add_row(name, f"{default:.2f}", f"{learned:.2f}", f"×{learned / default:.2f}")
    out.print(table)
    low, high = state.bounds
    out.print(Text(f"rests on {state.preferences} preferences from {state.picked_shots} shots you "
                   f"picked by hand (a pick beats every other take of its shot; every take left "
                   f"standing beats one you rejected); each weight stays within ×{low:g}–×{high:g} "
                   "of its default."))
    out.print(Text(left_out_sentence(state.left_out)))
    out.print(Text(f"agreement: {agreement_sentence(state.fixed, state.learned)}."))
    out.print(Text(state.reason if state.in_use else f"not in use: {state.reason}"))


@command()
def stats(
    directory: DirArg,
    episode: Annotated[int | None, typer.Option("--episode", help="Only this episode.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Draws, rejects and spend per picked shot and per finished minute; what is still unpicked."""
    numbers = _open(directory).stats(episode=episode)
    if as_json:
        print(json.dumps(stats_json(numbers), ensure_ascii=False, indent=2))
        return
    for line in stats_lines(numbers):
        out.print(line)


@command()
@_with_export_options
def export(
    directory: DirArg,
    episode: Annotated[int, typer.Option("--episode", help="The episode to export.")],
    as_json: JsonOpt = False,
    values: dict[str, Any] | None = None,  # every declared export option (studio.options)
) -> None:
    """Assemble an episode from the picked takes into a platform-ready MP4 and side files."""
    check_episode(episode)
    project = _open(directory)
    project.require_writable("export")  # before the bar starts
    options, output = export_request(values or {}, language=project.language)
    # an outdated pick is said before anything is encoded
    said = [pick.sentence() for pick in project.outdated_picks(episode=episode)]
    for warning in said:
        err.print(Text.assemble(("warning:", "yellow"), f" {warning}"))
    cancel = threading.Event()  # SIGTERM or Ctrl-C: ffmpeg is stopped, the old files stay
    _drawing.append(cancel)
    try:
        with ExportProgress(err, enabled=not as_json) as bar:
            result = project.export(episode, options, out=output, progress=bar.update,
                                    cancel=cancel)
    except Exception:
        if cancel.is_set() and _stopped_by:
            number = _stopped_by.pop()
            why = "SIGTERM" if number == signal.SIGTERM else "Ctrl-C"
            err.print(Text(f"stopped by {why}: the export was abandoned and the files it would "
                           "have replaced were kept."))
            raise typer.Exit(128 + int(number)) from None
        raise
    finally:
        _drawing.remove(cancel)
    if as_json:
        print(json.dumps(export_json(result), ensure_ascii=False, indent=2))
    else:
        print_export_summary(out, result)
    for warning in result.warnings:
        if warning not in said:
            err.print(Text.assemble(("warning:", "yellow"), f" {warning}"))


@command("import-edit")
def import_edit(
    directory: DirArg,
    file: Annotated[Path, typer.Argument(help="The edited timeline: .otio, .otioz, .fcpxml or .edl.", show_default=False)],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List the changes; change nothing.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Apply the edit also to shots picked anew since the export it was made from.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Read an editor's changes back: switched takes become picks, trims are stored."""
    result = _open(directory).import_edit(file, dry_run=dry_run, force=force)
    if result.moved:
        moved = len(result.moved)
        err.print(Text.assemble(("warning:", "yellow"), (
            f" {file} was exported before later picks: {moved} shot{'' if moved == 1 else 's'} "
            f"({', '.join(result.moved)}) picked anew since keep{'s' if moved == 1 else ''} "
            "the newer pick; --force applies the edit to them too.")))
    if as_json:
        print(json.dumps({
            "file": str(result.file), "episode": result.episode, "applied": result.applied,
            "changes": [c.model_dump(mode="json") for c in result.changes],
            "reported": [r.model_dump(mode="json") for r in result.reported],
            "moved": result.moved,
        }, ensure_ascii=False, indent=2))
        return
    for change in result.changes:
        out.print(Text(change.sentence))
    for report in result.reported:
        out.print(Text(report.sentence), style="yellow")
    count = f"{len(result.changes)} change{'' if len(result.changes) == 1 else 's'}"
    if not result.changes:
        summary = f"the edit of episode {result.episode} changes no pick or trim"
    elif result.applied:
        summary = f"applied {count} to episode {result.episode}"
    else:
        summary = f"dry run: {count} to episode {result.episode}, nothing applied"
    reported = f"; {len(result.reported)} not applied (above)" if result.reported else ""
    out.print(Text(f"{summary}{reported}."))


HostOpt = Annotated[str, typer.Option("--host", help="Where to listen: 127.0.0.1 (this machine only) or 0.0.0.0 (a phone on the same network; a token is then required).")]


@command()
def doctor(
    directory: DirArg,
    check: Annotated[bool, typer.Option("--check", help="Only report; repair nothing (exit 1 when something is wrong).")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Check a project and repair what can be repaired (damaged stored values, renders that died, leftovers), after a backup."""
    checkup = _open(directory).doctor(repair=not check)
    if as_json:
        print(json.dumps({"healthy": checkup.healthy,
                          "backup": str(checkup.backup) if checkup.backup else None,
                          "findings": [f.model_dump() for f in checkup.findings]},
                         ensure_ascii=False, indent=2))
    else:
        if checkup.backup is not None:
            out.print(Text(f"backed up the database to {checkup.backup.name} before repairing"))
        for finding in checkup.findings:
            mark = "repaired" if finding.repaired else "found"
            fix = f" Next: {finding.fix}." if finding.fix else ""
            out.print(Text(f"{mark}: {finding.sentence}{fix}"))
        if checkup.healthy:
            out.print(Text(f"{directory}: nothing wrong found."))
        elif not checkup.unrepaired:
            out.print(Text(f"{directory}: every problem found was repaired."))
    if checkup.unrepaired:
        raise typer.Exit(1)


@command()
def config(
    directory: Annotated[Path | None, typer.Argument(help="A project folder: its shotcraft.toml is read too.", show_default=False)] = None,
    as_json: JsonOpt = False,
) -> None:
    r"""Show every setting: its value now (keys masked) and where it comes from.

    Each comes from, in rising order: its default, your config file (the only place for keys besides the environment, and only when the file is yours alone: chmod 600), the project's shotcraft.toml (never keys), then SHOTCRAFT_* environment variables, which win. The files are TOML, a table per section, e.g. \[kling] region = "china"."""
    if directory is not None and not directory.is_dir():
        raise SpecError(f"{directory} is not a folder.", field="directory")
    rows = settings_of(directory)
    if as_json:
        print(json.dumps([row.model_dump(mode="json") for row in rows], ensure_ascii=False,
                         indent=2))
        return
    user = user_config_file()
    out.print(Text(f"your config file: {user}{'' if user.is_file() else ' (none)'}"))
    if directory is not None:
        mine = project_file()
        out.print(Text(f"project file: {mine}{'' if mine and mine.is_file() else ' (none)'}"))
    table = Table(show_edge=False)
    table.add_column("setting", no_wrap=True)
    table.add_column("value", overflow="fold")
    table.add_column("from", overflow="fold")
    for row in rows:
        origin = {"default": "default", "user": "your config file", "project": "shotcraft.toml",
                  "environment": row.where}[row.source]
        value = "" if row.value is None else json.dumps(row.value, ensure_ascii=False) \
            if not isinstance(row.value, str) else row.value
        table.add_row(Text(f"{row.section}.{row.key}"), Text(value), Text(origin))
    out.print(table)


@command()
def board(
    directory: DirArg,
    web: Annotated[bool, typer.Option("--web", help="Serve the studio to a browser (textual-serve) instead of this terminal.")] = False,
    host: HostOpt = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="With --web: the port to listen on.")] = 8000,
) -> None:
    """Open the studio (the TUI) on a project; --web serves it to a browser."""
    if web:
        # textual-serve (the review extra) and the studio: only `board --web` needs them
        from shotcraft.studio.web import serve_board

        Project.open(directory).close()  # a folder that is no project is said here, in one line
        serve_board(directory, host=host, port=port, out=sys.stdout)
        return
    from shotcraft.studio.tui.app import make_app
    from shotcraft.studio.tui.widgets.images import resolve_mode

    resolve_mode()  # SHOTCRAFT_IMAGES checked, the terminal asked, before Textual takes it over
    make_app(directory).run()


@command()
def review(
    directory: DirArg,
    host: HostOpt = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="The port to listen on (0: any free one).")] = 8765,
    read_only: Annotated[bool, typer.Option("--read-only", help="A link for a client: the takes can be seen, nothing can be picked, rejected or drawn.")] = False,
) -> None:
    """Review the takes in a browser, on this machine or a phone: the storyboard grid, every take
    playing, compare in sync, pick, reject and draw more, the episode's cut."""
    # starlette, uvicorn and jinja2 (the review extra): only `review` needs them
    from shotcraft.studio.review import ReviewServer

    if not 0 <= port <= 65535:
        raise SpecError(f"must be between 0 and 65535, not {port}", field="port")
    project = _open(directory)
    server = ReviewServer(project, host=host, port=port, read_only=read_only)
    server.announce(sys.stdout)
    server.run()


@command()
def play(
    directory: DirArg,
    shot_id: Annotated[str, typer.Argument(help="The shot, e.g. E01-S02-003.", show_default=False)],
    take: Annotated[int | None, typer.Argument(help="The take number (default: the pick, else the best take).", show_default=False)] = None,
) -> None:
    """Play a take in the system's player (mpv, ffplay or the desktop's opener)."""
    project = _open(directory)
    views = project.takes(shot_id)
    if take is None:
        chosen = next((v for v in views if v.picked and v.take.kind.moving), None) or next(
            (v for v in sorted(views, key=lambda v: v.rank or 10**6)
             if v.rank is not None and v.take.kind.moving), None)
        if chosen is None:
            err.print(Text(f"error: {shot_id} has no finished take to play; draw some with "
                           f"`shotcraft render {directory} --shot {shot_id}`."))
            raise typer.Exit(1)
    else:
        chosen = next((v for v in views if v.take.number == take), None)
        if chosen is None:
            err.print(Text(f"error: {shot_id} has no take {take}."))
            raise typer.Exit(1)
    path = project.take_path(chosen.take)
    if path is None:
        err.print(Text(f"error: take {chosen.take.number} of {shot_id} has no file "
                       f"({chosen.take.status.value})."))
        raise typer.Exit(1)
    try:
        playing = play_file(path, wait=True)
    except CannotPlay as exc:
        err.print(Text(f"cannot play take {chosen.take.number} of {shot_id}: {exc}"))
        raise typer.Exit(1) from None
    out.print(Text(f"played take {chosen.take.number} of {shot_id} in {playing.name}"))


@command()
def demo(
    directory: Annotated[Path, typer.Argument(help="Where to make the demo project.")] = Path("shotcraft-demo"),
    takes: Annotated[int, typer.Option("--takes", help="Takes per shot, 1-100.")] = 3,
) -> None:
    """Sample script → 3 previz takes per shot → auto picks → episode 1 with subtitles, OTIO and sheet."""
    check_takes(takes)  # before the demo project is made
    run_demo(directory, takes=takes, console=out)


def main() -> None:
    try:
        app()
    except Exception as exc:  # noqa: BLE001 - raised outside a command body (e.g. on import)
        try:
            fail(exc)
        except typer.Exit as done:
            sys.exit(done.exit_code)


if __name__ == "__main__":
    main()
