"""A library's warning is one sentence on stderr, never a source path: PyJWT's note about a short
key is said once, and numpy's arithmetic on a two-pixel frame (which the metrics score anyway)
is not said at all."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from shotcraft.shots.media import ffmpeg_binary
from tests.engine.kling_server import FakeKling
from tests.projects.kling_stand_in import ACCESS


def shotcraft(*args: object, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The real command in its own process: Python's own warning printer, if nothing replaces it."""
    return subprocess.run([sys.executable, "-m", "shotcraft.studio.cli", *map(str, args)],
                          capture_output=True, text=True, env={**os.environ, **(env or {})},
                          timeout=300, check=False)


def test_numpy_warnings_about_a_tiny_image_are_not_printed(project_dir: Path, tmp_path: Path) -> None:
    tiny = tmp_path / "px.png"
    subprocess.run([ffmpeg_binary(), "-v", "error", "-y", "-f", "lavfi", "-i", "color=white:s=2x2",
                    "-frames:v", "1", str(tiny)], check=True)
    result = shotcraft("add-take", project_dir, "E01-S01-001", tiny)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("added take 1 to E01-S01-001")
    assert result.stderr == ""


def test_a_short_kling_key_is_one_warning_sentence(project_dir: Path) -> None:
    fake = FakeKling(access_key=ACCESS, secret_key="short").start()
    try:
        with pytest.warns(Warning):  # the stand-in checks tokens with the short key too
            result = shotcraft("render", project_dir, "--shot", "E01-S01-001", "--engine", "kling",
                               "--takes", "1", env={
                                   "SHOTCRAFT_KLING_BASE_URL": fake.base_url,
                                   "SHOTCRAFT_KLING_ACCESS_KEY": ACCESS,
                                   "SHOTCRAFT_KLING_SECRET_KEY": "short",
                                   "SHOTCRAFT_KLING_POLL_INTERVAL": "0.01",
                                   "SHOTCRAFT_KLING_RETRY_DELAY": "0.01"})
    finally:
        fake.stop()
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if "HMAC" in line]
    assert lines == ["warning: The HMAC key is 5 bytes long, which is below the minimum "
                     "recommended length of 32 bytes for SHA256. See RFC 7518 Section 3.2."]
    assert ".py:" not in result.stderr and "site-packages" not in result.stderr
