"""A provider's words are data: what Kling (or a gateway before it) answers reaches the terminal,
the take's reason, the logs and the exports without terminal escapes and without a secret."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from shotcraft.projects import Project
from tests.projects.kling_stand_in import ACCESS, SECRET, kling_stand_in
from tests.studio.conftest import invoke

PASSWORD = "hunter2-proxy"


def every_byte(folder: Path) -> bytes:
    """The project as stored: the database, its WAL, and every export."""
    files = [*folder.glob("shotcraft.db*"), *(p for p in (folder / "exports").rglob("*") if p.is_file())]
    return b"".join(path.read_bytes() for path in files)


def draw_and_export(root: Path, shot_id: str) -> tuple[str, list[dict[str, object]]]:
    drew = invoke("render", root, "--shot", shot_id, "--engine", "kling", "--takes", "1")
    assert drew.exit_code == 1  # its one take failed
    takes = json.loads(invoke("takes", root, shot_id, "--json").stdout)
    exported = invoke("export", root, "--episode", 1, "--no-video", "--format", "otio",
                      "--format", "srt")
    assert exported.exit_code == 0, exported.stderr
    return drew.stdout + drew.stderr + exported.stdout + exported.stderr, takes


def test_an_echoed_authorization_header_and_escapes_never_reach_the_screen_or_the_project(
    project: Project, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    root, shot_id = project.root, project.shots(episode=1)[0].id
    project.close()
    caplog.set_level(logging.DEBUG)
    with kling_stand_in(monkeypatch) as fake:
        fake.inject("echo", where="submit", times=5)
        said, takes = draw_and_export(root, shot_id)
        tokens = [header.removeprefix("Bearer ") for header in fake.auth_headers]
    assert tokens and all(token.startswith("eyJ") for token in tokens)
    reason = str(takes[0]["reason"])
    assert "request refused" in reason and "Authorization: Bearer ***" in reason
    assert "request refused" in said
    for text in (said, reason, caplog.text):
        assert "\x1b" not in text and "\x07" not in text and "\r" not in text
    stored = every_byte(root)
    for secret in (*tokens, ACCESS, SECRET):
        assert secret not in said and secret not in caplog.text
        assert secret.encode() not in stored


def test_a_proxy_password_in_the_base_url_is_masked_wherever_the_url_is_said(
    project: Project, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    root, shot_id = project.root, project.shots(episode=1)[0].id
    project.close()
    caplog.set_level(logging.DEBUG)
    with kling_stand_in(monkeypatch) as fake:
        with_password = fake.base_url.replace("http://", f"http://shot:{PASSWORD}@")
        monkeypatch.setenv("SHOTCRAFT_KLING_BASE_URL", with_password)
        said, takes = draw_and_export(root, shot_id)
    reason = str(takes[0]["reason"])
    assert f"http://shot:***@{fake.base_url.removeprefix('http://')}" in reason
    assert PASSWORD not in said and PASSWORD not in caplog.text
    assert PASSWORD.encode() not in every_byte(root)
