"""`shotcraft shot`: the CLI twin of the studio's shot editor; and outdated takes through the
CLI — a take drawn, then its shot edited, shows as outdated everywhere and `pick --auto` skips it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.projects.faces import FACES
from tests.studio.conftest import invoke

pytestmark = pytest.mark.usefixtures("small_previz")
LINE = "E01-S01-003"  # 顾言：你迟到了。


@pytest.fixture
def small_previz(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOTCRAFT_PREVIZ_SCALE", "0.1")


def shot_json(folder: Path, *args: object) -> dict:
    result = invoke("shot", folder, LINE, *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_shot_with_no_option_shows_the_shot_with_labels_and_units(project_dir: Path) -> None:
    result = invoke("shot", project_dir, LINE)
    assert result.exit_code == 0, result.output
    text = result.stdout
    for words in ("framing", "camera", "angle      eye level", "duration   1.5 s (45 f)",
                  "characters 顾言, 林晚", "dialogue   顾言：你迟到了。",
                  "prompt     composed from the spec", "takes      0 done"):
        assert words in text, words


def test_shot_edits_size_camera_duration_characters_and_action_and_composes_the_prompt(
        project_dir: Path) -> None:
    shot = shot_json(project_dir, "--size", "ws", "--camera", "handheld:0.8", "--duration", "3",
                     "--characters", "顾言，林晚", "--action", "顾言放下咖啡杯。", "--angle", "low")
    assert (shot["size"], shot["camera"], shot["duration_frames"], shot["duration_seconds"]) == (
        "WS", {"move": "handheld", "intensity": 0.8}, 90, 3.0)
    assert (shot["characters"], shot["action"], shot["angle"]) == (["顾言", "林晚"], "顾言放下咖啡杯。", "low")
    assert shot["prompt_source"] == "composed" and shot["edited"] is True
    assert "wide shot" in shot["prompt"] and "low-angle shot looking up" in shot["prompt"]
    assert "handheld camera" in shot["prompt"]
    # the board shows what was saved
    board = json.loads(invoke("shots", project_dir, "--json").stdout)
    listed = next(s for ep in board["episodes"] for sc in ep["scenes"] for s in sc["shots"]
                  if s["id"] == LINE)
    assert (listed["size"], listed["camera"]["move"], listed["prompt"]) == ("WS", "handheld", shot["prompt"])


def test_a_hand_written_prompt_is_kept_and_marked_until_auto_prompt(project_dir: Path) -> None:
    mine = shot_json(project_dir, "--prompt", "rain streaks the café window, two strangers")
    assert (mine["prompt"], mine["prompt_source"]) == (
        "rain streaks the café window, two strangers", "hand")
    assert shot_json(project_dir, "--size", "CU")["prompt"] == mine["prompt"]
    shown = invoke("shot", project_dir, LINE).stdout
    assert "prompt     hand-written, kept as written" in shown
    composed = shot_json(project_dir, "--auto-prompt")
    assert composed["prompt_source"] == "composed" and "close-up" in composed["prompt"]


def test_ots_kind_and_its_framing_reach_the_prompt(project_dir: Path) -> None:
    shot = shot_json(project_dir, "--kind", "OTS", "--characters", "顾言,林晚", "--size", "MCU")
    assert (shot["kind"], shot["framing"]) == ("ots", "OTS MCU")
    assert "over-the-shoulder medium close-up, 顾言 facing the camera past 林晚's shoulder" in shot["prompt"]


@pytest.mark.parametrize(("option", "value", "field"), [
    ("--size", "XL", "size"), ("--camera", "swoop", "camera"), ("--camera", "pan_left:2", "camera"),
    ("--angle", "sideways", "angle"), ("--duration", "0", "duration"), ("--kind", "montage", "kind"),
])
def test_a_bad_value_is_one_sentence_naming_the_field_and_changes_nothing(
        project_dir: Path, option: str, value: str, field: str) -> None:
    before = shot_json(project_dir)
    result = invoke("shot", project_dir, LINE, option, value)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {field}: ") and result.stderr.count("\n") == 1
    assert shot_json(project_dir) == before


def test_prompt_and_auto_prompt_together_is_a_usage_error(project_dir: Path) -> None:
    assert invoke("shot", project_dir, LINE, "--prompt", "x", "--auto-prompt").exit_code == 2


def test_a_take_drawn_then_its_shot_edited_is_outdated_everywhere_and_pick_auto_skips_it(
        project_dir: Path) -> None:
    assert invoke("render", project_dir, "--shot", LINE, "--takes", "2").exit_code == 0
    edited = invoke("shot", project_dir, LINE, "--size", "WS", "--camera", "handheld",
                    "--duration", "3")
    assert "2 takes drawn before this edit are outdated" in edited.stderr
    assert "outdated: takes 1, 2 (camera, duration, prompt, size changed since drawn)" in edited.stdout
    listing = json.loads(invoke("takes", project_dir, LINE, "--json").stdout)
    assert all(t["outdated"] and set(t["outdated_changes"]) >= {"size", "camera", "duration"}
               for t in listing)
    table = invoke("takes", project_dir, LINE).stdout
    assert "take 1 is outdated: size, camera, duration, prompt changed" in table
    auto = invoke("pick", project_dir, "--auto", "--episode", "1")
    assert f"{LINE}: not picked, every take is outdated" in auto.stdout
    assert shot_json(project_dir)["picked_take"] is None
    assert invoke("render", project_dir, "--shot", LINE, "--takes", "1").exit_code == 0
    ranked = {t["take"]: t for t in json.loads(invoke("takes", project_dir, LINE, "--json").stdout)}
    assert ranked[3]["rank"] == 1 and not ranked[3]["outdated"]
    assert invoke("pick", project_dir, "--auto", "--episode", "1").exit_code == 0
    assert shot_json(project_dir)["picked_take"] == 3


def test_an_outdated_pick_is_flagged_by_stats_and_before_an_export(project_dir: Path) -> None:
    assert invoke("render", project_dir, "--shot", LINE, "--takes", "1").exit_code == 0
    assert invoke("pick", project_dir, LINE, "1").exit_code == 0
    assert invoke("shot", project_dir, LINE, "--camera", "pan_left").exit_code == 0
    stats = invoke("stats", project_dir, "--episode", "1")
    assert f"{LINE}: the picked take 1 is outdated (camera, prompt changed" in stats.stdout
    numbers = json.loads(invoke("stats", project_dir, "--episode", "1", "--json").stdout)
    assert numbers["outdated_picks"] == [
        {"shot_id": LINE, "take": 1, "changed": ["camera", "prompt"]}]
    exported = invoke("export", project_dir, "--episode", "1", "--no-video", "--format", "srt")
    assert exported.exit_code == 0, exported.output
    warning = f"warning: {LINE}: the picked take 1 is outdated"
    assert exported.stderr.count(warning) == 1
    assert exported.stderr.index(warning) < exported.stderr.index("srt") if "srt" in exported.stderr else True


def test_add_ref_warns_when_the_face_matches_another_character_and_remove_ref_takes_it_off(
        project_dir: Path) -> None:
    assert invoke("add-ref", project_dir, "顾言", FACES / "obama.jpg").exit_code == 0
    added = invoke("add-ref", project_dir, "林晚", FACES / "obama2.jpg")
    assert added.exit_code == 0
    assert "warning: the face in obama2.jpg looks like 顾言's references" in added.stderr
    people = {c["name"]: c for c in json.loads(invoke("characters", project_dir, "--json").stdout)}
    [listed] = people["林晚"]["references"]
    removed = invoke("remove-ref", project_dir, "林晚", listed["path"])
    assert removed.exit_code == 0 and "0 references left" in removed.stdout
    missing = invoke("remove-ref", project_dir, "林晚", "refs/nothing.png")
    assert missing.exit_code == 1 and "林晚 has no reference refs/nothing.png" in missing.stderr


def test_changing_a_face_outdates_the_takes_drawn_with_the_old_one(project_dir: Path) -> None:
    assert invoke("render", project_dir, "--shot", LINE, "--takes", "1").exit_code == 0
    added = invoke("add-ref", project_dir, "顾言", FACES / "obama.jpg")
    assert "1 take drawn with 顾言's earlier references is outdated now" in added.stderr
    [take] = json.loads(invoke("takes", project_dir, LINE, "--json").stdout)
    assert take["outdated_changes"] == ["顾言's references"]
