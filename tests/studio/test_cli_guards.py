"""Nothing a user types loses their work: outputs never land on inputs or managed files, a
failed import changes nothing, sweeps touch only shotcraft's own temps, a 剪映 draft keeps the
director's files, and `demo` never imports over another project."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from shotcraft.shots.media import ffmpeg_binary
from tests.projects.conftest import SCRIPT, write_script
from tests.studio.conftest import invoke

SMALL = ("--preset", "test-small", "--subtitles", "none")


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def drawn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A project whose episode 1 has one previz take per shot (drawn once for the module)."""
    folder = tmp_path_factory.mktemp("drawn") / "proj"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SHOTCRAFT_PREVIZ_SCALE", "0.1")
        assert invoke("new", folder).exit_code == 0
        assert invoke("import", folder, write_script(folder.parent)).exit_code == 0
        assert invoke("render", folder, "--episode", "1", "--takes", "1").exit_code == 0
        yield folder


@pytest.fixture
def project_copy(drawn: Path, tmp_path: Path) -> Path:
    """A copy of the drawn project this test may change."""
    return Path(shutil.copytree(drawn, tmp_path / "proj"))


def music(folder: Path) -> Path:
    path = folder / "m.wav"
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run([ffmpeg_binary(), "-v", "error", "-y", "-f", "lavfi", "-i", "sine=d=1",
                    str(path)], check=True)
    return path


def a_take(project: Path) -> Path:
    return sorted((project / "media" / "takes").rglob("*.mp4"))[0]


# -- finding 1: an output never replaces the database, a take or an input -------------------


@pytest.mark.parametrize("target", ["database", "wal", "take", "link to the database", "music"])
def test_export_refuses_an_output_that_is_the_database_a_take_or_its_own_music(
    project_copy: Path, tmp_path: Path, target: str,
) -> None:
    bed = music(tmp_path / "o")
    link = tmp_path / "o" / "cut.mp4"
    link.symlink_to(project_copy / "shotcraft.db")
    out = {"database": project_copy / "shotcraft.db", "wal": project_copy / "shotcraft.db-wal",
           "take": a_take(project_copy), "link to the database": link, "music": bed}[target]
    guarded = [project_copy / "shotcraft.db", a_take(project_copy), bed]
    before = {path: digest(path) for path in guarded}
    result = invoke("export", project_copy, "--episode", 1, *SMALL, "--music", bed, "-o", out)
    assert result.exit_code == 1
    message = " ".join(result.stderr.split())
    assert message.startswith(f"error: -o {out} ")
    assert message.count("error:") == 1 and "bug" not in message
    assert {path: digest(path) for path in guarded} == before  # every take and pick kept
    assert invoke("takes", project_copy, "E01-S01-001").exit_code == 0


# -- finding 12: side files never land on the episode -------------------------------------


@pytest.mark.parametrize("args", [("-o", "ep.srt", "--subtitles", "srt"),
                                  ("-o", "ep.otio", "--format", "otio")])
def test_a_side_file_named_like_the_output_is_refused_before_anything_is_written(
    drawn: Path, tmp_path: Path, args: tuple[str, ...],
) -> None:
    out = tmp_path / "o"
    out.mkdir()
    named = [a if not a.startswith("ep.") else str(out / a) for a in args]
    result = invoke("export", drawn, "--episode", 1, "--preset", "test-small", *named)
    assert result.exit_code == 1
    assert "side files are named after the MP4" in " ".join(result.stderr.split())
    assert list(out.iterdir()) == []  # no MP4 under a side file's name, and nothing over it


def test_side_files_alone_may_take_the_name_given(drawn: Path, tmp_path: Path) -> None:
    out = tmp_path / "ep.otio"
    result = invoke("export", drawn, "--episode", 1, "--no-video", "--format", "otio", "-o", out)
    assert result.exit_code == 0, result.stderr
    assert out.read_text(encoding="utf-8").lstrip().startswith("{")


# -- finding 5: a 剪映 draft folder keeps what shotcraft did not write ---------------------


def test_re_exporting_a_jianying_draft_keeps_the_directors_files(drawn: Path, tmp_path: Path) -> None:
    drafts = tmp_path / "JianyingPro Drafts"
    args = ("export", drawn, "--episode", 1, "--no-video", "--format", "jianying",
            "--jianying-drafts", drafts)
    assert invoke(*args).exit_code == 0
    (draft,) = [p for p in drafts.iterdir() if not p.name.startswith(".")]
    (draft / "notes.txt").write_text("cut the rain earlier", encoding="utf-8")
    (draft / "stills").mkdir()
    (draft / "stills" / "ref.png").write_bytes(b"png")
    result = invoke(*args)
    assert result.exit_code == 0, result.stderr
    assert (draft / "notes.txt").read_text(encoding="utf-8") == "cut the rain earlier"
    assert (draft / "stills" / "ref.png").read_bytes() == b"png"
    assert (draft / "draft_content.json").is_file()
    assert sorted(p.name for p in drafts.iterdir()) == [draft.name]  # no old copy left over


