"""`shotcraft fit` and `export --voice bible` cue timing, end to end with the real espeak-ng."""

from __future__ import annotations

import json
import re
from pathlib import Path

from shotcraft.assembly.speech.timing import TAIL_SECONDS
from tests.studio.conftest import invoke

EXPORT = ("--episode", 1, "--voice", "bible", "--preset", "vertical-720", "--subtitles", "srt",
          "--json")
SRT_TIME = re.compile(r"(\d\d):(\d\d):(\d\d),(\d\d\d) --> (\d\d):(\d\d):(\d\d),(\d\d\d)")


def _cue_spans(srt: Path) -> list[tuple[float, float]]:
    spans = []
    for match in SRT_TIME.finditer(srt.read_text(encoding="utf-8")):
        h, m, s, ms, h2, m2, s2, ms2 = (int(g) for g in match.groups())
        spans.append((h * 3600 + m * 60 + s + ms / 1000, h2 * 3600 + m2 * 60 + s2 + ms2 / 1000))
    return spans


def test_fit_lengthens_the_shots_export_flags_and_the_cues_then_follow_the_speech(
    project_dir: Path,
) -> None:
    """The director slows 顾言 down: export says which lines are cut and by how much, strict
    export refuses, fit lengthens those shots within the pace kept, and the cues follow."""
    assert invoke("voice", project_dir, "顾言", "--speed", "0.6").exit_code == 0
    first = invoke("export", project_dir, *EXPORT)
    assert first.exit_code == 0, first.stderr
    warned = [w for w in json.loads(first.stdout)["warnings"] if "'s line runs" in w]
    assert [w.split(":")[0] for w in warned] == ["E01-S01-003", "E01-S02-003"]
    assert re.fullmatch(r"E01-S01-003: 顾言's line runs \d\.\d s, the shot is 1\.5 s: \d\.\d s "
                        r"of it is cut where the next line starts or the episode ends; shotcraft "
                        r"fit lengthens the shot\.", warned[0])

    exports = sorted(p.name for p in (project_dir / "exports").iterdir())
    strict = invoke("export", project_dir, *EXPORT, "--strict")
    assert strict.exit_code == 1
    assert re.fullmatch(r"error: export --strict refuses to cut: 2 lines would lose \d+\.\d s in "
                        r"all, the first 顾言's line in E01-S01-003 \(\d\.\d s of \d\.\d s\); run "
                        r"shotcraft fit, lengthen those shots, or export without --strict\.",
                        strict.stderr.strip())
    assert sorted(p.name for p in (project_dir / "exports").iterdir()) == exports

    dry = invoke("fit", project_dir, "--episode", 1, "--dry-run")
    assert dry.exit_code == 0, dry.stderr
    assert dry.stdout.splitlines()[:2] == [w.removesuffix("; shotcraft fit lengthens the shot.")
                                           for w in warned]
    assert "E01-S01-003: would go from 1.5 s to" in dry.stdout
    assert dry.stdout.strip().endswith("Dry run: nothing changed.")
    fitted = json.loads(invoke("fit", project_dir, "--episode", 1, "--max-stretch", "3",
                               "--json").stdout)
    assert fitted["changes"][0]["shot_id"] == "E01-S01-003"
    assert fitted["cut_seconds_before"] > 0 and fitted["cut_seconds_after"] == 0
    assert invoke("fit", project_dir, "--episode", 1).stdout.strip() == "Every line fits its shot."

    second = invoke("export", project_dir, *EXPORT, "--strict")
    assert second.exit_code == 0, second.stderr
    result = json.loads(second.stdout)
    assert not [w for w in result["warnings"] if "'s line" in w]  # nothing flagged, nothing cut
    srt = Path(result["files"]["srt"][0] if isinstance(result["files"]["srt"], list)
               else result["files"]["srt"])
    spans = _cue_spans(srt)
    spoken = [line["seconds"] for line in result["voice_lines"]]
    assert len(spans) == len(spoken) == 4  # the hook's line, then the scene's three
    frame = 1 / result["fps"]
    for (start, end), seconds in zip(spans, spoken, strict=True):
        assert abs((end - start) - TAIL_SECONDS - seconds) <= frame + 0.001, (start, end, seconds)


def test_import_fit_voices_times_the_dialogue_shots_by_the_voices(tmp_path: Path) -> None:
    """鲁迅's 《过客》 has long lines: timed by the voices, shots change length both ways."""
    folder = tmp_path / "proj"
    assert invoke("new", folder).exit_code == 0
    script = Path(__file__).resolve().parents[1] / "data" / "scripts" / "guoke-luxun" / "过客.txt"
    usage = invoke("import", folder, script, "--max-stretch", "1.2")
    assert usage.exit_code == 2 and "--max-stretch goes with --fit-voices" in usage.output
    result = invoke("import", folder, script, "--fit-voices")
    assert result.exit_code == 0, result.output
    timed = re.search(r"timed (\d+) dialogue shots by the voices \((\d+) shorter, (\d+) longer, "
                      r"at most ×1\.5\)", result.stdout)
    assert timed and int(timed[1]) == int(timed[2]) + int(timed[3]) >= 1, result.stdout
    assert "cut" not in result.stderr  # default voices at the pace: no line cut
    fitted = json.loads(invoke("fit", folder, "--dry-run", "--json").stdout)
    assert fitted["changes"] == [] and fitted["cut_seconds_before"] == 0
    # a dry run saves nothing, so it cannot time the shots: a usage error, not a silent skip
    dry = invoke("import", folder, script, "--fit-voices", "--dry-run")
    assert dry.exit_code == 2 and "cannot go with --dry-run" in dry.output


def test_import_fit_voices_json_says_what_the_voices_changed(tmp_path: Path) -> None:
    folder = tmp_path / "proj"
    assert invoke("new", folder).exit_code == 0
    script = Path(__file__).resolve().parents[1] / "data" / "scripts" / "guoke-luxun" / "过客.txt"
    result = invoke("import", folder, script, "--fit-voices", "--max-stretch", "2", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    fitted = data["fitted"]
    assert fitted["max_stretch"] == 2 and fitted["changes"] and not fitted["dry_run"]
    shots = {s["id"]: s for ep in json.loads(invoke("shots", folder, "--json").stdout)["episodes"]
             for sc in ep["scenes"] for s in sc["shots"]}
    for change in fitted["changes"]:  # what it says it set is what the storyboard holds
        assert shots[change["shot_id"]]["duration_frames"] == change["new_frames"]


def test_the_people_of_guoke_speak_in_voices_of_their_kind(tmp_path: Path) -> None:
    """《过客》 names its people by what they are: 老翁 (an old man) must not get a woman's
    default voice, nor 女孩 (a girl) a man's, though no description starts with 男 or 女."""
    folder = tmp_path / "proj"
    assert invoke("new", folder).exit_code == 0
    script = Path(__file__).resolve().parents[1] / "data" / "scripts" / "guoke-luxun" / "过客.txt"
    assert invoke("import", folder, script).exit_code == 0
    voices = {c["name"]: c["voice"]["voice"]
              for c in json.loads(invoke("characters", folder, "--json").stdout)}
    assert voices["老翁"].startswith("cmn+m") and voices["女孩"].startswith("cmn+f"), voices
