"""Exports are all or nothing: the MP4 and every side file (SRT, OTIO, OTIOZ, FCPXML, EDL, the
剪映 draft — in exports/ and in a 剪映 drafts folder —, the sheet, the dialogue WAVs) are written
out of sight and moved into place together. A failure anywhere, even while moving them in,
leaves the previous set byte for byte as it was."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import pytest

from shotcraft.assembly import staging as staging_module
from shotcraft.assembly.formats import edl, fcpxml
from shotcraft.projects import Project, export_options
from shotcraft.projects.draw import Draw
from shotcraft.shots.errors import AssemblyError
from shotcraft.shots.media import ffmpeg_binary
from tests.projects.conftest import write_script

SCRIPT = """《全有全无》

第1集 交片

1-1 日 内 剪辑室
人物：林晚、顾言
△林晚盯着屏幕。
顾言：这一版还是太长。
林晚：那就剪。
"""
EVERY = ["otio", "otioz", "fcpxml", "edl", "jianying", "srt", "sheet"]


def tree(folder: Path) -> dict[str, str]:
    """Every file under `folder` (hidden ones too) → its SHA-256; folders as "dir"."""
    found: dict[str, str] = {}
    for path in sorted(folder.rglob("*")):
        key = path.relative_to(folder).as_posix()
        found[key] = "dir" if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
    return found


@pytest.fixture
def exported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    """A previz project whose episode was exported with music, the characters' voices and every
    format, a 剪映 draft in a drafts folder of its own too."""
    monkeypatch.setenv("SHOTCRAFT_PREVIZ_SCALE", "0.1")
    music = tmp_path / "bed.wav"
    subprocess.run([ffmpeg_binary(), "-v", "error", "-f", "lavfi", "-i",
                    "sine=frequency=220:duration=3", str(music)], check=True)
    project = Project.create(tmp_path / "proj", title="全有全无")
    project.import_script(write_script(tmp_path, SCRIPT))
    project.draw(Draw(episode=1, takes=2))
    project.auto_pick(episode=1)
    drafts = tmp_path / "JianyingPro Drafts"
    options = dict(preset="test-small", voice="bible", music=music, formats=EVERY,
                   format_options={"jianying_drafts": None})
    first = project.export(1, export_options(**options))
    in_drafts = project.export(1, export_options(**{**options, "formats": ["jianying"],
                                                    "format_options": {"jianying_drafts": drafts}}),
                               out=project.root / "exports" / "for-jianying.mp4")
    assert first.files["dialogue"] and first.files["jianying"] and in_drafts.files["jianying"]
    yield {"project": project, "options": options, "drafts": drafts,
           "exports": project.root / "exports"}
    project.close()


def _changed(exported: dict) -> dict:
    """The same export after a change that alters every file (a new pick, a crossfade)."""
    project: Project = exported["project"]
    shot = project.shots(episode=1)[1]
    other = next(v.take.number for v in project.takes(shot.id) if not v.picked)
    project.pick(shot.id, other)
    return {**exported["options"], "transition": "crossfade:3"}


def test_a_format_failing_mid_export_leaves_every_earlier_file_as_it_was(
    exported: dict, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The MP4 is muxed, the dialogue WAVs cut, the OTIO and OTIOZ written — then FCPXML fails:
    not one byte of the earlier export changes, and nothing is left half-done beside it."""
    before = tree(exported["exports"])
    written: list[str] = []

    def fcpxml_fails(self, timeline, path, options):  # noqa: ANN001, ANN202
        written.extend(p.name for p in Path(path).parent.iterdir())
        raise AssemblyError("the FCPXML adapter ran out of disk (a stand-in failure).")

    monkeypatch.setattr(fcpxml.FcpxmlFormat, "write", fcpxml_fails)
    with pytest.raises(AssemblyError, match="stand-in failure"):
        exported["project"].export(1, export_options(**_changed(exported)))
    assert {"episode-01.mp4", "episode-01.otio", "episode-01.otioz",
            "episode-01-dialogue"} <= set(written)  # the failure came late
    assert tree(exported["exports"]) == before


def test_a_failure_while_moving_the_files_in_puts_back_what_was_moved(
    exported: dict, monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = tree(exported["exports"])
    real = os.replace
    moves: list[str] = []

    def failing_replace(src, dst):  # noqa: ANN001, ANN202
        if staging_module.ASIDE not in str(dst) and ".staging-" in str(src):
            moves.append(Path(dst).name)
            if len(moves) == 4:  # the fourth file moved into place: the disk went away
                raise OSError(5, "Input/output error", str(dst))
        return real(src, dst)

    monkeypatch.setattr(staging_module.os, "replace", failing_replace)
    with pytest.raises(OSError):
        exported["project"].export(1, export_options(**_changed(exported)))
    assert len(moves) == 4
    assert tree(exported["exports"]) == before


def test_a_failing_draft_in_jianying_s_folder_leaves_both_folders_as_they_were(
    exported: dict, monkeypatch: pytest.MonkeyPatch,
) -> None:
    drafts = exported["drafts"]
    before, before_drafts = tree(exported["exports"]), tree(drafts)
    monkeypatch.setattr(edl.EdlFormat, "write", lambda *a: (_ for _ in ()).throw(
        AssemblyError("EDL stand-in failure.")))
    options = {**_changed(exported), "formats": ["jianying", "edl"],
               "format_options": {"jianying_drafts": drafts}}
    with pytest.raises(AssemblyError, match="EDL stand-in failure"):
        exported["project"].export(1, export_options(**options),
                                   out=exported["exports"] / "for-jianying.mp4")
    assert tree(exported["exports"]) == before and tree(drafts) == before_drafts


def test_a_successful_export_replaces_the_whole_set_and_leaves_no_staging(exported: dict) -> None:
    before = tree(exported["exports"])
    result = exported["project"].export(1, export_options(**_changed(exported)))
    after = tree(exported["exports"])
    assert not [name for name in after if ".staging-" in name]
    changed = {name for name in before if name in after and before[name] != after[name]}
    assert {"episode-01.mp4", "episode-01.otio", "episode-01.fcpxml", "episode-01.edl",
            "episode-01.srt"} <= changed
    assert result.output == exported["exports"] / "episode-01.mp4"
    for paths in result.files.values():  # every path reported is where the file now is
        assert all(path.exists() and ".staging-" not in str(path) for path in paths)
    # the FCPXML names its media where they are now, never in a staging folder
    assert ".staging-" not in (exported["exports"] / "episode-01.fcpxml").read_text()
    jianying = (exported["exports"] / "episode-01-jianying" / "draft_content.json").read_text()
    assert ".staging-" not in jianying and "episode-01-dialogue" in jianying
