"""The CLI contract: commands, exit codes, one-sentence errors, stable --json shapes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shotcraft.studio.cli import app
from tests.projects.conftest import write_script

runner = CliRunner()


def invoke(*args: str) -> object:
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def test_every_command_has_help_text() -> None:
    for command in app.registered_commands:
        assert command.callback is not None and (command.callback.__doc__ or command.help), command.name
        name = command.name or command.callback.__name__
        result = invoke(name, "--help")
        assert result.exit_code == 0, name


@pytest.fixture
def project_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "proj"
    assert invoke("new", folder, "--title", "我的剧").exit_code == 0
    assert invoke("import", folder, write_script(tmp_path)).exit_code == 0
    return folder


def test_shots_json_has_the_documented_shape(project_dir: Path) -> None:
    result = invoke("shots", project_dir, "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["project"] == {"title": "我的剧", "fps": 30, "aspect": "9:16"}
    episode = data["episodes"][0]
    assert isinstance(episode["number"], int)
    scene = episode["scenes"][0]
    assert set(scene) >= {"id", "heading", "location", "time", "interior", "characters", "shots"}
    shot = scene["shots"][0]
    assert set(shot) >= {"id", "size", "camera", "duration_frames", "characters", "action",
                         "dialogue", "prompt", "negative_prompt", "picked_take"}
    assert set(shot["camera"]) == {"move", "intensity"}
    lines = [d for ep in data["episodes"] for sc in ep["scenes"] for s in sc["shots"] for d in s["dialogue"]]
    assert {"speaker", "text", "parenthetical", "mode"} <= set(lines[0])
    assert any(d["mode"] == "OS" for d in lines)


def test_shots_filters_by_episode(project_dir: Path) -> None:
    data = json.loads(invoke("shots", project_dir, "--episode", "2", "--json").stdout)
    assert [ep["number"] for ep in data["episodes"]] == [2]


def test_characters_json(project_dir: Path) -> None:
    data = json.loads(invoke("characters", project_dir, "--json").stdout)
    names = [c["name"] for c in data]
    assert "林晚" in names and "顾言" in names
    assert all(set(c) >= {"name", "aliases", "description", "references"} for c in data)
    lin = next(c for c in data if c["name"] == "林晚")
    assert "白裙" in (lin["description"] or "")


def test_character_sets_description_and_ip_adapter_scale(project_dir: Path) -> None:
    result = invoke("character", project_dir, "林晚", "--ip-adapter-scale", "0.4",
                    "--description", "25岁, 白裙, 短发")
    assert result.exit_code == 0, result.output
    assert "IP-Adapter scale 0.4" in result.stdout
    lin = next(c for c in json.loads(invoke("characters", project_dir, "--json").stdout)
               if c["name"] == "林晚")
    assert lin["ip_adapter_scale"] == 0.4 and lin["description"] == "25岁, 白裙, 短发"
    shown = invoke("character", project_dir, "林晚")  # no option: show, change nothing
    assert shown.exit_code == 0 and "IP-Adapter scale 0.4" in shown.stdout
    reset = invoke("character", project_dir, "林晚", "--ip-adapter-scale", "default")
    assert reset.exit_code == 0 and "IP-Adapter scale default" in reset.stdout
    assert all(c["ip_adapter_scale"] is None
               for c in json.loads(invoke("characters", project_dir, "--json").stdout))


def test_character_refuses_a_scale_outside_0_to_1_naming_the_field(project_dir: Path) -> None:
    result = invoke("character", project_dir, "林晚", "--ip-adapter-scale", "2")
    assert result.exit_code == 1
    assert result.stderr.strip().startswith("error: ip_adapter_scale: 2 is not a number from 0 to 1")
    assert len(result.stderr.strip().splitlines()) == 1
    missing = invoke("character", project_dir, "nobody", "--ip-adapter-scale", "0.5")
    assert missing.exit_code == 1 and "there is no character nobody" in missing.stderr


def test_user_mistakes_exit_1_with_one_sentence_and_no_traceback(tmp_path: Path) -> None:
    result = invoke("shots", tmp_path / "nowhere")
    assert result.exit_code == 1
    assert "not a shotcraft project" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    missing = invoke("new", tmp_path / "p")
    assert missing.exit_code == 0
    bad = invoke("import", tmp_path / "p", tmp_path / "missing.txt")
    assert bad.exit_code == 1 and "missing.txt" in bad.stderr


def test_usage_errors_exit_2(project_dir: Path) -> None:
    assert invoke("pick", project_dir).exit_code == 2
    assert invoke("render", project_dir, "--takes", "zero").exit_code == 2
    # a number out of range is the project's to refuse: one sentence, exit 1 (test_cli_bounds.py)
    assert invoke("render", project_dir, "--takes", "0").exit_code == 1