def test_a_file_of_the_directors_that_the_new_draft_would_overwrite_stops_the_export(
    drawn: Path, tmp_path: Path,
) -> None:
    drafts = tmp_path / "drafts"
    args = ("export", drawn, "--episode", 1, "--no-video", "--format", "jianying",
            "--jianying-drafts", drafts)
    assert invoke(*args).exit_code == 0
    (draft,) = list(drafts.iterdir())
    take = a_take(drawn)
    mine = draft / "materials" / take.name  # where --bundle will copy that take
    mine.parent.mkdir()
    mine.write_bytes(b"the director's own file under a take's name")
    notes = draft / "notes.txt"
    notes.write_text("keep", encoding="utf-8")
    result = invoke(*args, "--bundle")
    assert result.exit_code == 1
    assert f"{mine} was not written by shotcraft" in " ".join(result.stderr.split())
    assert mine.read_bytes() == b"the director's own file under a take's name"
    assert notes.read_text(encoding="utf-8") == "keep"
    assert sorted(p.name for p in drafts.iterdir()) == [draft.name]


# -- finding 3: a failed import changes neither the storyboard nor the kept script ---------


def test_an_import_that_cannot_commit_keeps_the_previous_script_copy(
    project_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from shotcraft.projects import db

    kept = project_dir / "script" / "drama.txt"
    before = kept.read_text(encoding="utf-8")
    shots_before = invoke("shots", project_dir, "--json").stdout
    changed = write_script(tmp_path, SCRIPT.replace("你迟到了。", "你又迟到了。"))
    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 200)
    holder = sqlite3.connect(project_dir / "shotcraft.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process writing: the import cannot commit
    try:
        result = invoke("import", project_dir, changed)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.exit_code == 1
    assert "is busy" in result.stderr
    assert kept.read_text(encoding="utf-8") == before
    assert [p.name for p in kept.parent.iterdir()] == ["drama.txt"]  # no temp left either
    assert invoke("shots", project_dir, "--json").stdout == shots_before


def test_a_script_refused_after_parsing_leaves_no_copy_behind(project_dir: Path, tmp_path: Path) -> None:
    new = write_script(tmp_path, "# Episode 99999999999999999999\n\nINT. ROOM - DAY\n\nAction.\n",
                       name="huge.fountain")
    result = invoke("import", project_dir, new)
    assert result.exit_code == 1
    assert "bug" not in result.stderr
    assert sorted(p.name for p in (project_dir / "script").iterdir()) == ["drama.txt"]


# -- finding 4: the sweep removes only shotcraft's own temps -------------------------------


def test_the_sweep_leaves_the_users_files_whose_names_contain_partial(
    project_copy: Path, tmp_path: Path,
) -> None:
    script = write_script(tmp_path, SCRIPT, name="draft.partial.txt")
    assert invoke("import", project_copy, script).exit_code == 0
    out = project_copy / "exports" / "cut.partial.mp4"
    assert invoke("export", project_copy, "--episode", 1, "--preset", "test-small",
                  "--sheet", "-o", out).exit_code == 0
    mine = [project_copy / "script" / "draft.partial.txt", out,
            out.with_suffix(".srt"), out.with_name("cut.partial-sheet.png")]
    hidden = project_copy / "cache" / ".notes.2024"  # a hidden file of the user's in cache/
    hidden.write_text("x")
    mine.append(hidden)
    old = time.time() - 2 * 3600
    for path in mine:
        assert path.is_file(), path
        os.utime(path, (old, old))
    # the next commands sweep at open (shots) and before drawing and exporting (media too)
    assert invoke("shots", project_copy).exit_code == 0
    assert invoke("export", project_copy, "--episode", 1, "--preset", "test-small",
                  "--subtitles", "none").exit_code == 0
    assert [path for path in mine if not path.is_file()] == []


# -- finding 2: demo never imports over another project -----------------------------------


def test_demo_refuses_a_folder_holding_another_project(project_dir: Path) -> None:
    shots_before = invoke("shots", project_dir, "--json").stdout
    result = invoke("demo", project_dir, "--takes", 1)
    assert result.exit_code == 1
    assert "not the demo" in " ".join(result.stderr.split())
    assert invoke("shots", project_dir, "--json").stdout == shots_before
    assert list((project_dir / "exports").iterdir()) == []
    assert list((project_dir / "media" / "takes").iterdir()) == []
