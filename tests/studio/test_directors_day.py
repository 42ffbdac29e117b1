"""A director's day, through the CLI, without a trap: a real writer's script (鲁迅's 《过客》,
tests/data/scripts/guoke-luxun), a reference photo, previz takes, picks by hand and by the
ranker, the characters' voices (one set slower by the director), fit, then an export with music
as 剪映, FCPXML and every other format, strict about cut lines — and a failure in the middle of
the next export, which leaves the export folder byte for byte as it was."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest

from shotcraft.assembly.formats import names as format_names
from shotcraft.assembly.formats.edl import EdlFormat
from shotcraft.shots.errors import AssemblyError
from shotcraft.shots.media import ffmpeg_binary, probe
from tests.studio.conftest import invoke

ROOT = Path(__file__).resolve().parents[1] / "data"
SCRIPT = ROOT / "scripts" / "guoke-luxun" / "过客.txt"
FACE = ROOT / "faces" / "obama.jpg"


def tree(folder: Path) -> dict[str, str]:
    """Every file under `folder` (hidden ones too) → its SHA-256; folders as "dir"."""
    return {p.relative_to(folder).as_posix():
            "dir" if p.is_dir() else hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*"))}


def ok(*args: object) -> str:
    result = invoke(*args)
    assert result.exit_code == 0, (args, result.output)
    return result.stdout


def test_a_directors_day_exports_everything_without_a_cut_or_a_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SHOTCRAFT_PREVIZ_SCALE", "0.1")
    folder = tmp_path / "过客"
    music = tmp_path / "bed.wav"
    subprocess.run([ffmpeg_binary(), "-v", "error", "-f", "lavfi", "-i",
                    "sine=frequency=196:duration=6", str(music)], check=True)

    ok("new", folder, "--title", "过客")
    imported = ok("import", folder, SCRIPT)
    assert "15 dialogue lines" in imported and "3 characters" in imported
    assert "added" in ok("add-ref", folder, "过客", FACE)
    ok("voice", folder, "老翁", "--speed", "0.9")  # an old man: the director slows him down
    ok("render", folder, "--episode", 1, "--takes", 2)
    shots = json.loads(ok("shots", folder, "--json"))["episodes"][0]["scenes"][0]["shots"]
    dialogue = [s["id"] for s in shots if s["dialogue"]]
    ok("pick", folder, dialogue[0], 2)  # by hand
    ok("pick", folder, "--auto")

    fitted = json.loads(ok("fit", folder, "--episode", 1, "--json"))
    assert fitted["changes"] and fitted["cut_seconds_after"] == 0  # 老翁's slower lines fitted
    grown = {c["shot_id"] for c in fitted["changes"]}

    everything = [arg for name in format_names() for arg in ("--format", name)]
    result = invoke("export", folder, "--episode", 1, "--voice", "bible", "--music", music,
                    "--subtitles", "burn", "--strict", *everything, "--json")
    assert result.exit_code == 0, result.output
    done = json.loads(result.stdout)
    assert not [w for w in done["warnings"] if " cut" in w]
    assert all(line["cut_seconds"] == 0 for line in done["voice_lines"])
    assert set(done["files"]) >= {*format_names(), "dialogue"}
    assert probe(Path(done["output"])).frames == done["duration_frames"]
    # the shots fit lengthened outlast their takes: every editor format holds the last frame
    exports = folder / "exports"
    assert grown and "-last.png" in (exports / "episode-01.fcpxml").read_text(encoding="utf-8")
    draft = json.loads((exports / "episode-01-jianying" / "draft_content.json").read_text(
        encoding="utf-8"))
    assert any(m["type"] == "photo" for m in draft["materials"]["videos"])

    before = tree(exports)

    def fails(self, timeline, path, options):  # noqa: ANN001, ANN202
        raise AssemblyError("the EDL could not be written (a failure in the middle).")

    monkeypatch.setattr(EdlFormat, "write", fails)
    ok("pick", folder, dialogue[0], 1)  # a change: the next export would rewrite every file
    failed = invoke("export", folder, "--episode", 1, "--voice", "bible", "--music", music,
                    "--subtitles", "burn", "--strict", *everything)
    assert failed.exit_code == 1 and "a failure in the middle" in failed.stderr
    assert tree(exports) == before
