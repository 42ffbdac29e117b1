"""Bad or huge input through the CLI: every number out of range is one sentence and exit 1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shotcraft.assembly.timeline import Clip, ClipSource, Timeline
from shotcraft.projects.export import check_crossfade, export_options
from tests.projects.conftest import write_script
from tests.studio.conftest import invoke

HUGE = "99999999999999999999999"  # past SQLite's 64-bit INTEGER


def _first_shot(folder: Path) -> str:
    data = json.loads(invoke("shots", folder, "--json").stdout)
    return str(data["episodes"][0]["scenes"][0]["shots"][0]["id"])


# (arguments after the project folder, what the sentence says); SHOT is the first shot's id
BOUNDS = [
    (["pick", "SHOT", HUGE], f"shot SHOT has no take {HUGE}."),
    (["pick", "SHOT", "0"], "shot SHOT has no take 0."),
    (["pick", "--auto", "--episode", HUGE], f"there is no episode {HUGE} in this project"),
    (["shots", "--episode", HUGE], f"there is no episode {HUGE} in this project"),
    (["shots", "--episode", "0"], "there is no episode 0 in this project"),
    (["render", "--takes", "101"], "takes: draw between 1 and 100 takes per shot in one run, not 101."),
    (["render", "--takes", "0"], "takes: draw between 1 and 100 takes per shot in one run, not 0."),
    (["render", "--takes", HUGE], f"takes: draw between 1 and 100 takes per shot in one run, not {HUGE}."),
    (["render", "--seed", "-1"], "seed: must be between 0 and 2,147,483,646, not -1."),
    (["render", "--seed", str(2**32)], f"seed: must be between 0 and 2,147,483,646, not {2**32}."),
    (["render", "--episode", HUGE], f"there is no episode {HUGE} in this project"),
    (["export", "--episode", HUGE], f"there is no episode {HUGE} in this project"),
    (["export", "--episode", "-1"], "there is no episode -1 in this project"),
    (["export", "--episode", "1", "--transition", "crossfade:0"], "a crossfade needs at least 1 frame."),
    (["export", "--episode", "1", "--transition", f"crossfade:{HUGE}"], "longer than shot"),
]


@pytest.mark.parametrize(("args", "sentence"), BOUNDS, ids=[" ".join(a) for a, _ in BOUNDS])
def test_numbers_out_of_range_are_one_sentence(project_dir: Path, args: list[str], sentence: str) -> None:
    shot = _first_shot(project_dir)
    before = invoke("shots", project_dir, "--json").stdout
    args = [a.replace("SHOT", shot) for a in args]
    result = invoke(args[0], project_dir, *args[1:])
    assert result.exit_code == 1, result.output
    assert result.stderr.strip().splitlines() == [result.stderr.strip()], result.stderr
    assert sentence.replace("SHOT", shot) in result.stderr
    assert "Traceback" not in result.output and "OverflowError" not in result.output
    assert invoke("shots", project_dir, "--json").stdout == before  # nothing saved changed


@pytest.mark.parametrize(("args", "sentence"), [
    (["new", "FOLDER", "--fps", HUGE], f"fps: must be between 1 and 120, not {HUGE}"),
    (["new", "FOLDER", "--fps", "0"], "fps: must be between 1 and 120, not 0"),
    (["demo", "FOLDER", "--takes", "101"], "draw between 1 and 100 takes per shot in one run"),
])
def test_numbers_out_of_range_make_no_project(tmp_path: Path, args: list[str], sentence: str) -> None:
    folder = tmp_path / "made"
    result = invoke(*[str(folder) if a == "FOLDER" else a for a in args])
    assert result.exit_code == 1 and sentence in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (folder / "shotcraft.db").exists()


def test_not_a_number_stays_a_usage_error(project_dir: Path) -> None:
    result = invoke("render", project_dir, "--takes", "many")
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_a_crossfade_longer_than_a_shot_names_the_shot_instead_of_shortening(project_dir: Path) -> None:
    result = invoke("export", project_dir, "--episode", "1", "--transition", "crossfade:200",
                    "--preset", "vertical-720")
    assert result.exit_code == 1
    line = result.stderr.strip().splitlines()[-1]
    assert "a 200-frame crossfade (6.67 s) is longer than shot E01-S01-" in line
    assert "use crossfade:" in line
    assert not (project_dir / "exports" / "episode-01.mp4").exists()


def test_a_crossfade_that_fits_passes_the_check() -> None:
    clips = [Clip(shot_id=f"E01-S01-00{i}", scene_id="1-1", duration_frames=frames,
                  source=ClipSource.SLATE) for i, frames in enumerate((45, 90), start=1)]
    timeline = Timeline(title="t", episode=1, fps=30, clips=clips)
    check_crossfade(timeline, export_options(transition="crossfade:22"))
    with pytest.raises(Exception, match="shot E01-S01-001 can give: it is 45 frames"):
        check_crossfade(timeline, export_options(transition="crossfade:23"))


def test_an_empty_clip_is_not_added_as_a_take(project_dir: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty.mp4"
    empty.touch()
    result = invoke("add-take", project_dir, _first_shot(project_dir), empty)
    assert result.exit_code == 1 and "empty.mp4" in result.stderr and "empty" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert json.loads(invoke("takes", project_dir, _first_shot(project_dir), "--json").stdout) == []


def test_a_negative_episode_number_in_a_script_is_refused_with_file_and_line(project_dir: Path,
                                                                             tmp_path: Path) -> None:
    bad = write_script(tmp_path, "第-1集\n\n1-1 日 内 咖啡馆\n人物：林晚\n△林晚推门。\n", name="neg.txt")
    before = invoke("shots", project_dir, "--json").stdout
    result = invoke("import", project_dir, bad)
    assert result.exit_code == 1
    assert f"{bad}, line 1: episode numbers start at 1" in result.stderr
    assert invoke("shots", project_dir, "--json").stdout == before


def test_an_oversized_script_is_refused_with_its_size_and_nothing_changes(project_dir: Path,
                                                                         tmp_path: Path) -> None:
    big = tmp_path / "series.txt"
    with big.open("wb") as handle:
        handle.truncate(9_300_000)
    before = invoke("shots", project_dir, "--json").stdout
    result = invoke("import", project_dir, big)
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"error: {big} is 9.3 MB and looks like binary data (it holds zero bytes, which text never "
        "does); scripts over 8 MB are refused (split the series into several projects, or raise "
        "SHOTCRAFT_MAX_SCRIPT_MB).")
    assert invoke("shots", project_dir, "--json").stdout == before


def test_a_fast_import_prints_only_its_summary(tmp_path: Path) -> None:
    folder = tmp_path / "proj"
    invoke("new", folder)
    result = invoke("import", folder, write_script(tmp_path))
    assert result.exit_code == 0 and result.stderr == ""
    assert result.stdout.startswith("imported ") and len(result.stdout.strip().splitlines()) == 1
