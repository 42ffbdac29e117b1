"""The card-draw contract from the command line, as a director (or a script) drives it.

Draws, refusals and concurrent runs go through real `shotcraft` processes (exit codes, stderr,
two processes on one database); the set-up and the listings read between them run the same CLI
in this process (`cli`), which spares a Python start-up per call.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.projects.conftest import write_script
from tests.studio.conftest import invoke

ROOT = Path(__file__).resolve().parents[2]


def cli(*args: object) -> Any:
    """`shotcraft ARGS…` in this process; it must succeed."""
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    return result


def shotcraft(*args: object, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SHOTCRAFT_PREVIZ_SCALE": "0.1"}
    return subprocess.run([sys.executable, "-m", "shotcraft.studio.cli", *map(str, args)], capture_output=True,
                          text=True, cwd=ROOT, env=env, check=check)


@pytest.fixture
def project_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "proj"
    cli("new", folder)
    cli("import", folder, write_script(tmp_path))
    return folder


def _shot_ids(folder: Path) -> list[str]:
    data = json.loads(cli("shots", folder, "--json").stdout)
    return [s["id"] for ep in data["episodes"] for sc in ep["scenes"] for s in sc["shots"]]


def test_render_three_takes_pick_auto_then_takes_json(project_dir: Path) -> None:
    result = shotcraft("render", project_dir, "--takes", "3")
    assert "failed" in result.stdout and result.returncode == 0
    cli("pick", project_dir, "--auto")
    for shot_id in _shot_ids(project_dir):
        takes = json.loads(cli("takes", project_dir, shot_id, "--json").stdout)
        assert [t["status"] for t in takes] == ["done"] * 3
        assert len({t["seed"] for t in takes}) == 3
        assert sorted(t["rank"] for t in takes) == [1, 2, 3]
        assert sum(t["picked"] for t in takes) == 1
        picked = next(t for t in takes if t["picked"])
        assert picked["rank"] == 1 and Path(picked["path"]).is_file()
        assert set(picked) >= {"take", "seed", "engine", "status", "reason", "path",
                               "duration_frames", "width", "height", "fps", "scores", "score",
                               "rank", "picked"}
        assert (picked["width"], picked["height"], picked["fps"]) == (108, 192, 30.0)
        # every score is explained; identity, not measured without references, says why
        assert set(picked["explanations"]) == set(picked["scores"]) | {"identity"}
        assert "identity" not in picked["scores"]
        assert picked["explanations"]["identity"].startswith("left out: no character in frame has a usable reference")
    table = cli("takes", project_dir, _shot_ids(project_dir)[0]).stdout
    assert "weakest" in table and "done" in table


def test_two_render_processes_on_one_project_do_not_collide(project_dir: Path) -> None:
    env = {**os.environ, "SHOTCRAFT_PREVIZ_SCALE": "0.1"}
    cmd = [sys.executable, "-m", "shotcraft.studio.cli", "render", str(project_dir), "--episode", "1", "--takes", "2"]
    procs = [subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(2)]
    for proc in procs:
        _out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    data = json.loads(cli("shots", project_dir, "--episode", "1", "--json").stdout)
    for scene in data["episodes"][0]["scenes"]:
        for shot in scene["shots"]:
            takes = json.loads(cli("takes", project_dir, shot["id"], "--json").stdout)
            assert [t["take"] for t in takes] == [1, 2, 3, 4]
            assert all(t["status"] == "done" for t in takes)
            assert len({t["seed"] for t in takes}) == 4


def test_add_take_and_a_bad_pick_from_the_cli(project_dir: Path, tmp_path: Path) -> None:
    clip = tmp_path / "web.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=s=108x192:r=30", "-t", "1",
                    "-pix_fmt", "yuv420p", str(clip)], check=True)
    shot_id = _shot_ids(project_dir)[0]
    assert "added take 1" in shotcraft("add-take", project_dir, shot_id, clip).stdout
    takes = json.loads(cli("takes", project_dir, shot_id, "--json").stdout)
    assert takes[0]["engine"] == "import" and takes[0]["status"] == "done"
    bad = shotcraft("pick", project_dir, shot_id, "7", check=False)
    assert bad.returncode == 1 and "has no take 7" in bad.stderr


def test_a_bad_export_flag_names_the_option(project_dir: Path) -> None:
    result = shotcraft("export", project_dir, "--episode", "1", "--subtitles", "loud", check=False)
    assert result.returncode == 1
    assert "subtitles" in result.stderr and "Traceback" not in result.stderr


def test_dry_run_prints_the_plan_and_queues_nothing(project_dir: Path) -> None:
    shot_id = _shot_ids(project_dir)[0]
    result = shotcraft("render", project_dir, "--shot", shot_id, "--takes", "4", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert shot_id in result.stdout and "1–4" in result.stdout
    assert "plan: 4 takes on previz" in result.stdout and "Nothing was queued" in result.stdout
    plan = json.loads(shotcraft("render", project_dir, "--shot", shot_id, "--takes", "2",
                                "--dry-run", "--json").stdout)
    assert plan["takes"] == 2 and plan["shots"][0]["take_numbers"] == [1, 2]
    assert json.loads(cli("takes", project_dir, shot_id, "--json").stdout) == []


def test_a_run_over_its_credit_budget_is_one_sentence_and_exit_1(project_dir: Path) -> None:
    from shotcraft.projects import Project
    from shotcraft.shots.models import Budget

    shot_id = _shot_ids(project_dir)[0]
    project = Project.open(project_dir)
    project.update_shot(shot_id, budget=Budget(max_credits=3))
    project.close()
    result = shotcraft("render", project_dir, "--shot", shot_id, "--takes", "2", "--engine", "kling",
                       check=False)
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert "would spend 4 credits" in result.stderr and "3 of 3 credits left" in result.stderr
    assert json.loads(cli("takes", project_dir, shot_id, "--json").stdout) == []


def test_an_unknown_executor_is_one_sentence(project_dir: Path) -> None:
    result = shotcraft("render", project_dir, "--takes", "1", "--executor", "slurm", check=False)
    assert result.returncode == 1
    assert "unknown executor 'slurm'; installed: local, ray." in result.stderr
    assert json.loads(cli("takes", project_dir, _shot_ids(project_dir)[0], "--json").stdout) == []


def test_render_on_ray_from_the_command_line(project_dir: Path) -> None:
    shot_id = _shot_ids(project_dir)[0]
    result = shotcraft("render", project_dir, "--shot", shot_id, "--takes", "2", "--executor", "ray",
                       check=False)
    assert result.returncode == 0, result.stderr
    assert "drew 2 takes, 0 failed" in result.stdout and "on ray" in result.stdout
    takes = json.loads(cli("takes", project_dir, shot_id, "--json").stdout)
    assert [(t["take"], t["status"]) for t in takes] == [(1, "done"), (2, "done")]
