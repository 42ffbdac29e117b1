"""The command line prints script text, titles, reasons and file names as written."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from shotcraft.assembly.episode import ExportResult
from shotcraft.projects import Project
from shotcraft.projects.draw import Draw
from shotcraft.projects.draw.run import RenderEvent
from shotcraft.studio.cli import app
from shotcraft.studio.progress import RenderProgress
from shotcraft.studio.views import print_export_summary
from tests.studio.hostile import HOSTILE_LINES, hostile_project

runner = CliRunner()
REASON = "engine said [/] and [bold]no[/bold] \\"


def invoke(*args: object):  # noqa: ANN201
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False,
                         env={"COLUMNS": "200"})


@pytest.fixture
def project_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SHOTCRAFT_PREVIZ_SCALE", "0.1")
    folder = hostile_project(tmp_path)
    project = Project.open(folder)
    project.draw(Draw(shots=["E01-S01-003"], takes=2))
    project.close()
    with closing(sqlite3.connect(folder / "shotcraft.db")) as db, db:
        db.execute("UPDATE take SET status='failed', reason=? WHERE shot_id='E01-S01-003' AND number=2",
                   (REASON,))
    return folder


def test_shots_prints_every_hostile_line_literally(project_dir: Path) -> None:
    result = invoke("shots", project_dir)
    assert result.exit_code == 0, result.output
    for line in HOSTILE_LINES:
        assert line in result.stdout
    assert "Episode 1 — [c]初见" in result.stdout
    assert "[red]咖啡馆[/]" in result.stdout


def test_shots_json_keeps_the_dialogue_exact(project_dir: Path) -> None:
    result = invoke("shots", project_dir, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["project"]["title"] == "[red]剧"
    said = [d["text"] for scene in data["episodes"][0]["scenes"] for shot in scene["shots"]
            for d in shot["dialogue"]]
    assert said == list(HOSTILE_LINES)


def test_takes_prints_a_hostile_reason_literally(project_dir: Path) -> None:
    result = invoke("takes", project_dir, "E01-S01-003")
    assert result.exit_code == 0, result.output
    assert f"failed ({REASON})" in result.stdout
    listed = json.loads(invoke("takes", project_dir, "E01-S01-003", "--json").stdout)
    assert [t["reason"] for t in listed] == [None, REASON]


def test_new_and_characters_print_names_literally(tmp_path: Path) -> None:
    created = invoke("new", tmp_path / "p", "--title", "[/]剧 \\")
    assert created.exit_code == 0, created.output
    assert "created project [/]剧 \\ in" in created.stdout
    folder = hostile_project(tmp_path)
    result = invoke("characters", folder)
    assert result.exit_code == 0 and "[/]阿晚" in result.stdout and "[bold]x[/bold] {\\an8}" in result.stdout
    listed = json.loads(invoke("characters", folder, "--json").stdout)
    assert listed[0]["aliases"] == ["[/]阿晚"] and listed[0]["description"] == "[bold]x[/bold] {\\an8}"


def test_render_failures_and_export_paths_print_literally(tmp_path: Path) -> None:
    console = Console(record=True, width=200)
    with RenderProgress(console) as bar:
        bar.update(RenderEvent(kind="queued", total=2))
        bar.update(RenderEvent(kind="failed", shot_id="E01-S01-003", take=2, message=REASON))
        bar.update(RenderEvent(kind="budget", message="[/] over budget"))
    printed = console.export_text()
    assert f"E01-S01-003 take 2 failed: {REASON}" in printed and "budget: [/] over budget" in printed

    result = ExportResult(output=tmp_path / "[bold]ep[/].mp4", duration_frames=30, fps=30,
                          width=720, height=1280, transition_frames=0, clips=[],
                          srt=tmp_path / "[/].srt")
    console = Console(record=True, width=200)
    print_export_summary(console, result)
    printed = console.export_text()
    assert "[bold]ep[/].mp4" in printed and "srt: " + str(tmp_path / "[/].srt") in printed


def test_export_burns_and_writes_srt_for_hostile_dialogue(tmp_path: Path) -> None:
    folder = hostile_project(tmp_path)  # no takes: every shot is a slate, which keeps this quick
    burned = invoke("export", folder, "--episode", "1", "--preset", "test-small", "--subtitles",
                    "burn", "--json", "-o", tmp_path / "out" / "[burn].mp4")
    assert burned.exit_code == 0, burned.output
    assert json.loads(burned.stdout)["warnings"] == []  # DejaVu and Symbola have every glyph
    assert (tmp_path / "out" / "[burn].mp4").stat().st_size > 0
    srt = invoke("export", folder, "--episode", "1", "--preset", "test-small", "--subtitles", "srt",
                 "-o", tmp_path / "out" / "[/]srt.mp4")
    assert srt.exit_code == 0, srt.output
    assert "[/]srt.mp4" in srt.stdout
    written = Path(json.loads(invoke("export", folder, "--episode", "1", "--preset", "test-small",
                                     "--json").stdout)["srt"]).read_text(encoding="utf-8")
    assert "{\\" not in written and "<i>" not in written
    for words in ("[/]", "[bold]x[/bold] and [c]", "上面 C:＼temp＼new", "‹i›斜体‹/i› 🦄", "שלום", "مرحبا"):
        assert words in written
