"""`shotcraft voice … --engine openai|kling` and `export --voice bible` through the stand-ins."""

from __future__ import annotations

import json
from pathlib import Path

from tests.assembly.cloud_fixtures import (  # noqa: F401 - fixtures
    ACCESS,
    API_KEY,
    SECRET,
    fake_kling_fixture,
    openai_server_fixture,
)
from tests.assembly.openai_tts_server import spoken_seconds
from tests.engine.kling_server import tts_seconds
from tests.studio.conftest import invoke

FRAME = 1 / 24


def test_export_bible_speaks_through_both_cloud_engines_and_stores_no_key(
    project_dir: Path, openai_server, fake_kling,
) -> None:
    assert invoke("voice", project_dir, "林晚", "--engine", "openai", "--voice", "shimmer").exit_code == 0
    shown = invoke("voice", project_dir, "顾言", "--engine", "kling", "--voice", "genshin_vindi2",
                   "--speed", "0.9")
    assert shown.stdout.strip() == "顾言: kling genshin_vindi2, speed 0.9, pitch 35 (set)"
    args = ("export", project_dir, "--episode", 1, "--voice", "bible", "--preset", "vertical-720",
            "--subtitles", "none", "--json")
    result = invoke(*args)
    assert result.exit_code == 0, result.stderr
    lines = json.loads(result.stdout)["voice_lines"]
    assert [(line["speaker"], line["voice"]["engine"]) for line in lines] == [
        ("林晚", "openai"), ("顾言", "kling"), ("林晚", "openai"), ("顾言", "kling")]  # hook first
    assert abs(lines[0]["seconds"] - spoken_seconds(lines[0]["text"])) <= FRAME
    assert abs(lines[1]["seconds"] - tts_seconds(lines[1]["text"])) <= FRAME
    assert len(openai_server.requests) == 1 and len(fake_kling.tts_created) == 2

    again = json.loads(invoke(*args).stdout)["voice_lines"]
    assert all(line["cached"] for line in again)
    assert len(openai_server.requests) == 1 and len(fake_kling.tts_created) == 2
    for secret in (API_KEY, ACCESS, SECRET):  # the database, the cache, the exports
        assert [p for p in project_dir.rglob("*")
                if p.is_file() and secret.encode() in p.read_bytes()] == []


def test_a_voice_kling_cannot_speak_is_refused_in_one_sentence(project_dir: Path) -> None:
    result = invoke("voice", project_dir, "林晚", "--engine", "kling", "--voice", "genshin_vindi2",
                    "--speed", "0.6")
    assert result.exit_code == 1
    assert result.stderr.strip() == "error: speed: Kling's TTS speaks at 0.8-2.0, not 0.6."
    assert "espeak cmn+f2" in invoke("voice", project_dir, "林晚").stdout
