"""Exports driven as a director does, through real `shotcraft export` processes."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.assembly.test_export_integrity import decode_errors, decoded_frames
from tests.projects.conftest import write_script

ROOT = Path(__file__).resolve().parents[2]
# one episode of three short shots, with a line of dialogue to burn in
TINY = """《并发》

第1集 同时

1-1 日 内 咖啡馆
人物：林晚、顾言
△林晚推门。
顾言：你来了。
林晚：嗯。
"""


def command(*args: object) -> list[str]:
    return [sys.executable, "-m", "shotcraft.studio.cli", *map(str, args)]


def environment() -> dict[str, str]:
    return {**os.environ, "SHOTCRAFT_PREVIZ_SCALE": "0.1"}


def shotcraft(*args: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command(*args), capture_output=True, text=True, cwd=ROOT,
                          env=environment(), check=True)


@pytest.fixture(scope="module")
def tiny_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("tiny")
    folder = base / "proj"
    shotcraft("new", folder)
    shotcraft("import", folder, write_script(base, TINY))
    shotcraft("render", folder, "--episode", "1", "--takes", "1")
    return folder


def episode_frames(folder: Path) -> int:
    data = json.loads(shotcraft("shots", folder, "--episode", "1", "--json").stdout)
    return sum(s["duration_frames"] for sc in data["episodes"][0]["scenes"] for s in sc["shots"])


@pytest.mark.slow  # ~30 s on an idle 2-core machine (two CLI start-ups per run); runs by default
def test_two_exports_of_one_episode_at_once_both_succeed_ten_times_in_a_row(
    tiny_project: Path,
) -> None:
    expected = episode_frames(tiny_project)
    out = tiny_project / "exports" / "episode-01.mp4"
    args = command("export", tiny_project, "--episode", "1", "--subtitles", "burn",
                   "--preset", "test-small", "--json")
    started = time.monotonic()
    for run in range(10):
        shutil.rmtree(tiny_project / "cache", ignore_errors=True)
        shutil.rmtree(tiny_project / "exports", ignore_errors=True)
        procs = [subprocess.Popen(args, cwd=ROOT, env=environment(), stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(2)]
        results = [proc.communicate(timeout=120) for proc in procs]
        for proc, (stdout, stderr) in zip(procs, results, strict=True):
            assert proc.returncode == 0, f"run {run + 1}: {stderr}"
            assert json.loads(stdout)["duration_frames"] == expected
        assert decode_errors(out) == "", f"run {run + 1}"
        assert decoded_frames(out) == expected, f"run {run + 1}"
        assert sorted(p.name for p in out.parent.iterdir()) == ["episode-01.mp4", "episode-01.srt"]
    print(f"10 runs of two concurrent exports: {time.monotonic() - started:.1f} s")


def test_side_files_follow_the_umask_and_are_named_after_the_output(
    tiny_project: Path, tmp_path: Path
) -> None:
    out = tmp_path / "x" / "ep.mp4"
    proc = subprocess.run(
        command("export", tiny_project, "--episode", "1", "--preset", "test-small", "-o", out,
                "--otio", "--sheet"),
        cwd=ROOT, env=environment(), capture_output=True, text=True,
        preexec_fn=lambda: os.umask(0o022),
    )
    assert proc.returncode == 0, proc.stderr
    written = {p.name: stat.S_IMODE(p.stat().st_mode) for p in out.parent.iterdir()}
    assert written == {name: 0o644 for name in
                       ["ep.mp4", "ep.srt", "ep.otio", "ep-sheet.png", "ep-sheet.pdf"]}
