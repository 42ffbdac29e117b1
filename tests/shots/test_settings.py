"""Settings in one place: defaults < the user's config file < shotcraft.toml < SHOTCRAFT_*."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from shotcraft.engine.settings import EngineSettings
from shotcraft.projects.settings import settings_of
from shotcraft.providers.kling.settings import KlingSettings
from shotcraft.shots.errors import ConfigError
from shotcraft.shots.redact import clean
from shotcraft.shots.settings import MASK, use_project, user_config_file
from tests.studio.conftest import invoke

# every SHOTCRAFT_* variable shotcraft read before the settings had one place (round 2's code
# and README): each still sets the same thing
ROUND2_VARIABLES = """
SHOTCRAFT_DEBUG SHOTCRAFT_FFMPEG SHOTCRAFT_FFPROBE SHOTCRAFT_FONT SHOTCRAFT_IMAGES
SHOTCRAFT_MAX_SCRIPT_MB SHOTCRAFT_DEFAULT_ENGINE SHOTCRAFT_PREVIZ_SCALE SHOTCRAFT_TAKES_DEFAULT
SHOTCRAFT_EXECUTOR SHOTCRAFT_RAY_ADDRESS SHOTCRAFT_RAY_ACTORS SHOTCRAFT_RAY_SHARED_FOLDER
SHOTCRAFT_IDENTITY_THRESHOLD
SHOTCRAFT_KLING_REGION SHOTCRAFT_KLING_BASE_URL SHOTCRAFT_KLING_ACCESS_KEY
SHOTCRAFT_KLING_SECRET_KEY SHOTCRAFT_KLING_MODEL_NAME SHOTCRAFT_KLING_MODE SHOTCRAFT_KLING_CFG_SCALE
SHOTCRAFT_KLING_CONCURRENCY SHOTCRAFT_KLING_MAX_TASKS SHOTCRAFT_KLING_SOUND
SHOTCRAFT_KLING_POLL_INTERVAL SHOTCRAFT_KLING_POLL_BACKOFF SHOTCRAFT_KLING_POLL_MAX_INTERVAL
SHOTCRAFT_KLING_JITTER SHOTCRAFT_KLING_MAX_POLL_SECONDS SHOTCRAFT_KLING_REQUEST_TIMEOUT
SHOTCRAFT_KLING_RETRIES SHOTCRAFT_KLING_RETRY_DELAY SHOTCRAFT_KLING_TOKEN_TTL
SHOTCRAFT_KLING_MAX_DOWNLOAD_BYTES SHOTCRAFT_KLING_CALLBACK_URL SHOTCRAFT_KLING_COST_TABLE
SHOTCRAFT_KLING_TTS_POLL_INTERVAL
SHOTCRAFT_TTS_BASE_URL SHOTCRAFT_TTS_API_KEY SHOTCRAFT_TTS_MODEL SHOTCRAFT_TTS_RETRIES
SHOTCRAFT_TTS_RETRY_DELAY SHOTCRAFT_TTS_REQUEST_TIMEOUT
SHOTCRAFT_DIFFUSERS_KEYFRAME_MODEL SHOTCRAFT_DIFFUSERS_KEYFRAME_FAMILY
SHOTCRAFT_DIFFUSERS_KEYFRAME_STEPS SHOTCRAFT_DIFFUSERS_KEYFRAME_GUIDANCE
SHOTCRAFT_DIFFUSERS_KEYFRAME_BUCKETS SHOTCRAFT_DIFFUSERS_IP_ADAPTER
SHOTCRAFT_DIFFUSERS_IP_ADAPTER_SUBFOLDER SHOTCRAFT_DIFFUSERS_IP_ADAPTER_WEIGHT_NAME
SHOTCRAFT_DIFFUSERS_IMAGE_ENCODER SHOTCRAFT_DIFFUSERS_IP_ADAPTER_SCALE
SHOTCRAFT_DIFFUSERS_EMBEDS_CACHE SHOTCRAFT_DIFFUSERS_VIDEO_MODEL SHOTCRAFT_DIFFUSERS_FAMILY
SHOTCRAFT_DIFFUSERS_VIDEO_STEPS SHOTCRAFT_DIFFUSERS_VIDEO_GUIDANCE SHOTCRAFT_DIFFUSERS_VIDEO_BUCKETS
SHOTCRAFT_DIFFUSERS_FRAMES_PER_CLIP SHOTCRAFT_DIFFUSERS_LAST_FRAME
SHOTCRAFT_DIFFUSERS_MAX_SEQUENCE_LENGTH SHOTCRAFT_DIFFUSERS_DEVICE SHOTCRAFT_DIFFUSERS_DTYPE
SHOTCRAFT_DIFFUSERS_CPU_OFFLOAD SHOTCRAFT_DIFFUSERS_VAE_TILING SHOTCRAFT_DIFFUSERS_VAE_SLICING
SHOTCRAFT_DIFFUSERS_MAX_BATCH SHOTCRAFT_DIFFUSERS_HUB_OFFLINE
""".split()
# the variables the Seedance and ComfyUI engines and the LLM assist brought, read as sections
# of the same tree ([seedance], [comfyui], [llm])
NEWER_VARIABLES = """
SHOTCRAFT_SEEDANCE_API_KEY SHOTCRAFT_SEEDANCE_REGION SHOTCRAFT_SEEDANCE_MODEL
SHOTCRAFT_SEEDANCE_BASE_URL SHOTCRAFT_SEEDANCE_RESOLUTION SHOTCRAFT_SEEDANCE_AUDIO
SHOTCRAFT_SEEDANCE_WATERMARK SHOTCRAFT_SEEDANCE_MAX_TASKS SHOTCRAFT_SEEDANCE_POLL_INTERVAL
SHOTCRAFT_SEEDANCE_POLL_BACKOFF SHOTCRAFT_SEEDANCE_POLL_MAX_INTERVAL
SHOTCRAFT_SEEDANCE_MAX_POLL_SECONDS SHOTCRAFT_SEEDANCE_REQUEST_TIMEOUT SHOTCRAFT_SEEDANCE_RETRIES
SHOTCRAFT_SEEDANCE_RETRY_DELAY SHOTCRAFT_SEEDANCE_MAX_DOWNLOAD_BYTES SHOTCRAFT_SEEDANCE_COST_TABLE
SHOTCRAFT_COMFYUI_URL SHOTCRAFT_COMFYUI_WORKFLOW SHOTCRAFT_COMFYUI_LONG_SIDE SHOTCRAFT_COMFYUI_FPS
SHOTCRAFT_COMFYUI_REQUEST_TIMEOUT SHOTCRAFT_COMFYUI_EVENT_TIMEOUT SHOTCRAFT_COMFYUI_POLL_INTERVAL
SHOTCRAFT_COMFYUI_MAX_RUN_SECONDS SHOTCRAFT_COMFYUI_RETRIES SHOTCRAFT_COMFYUI_RETRY_DELAY
SHOTCRAFT_LLM_BASE_URL SHOTCRAFT_LLM_MODEL SHOTCRAFT_LLM_API_KEY SHOTCRAFT_LLM_TIMEOUT
SHOTCRAFT_LLM_RETRIES SHOTCRAFT_LLM_CHUNK_CHARS
""".split()
# a value of the right kind for settings whose default is None or a choice
SAMPLES = {
    "SHOTCRAFT_IMAGES": "halfblock", "SHOTCRAFT_EXECUTOR": "ray", "SHOTCRAFT_KLING_REGION": "china",
    "SHOTCRAFT_KLING_MODE": "pro", "SHOTCRAFT_KLING_SOUND": "on",
    "SHOTCRAFT_KLING_COST_TABLE": '{"kling-v1-6/std/5": 2}',
    "SHOTCRAFT_DIFFUSERS_KEYFRAME_FAMILY": "sd", "SHOTCRAFT_DIFFUSERS_FAMILY": "ltx",
    "SHOTCRAFT_DIFFUSERS_KEYFRAME_BUCKETS": '{"9:16": "512x912"}',
    "SHOTCRAFT_DIFFUSERS_VIDEO_BUCKETS": '{"9:16": "480x832"}',
    "SHOTCRAFT_DIFFUSERS_DEVICE": "cpu", "SHOTCRAFT_DIFFUSERS_DTYPE": "float32",
    "SHOTCRAFT_DIFFUSERS_LAST_FRAME": "true", "SHOTCRAFT_RAY_SHARED_FOLDER": "/srv/shared",
    "SHOTCRAFT_RAY_ACTORS": "2", "SHOTCRAFT_KLING_CONCURRENCY": "3",
    "SHOTCRAFT_DIFFUSERS_FRAMES_PER_CLIP": "81", "SHOTCRAFT_DIFFUSERS_MAX_SEQUENCE_LENGTH": "226",
    "SHOTCRAFT_SEEDANCE_REGION": "international", "SHOTCRAFT_SEEDANCE_RESOLUTION": "1080p",
    "SHOTCRAFT_SEEDANCE_COST_TABLE": '{"doubao-seedance-2-0-260128/720p": 46}',
    "SHOTCRAFT_COMFYUI_LONG_SIDE": "1024", "SHOTCRAFT_LLM_CHUNK_CHARS": "800",
}


@pytest.fixture(autouse=True)
def no_files() -> Iterator[None]:
    """No project's file and no user file, before and after each test."""
    use_project(None)
    user_config_file().unlink(missing_ok=True)
    yield
    use_project(None)
    user_config_file().unlink(missing_ok=True)


