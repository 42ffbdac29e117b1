"""`shotcraft demo`: the whole pipeline on the bundled Chinese example, on previz."""

from __future__ import annotations

import time
from importlib import resources
from pathlib import Path

from rich.console import Console
from rich.text import Text

from shotcraft.projects import Project, export_options
from shotcraft.projects.draw import Draw
from shotcraft.shots.errors import ProjectError
from shotcraft.studio.views import print_sidecars

EXAMPLE = "contract-bride.txt"


def example_path(name: str = EXAMPLE) -> Path:
    """The bundled examples travel as package data (`shotcraft.examples`)."""
    here = Path(str(resources.files("shotcraft.examples").joinpath(name)))
    if not here.is_file():
        raise ProjectError(f"the bundled example {name} is missing from {here.parent}.")
    return here


def run_demo(directory: Path, *, takes: int = 3, console: Console) -> None:
    started = time.monotonic()
    if (directory / "shotcraft.db").exists():
        project = Project.open(directory)
        if not _is_demo(project):
            title = project.title
            project.close()
            raise ProjectError(
                f"{directory} holds the project {title!r}, not the demo; the demo would import "
                "its example over it and overwrite its exports, so it was left as it is. Make "
                "the demo in a new folder: shotcraft demo NEW_FOLDER.")
        console.print(Text(f"using the existing demo project in {project.root}"))
    else:
        project = Project.create(directory, title="契约新娘")
    report = project.import_script(example_path())
    console.print(f"imported {report.scenes} scenes → {report.shots} shots, {report.characters} characters")
    episode = project.episodes()[0]
    summary = project.draw(Draw(episode=episode,
                                takes=None if _has_takes(project, episode) else takes))
    console.print(f"drew {summary.done} takes on previz ({summary.failed} failed) in {summary.seconds:.1f} s")
    picked = project.auto_pick(episode=episode)
    console.print(f"auto-picked {len(picked.picked)} shots")
    for note in picked.notes:
        console.print(Text(note))
    options = export_options(subtitles="burn", otio=True, sheet=True, language=project.language)
    result = project.export(episode, options)
    console.print(Text(f"episode {episode}: {result.output}"))
    print_sidecars(console, result)
    console.print(Text(f"storyboard: shotcraft shots {directory}   studio: shotcraft board {directory}"))
    console.print(f"done in {time.monotonic() - started:.1f} s")


def _is_demo(project: Project) -> bool:
    """Whether an existing project is one `shotcraft demo` made: its kept script is the
    bundled example, byte for byte."""
    kept = project.script_copy()
    return kept is not None and kept.name == EXAMPLE and kept.is_file() and (
        kept.read_bytes() == example_path().read_bytes())


def _has_takes(project: Project, episode: int) -> bool:
    return project.totals(episode=episode).takes_done > 0
