"""ComfyUI's settings (`[comfyui]` in the config files, `SHOTCRAFT_COMFYUI_*` in the
environment): the server and the workflow shotcraft fills from each shot."""

from __future__ import annotations

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from shotcraft.shots.settings import Section

URL_MISSING = ("ComfyUI needs a server: set SHOTCRAFT_COMFYUI_URL (e.g. http://127.0.0.1:8188) "
               "and SHOTCRAFT_COMFYUI_WORKFLOW to a workflow file, or url and workflow under "
               "[comfyui] in shotcraft.toml.")


class ComfyUISettings(Section):
    """A self-hosted ComfyUI server and the workflow shotcraft fills from each shot."""

    section: ClassVar[str] = "comfyui"
    model_config = SettingsConfigDict(env_prefix="SHOTCRAFT_COMFYUI_", extra="ignore")

    url: str = ""  # the server, local or on a GPU box
    workflow: str = ""  # a workflow file, API or UI (graph) format (--workflow FILE wins)
    long_side: int | None = None  # pixels of the long side drawn (None: the workflow's own)
    fps: float = 24.0  # when the workflow says no frame rate of its own
    request_timeout: float = 30.0  # seconds one HTTP request may take
    event_timeout: float = 0.5  # seconds a websocket read waits before looking at cancel/history
    poll_interval: float = 2.0  # history polls when the websocket is silent
    max_run_seconds: float = 3600.0  # a prompt still running after this is left to resume later
    retries: int = 5  # for refused connections and 5xx answers, per call
    retry_delay: float = 1.0  # first back-off, seconds (doubled each time)