def _write(path: Path, text: str, mode: int = 0o600) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


def _by_key(rows: list) -> dict[str, object]:
    return {f"{row.section}.{row.key}": row for row in rows}


@pytest.mark.parametrize("variable", ROUND2_VARIABLES + NEWER_VARIABLES)
def test_every_round2_variable_still_sets_its_setting(
    variable: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    rows = [row for row in settings_of(None) if row.env == variable]
    assert len(rows) == 1, f"{variable} sets no setting (or several)"
    [row] = rows
    assert row.source == "default"
    value = SAMPLES.get(variable) or ("1" if isinstance(row.value, bool) else
                                     str(row.value) if row.value not in (None, "", MASK)
                                     else "x")
    monkeypatch.setenv(variable, value)
    [after] = [r for r in settings_of(None) if r.env == variable]
    assert (after.source, after.where) == ("environment", variable)


def test_each_source_wins_over_the_ones_below_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SHOTCRAFT_PREVIZ_SCALE", raising=False)
    _write(user_config_file(), "[engine]\ndefault_engine = 'kling'\npreviz_scale = 0.25\n"
                               "takes_default = 5\n")
    _write(tmp_path / "shotcraft.toml", "[engine]\npreviz_scale = 0.75\ntakes_default = 4\n",
           mode=0o644)
    monkeypatch.setenv("SHOTCRAFT_TAKES_DEFAULT", "6")
    rows = _by_key(settings_of(tmp_path))
    assert (rows["engine.default_engine"].value, rows["engine.default_engine"].source) == (
        "kling", "user")
    assert (rows["engine.previz_scale"].value, rows["engine.previz_scale"].source) == (
        0.75, "project")
    assert (rows["engine.takes_default"].value, rows["engine.takes_default"].source) == (
        6, "environment")
    assert rows["engine.previz_scale"].where == str(tmp_path / "shotcraft.toml")
    use_project(tmp_path)  # what a draw in that project reads
    assert EngineSettings().previz_scale == 0.75 and EngineSettings().default_engine == "kling"


def test_keys_live_only_in_the_users_own_file_and_are_never_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("SHOTCRAFT_KLING_ACCESS_KEY", "SHOTCRAFT_KLING_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    user = _write(user_config_file(), "[kling]\naccess_key = 'ak-in-my-file'\n"
                                      "secret_key = 'sk-in-my-file'\nregion = 'china'\n",
                  mode=0o644)
    with pytest.raises(ConfigError) as readable:
        KlingSettings()
    assert str(readable.value) == (f"{user} holds keys ([kling] access_key) but others can read "
                                   f"it; make it yours alone with: chmod 600 {user}")
    user.chmod(0o600)
    kling = KlingSettings()
    assert kling.access_key is not None and kling.access_key.get_secret_value() == "ak-in-my-file"
    rows = _by_key(settings_of(None))
    assert rows["kling.access_key"].value == MASK and rows["kling.access_key"].source == "user"
    assert "ak-in-my-file" not in json.dumps([r.model_dump() for r in rows.values()])

    project = _write(tmp_path / "shotcraft.toml", "[kling]\nsecret_key = 'sk-in-the-project'\n",
                     mode=0o600)
    use_project(tmp_path)
    with pytest.raises(ConfigError) as kept:
        KlingSettings()
    assert str(kept.value) == (
        f"{project}: [kling] secret_key is a key, and keys are never kept in a project; set "
        f"SHOTCRAFT_KLING_SECRET_KEY or put it in {user} (mode 0600).")


@pytest.mark.parametrize(("text", "says"), [
    ("[engine]\nprevis_scale = 0.3\n", "[engine] has no setting 'previs_scale'; its settings are"),
    ("[engine]\nprevis_scale = \n", "is not valid TOML: "),
    ("[kling]\nretries = 'many'\n", "[kling] retries is 'many': input should be a valid integer"),
])
def test_a_bad_project_file_is_one_sentence_naming_the_file(
    tmp_path: Path, text: str, says: str,
) -> None:
    path = _write(tmp_path / "shotcraft.toml", text, mode=0o644)
    with pytest.raises(ConfigError) as caught:
        settings_of(tmp_path)
    message = str(caught.value)
    assert message.startswith(str(path)) and says in message and "\n" not in message


def test_shotcraft_config_shows_values_and_sources_and_masks_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = tmp_path / "proj"
    assert invoke("new", folder).exit_code == 0
    _write(folder / "shotcraft.toml", "[kling]\nregion = 'china'\n", mode=0o644)
    monkeypatch.setenv("SHOTCRAFT_KLING_ACCESS_KEY", "ak-from-the-environment")
    result = invoke("config", folder, "--json")
    assert result.exit_code == 0, result.output
    rows = {f"{r['section']}.{r['key']}": r for r in json.loads(result.stdout)}
    assert rows["kling.region"] | {} == {**rows["kling.region"], "value": "china",
                                         "source": "project", "env": "SHOTCRAFT_KLING_REGION"}
    assert rows["kling.base_url"]["value"] == "https://api-beijing.klingai.com"  # the region's
    assert (rows["kling.access_key"]["value"], rows["kling.access_key"]["source"]) == (
        MASK, "environment")
    assert "ak-from-the-environment" not in result.stdout
    table = invoke("config", folder)
    assert table.exit_code == 0 and "kling.region" in table.stdout
    assert "ak-from-the-environment" not in table.stdout and MASK in table.stdout

    _write(folder / "shotcraft.toml", "[kling]\naccess_key = 'oops'\n", mode=0o600)
    refused = invoke("render", folder, "--engine", "kling", "--dry-run")
    assert refused.exit_code == 1
    assert "keys are never kept in a project" in refused.stderr
    assert "oops" not in refused.output
    assert os.environ.get("XDG_CONFIG_HOME")  # the tests' own config folder, never the user's


@pytest.mark.parametrize(("section", "key", "variable"), [
    ("seedance", "api_key", "SHOTCRAFT_SEEDANCE_API_KEY"),
    ("llm", "api_key", "SHOTCRAFT_LLM_API_KEY"),
])
def test_the_newer_engines_keys_are_masked_and_never_kept_in_a_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, section: str, key: str, variable: str,
) -> None:
    monkeypatch.delenv(variable, raising=False)
    _write(user_config_file(), f"[{section}]\n{key} = 'key-in-my-own-file'\n")
    folder = tmp_path / "proj"
    assert invoke("new", folder).exit_code == 0
    shown = invoke("config", folder, "--json")
    assert shown.exit_code == 0, shown.output
    rows = {f"{r['section']}.{r['key']}": r for r in json.loads(shown.stdout)}
    assert (rows[f"{section}.{key}"]["value"], rows[f"{section}.{key}"]["source"]) == (
        MASK, "user")
    assert "key-in-my-own-file" not in shown.stdout

    project = _write(folder / "shotcraft.toml", f"[{section}]\n{key} = 'key-in-the-project'\n",
                     mode=0o600)
    refused = invoke("config", folder)
    assert refused.exit_code == 1
    assert (f"{project}: [{section}] {key} is a key, and keys are never kept in a project; set "
            f"{variable}") in refused.stderr
    assert "key-in-the-project" not in refused.output


def test_a_key_kept_in_the_users_file_is_masked_in_a_providers_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A key may live in the user's file instead of the environment: a provider echoing it
    back (an error body, a log line) shows it masked all the same."""
    monkeypatch.delenv("SHOTCRAFT_SEEDANCE_API_KEY", raising=False)
    _write(user_config_file(), "[seedance]\napi_key = 'ark-1234567890abcdef'\n"
                               "[comfyui]\nurl = 'http://gpu-box:8188'\n")
    said = clean("\x1b[31mHTTP 401: the key ark-1234567890abcdef is not valid\x1b[0m")
    assert said == "HTTP 401: the key *** is not valid"
    assert clean("server http://gpu-box:8188 did not answer") == (
        "server http://gpu-box:8188 did not answer")  # not a key: left as it is
