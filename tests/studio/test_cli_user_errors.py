"""Every error a user can cause is one sentence: oversized images, clips shorter than a frame,
episode numbers past any series, a file given as a folder, a damaged stored value (and the
doctor that repairs it)."""

from __future__ import annotations

import sqlite3
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from shotcraft.shots.media import ffmpeg_binary
from tests.projects.conftest import write_script
from tests.studio import test_cli_guards
from tests.studio.conftest import invoke

drawn = test_cli_guards.drawn  # the module's own drawn project


def one_sentence(result: object) -> str:
    said = " ".join(result.stderr.split())  # type: ignore[attr-defined]
    assert said.count("error:") == 1 and "bug" not in said, said
    return said


def png_claiming(path: Path, width: int, height: int) -> Path:
    """A valid PNG whose header claims `width`×`height` pixels but holds one row of data (a
    decompression bomb's shape: a few hundred bytes that decode to gigabytes)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    data = zlib.compress(b"\0" + b"\0" * 3 * 64)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data)
                     + chunk(b"IEND", b""))
    return path


# -- finding 8: an image whose header claims 60000×60000 --------------------------------------


def test_an_image_claiming_a_huge_size_is_refused_before_it_is_decoded(
    project_dir: Path, tmp_path: Path,
) -> None:
    bomb = png_claiming(tmp_path / "portrait.png", 60000, 60000)
    assert bomb.stat().st_size < 1000
    took = invoke("add-take", project_dir, "E01-S01-001", bomb)
    assert took.exit_code == 1
    assert "portrait.png claims more than 89 megapixels" in one_sentence(took)
    ref = invoke("add-ref", project_dir, "林晚", bomb)
    assert ref.exit_code == 1
    assert "portrait.png claims more than 89 megapixels" in one_sentence(ref)
    assert not any((project_dir / "media" / "takes").iterdir())
    assert not any((project_dir / "refs").iterdir())


# -- finding 13: a clip shorter than one frame at the project's frame rate -------------------


def test_a_clip_shorter_than_a_frame_is_refused_by_add_take(project_dir: Path, tmp_path: Path) -> None:
    clip = tmp_path / "blink.mp4"
    subprocess.run([ffmpeg_binary(), "-v", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc=size=64x64:rate=1000", "-frames:v", "10", "-pix_fmt", "yuv420p",
                    str(clip)], check=True)
    result = invoke("add-take", project_dir, "E01-S01-001", clip)
    assert result.exit_code == 1
    said = one_sentence(result)
    assert "blink.mp4 lasts 0.010 s (10 frames at 1000 fps), less than one frame at the " \
           "project's 30 fps" in said
    assert not any((project_dir / "media" / "takes").iterdir())


def test_a_file_with_sound_and_no_picture_is_refused_by_add_take(project_dir: Path, tmp_path: Path) -> None:
    sound = tmp_path / "line.m4a"
    subprocess.run([ffmpeg_binary(), "-v", "error", "-y", "-f", "lavfi", "-i", "sine=d=1",
                    str(sound)], check=True)
    result = invoke("add-take", project_dir, "E01-S01-001", sound)
    assert result.exit_code == 1
    assert "line.m4a" in one_sentence(result)


# -- finding 8: an episode number no series has ------------------------------------------------


@pytest.mark.parametrize(("name", "text", "line", "why"), [
    ("huge.fountain", "Title: x\n\n# Episode 99999999999999999999\n\nINT. ROOM - DAY\n\nAction.\n",
     3, "episode numbers go up to 9999"),
    ("huge.txt", "第99999999999999999999集\n\n1-1 日 内 房间\n△有人。\n", 1,
     "cannot read the episode number"),  # held before: 剧本 numerals are read with a limit
])
def test_an_episode_number_past_any_series_is_refused_at_its_line(
    project_dir: Path, tmp_path: Path, name: str, text: str, line: int, why: str,
) -> None:
    script = write_script(tmp_path, text, name=name)
    result = invoke("import", project_dir, script)
    assert result.exit_code == 1
    said = one_sentence(result)
    assert f"{script}, line {line}: {why}" in said
    assert sorted(p.name for p in (project_dir / "script").iterdir()) == ["drama.txt"]


# -- finding 8: --jianying-drafts naming a file ---------------------------------------------


def test_a_drafts_folder_that_is_a_file_is_refused(drawn: Path) -> None:
    result = invoke("export", drawn, "--episode", 1, "--no-video", "--format", "jianying",
                    "--jianying-drafts", "/etc/passwd")
    assert result.exit_code == 1
    assert one_sentence(result) == ("error: --jianying-drafts /etc/passwd is a file (/etc/passwd), "
                                    "not a folder.")


# -- finding 8: one damaged stored value names its take and the doctor repairs it ----------


def test_a_damaged_stored_value_names_the_take_and_the_doctor_repairs_it(
    drawn: Path, tmp_path: Path,
) -> None:
    import shutil

    folder = Path(shutil.copytree(drawn, tmp_path / "proj"))
    with sqlite3.connect(folder / "shotcraft.db") as db:
        db.execute("""UPDATE take SET scores = '{"schema": "take.scores", "version": 2, "data": {'
                      WHERE shot_id = 'E01-S01-002' AND number = 1""")
    for command in (("shots", folder), ("takes", folder, "E01-S01-002"), ("stats", folder)):
        result = invoke(*command)
        assert result.exit_code == 1, command
        assert one_sentence(result) == (
            "error: take 1 of shot E01-S01-002 has a damaged scores value (not JSON); run "
            f"`shotcraft doctor {folder}` to repair what can be repaired (a backup is made first).")
    check = invoke("doctor", folder, "--check")
    assert check.exit_code == 1
    assert "found: take 1 of shot E01-S01-002 has a damaged scores value (not JSON)." in check.stdout
    repaired = invoke("doctor", folder)
    assert repaired.exit_code == 0, repaired.stdout
    backups = list(folder.glob("shotcraft.db.backup-doctor-*"))
    assert len(backups) == 1
    with sqlite3.connect(backups[0]) as kept:  # the backup holds the value as it was
        (value,) = kept.execute("SELECT scores FROM take WHERE shot_id = 'E01-S01-002'").fetchone()
    assert value.endswith('"data": {')
    assert f"shotcraft rescore {folder} --shot E01-S01-002" in " ".join(repaired.stdout.split())
    assert invoke("shots", folder).exit_code == 0
    assert invoke("rescore", folder, "--shot", "E01-S01-002").exit_code == 0
    assert invoke("doctor", folder, "--check").stdout.strip() == f"{folder}: nothing wrong found."
