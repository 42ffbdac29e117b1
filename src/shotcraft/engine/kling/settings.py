"""Kling settings from `SHOTCRAFT_KLING_*` environment variables, and Kling's fixed limits."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

MAX_PROMPT = 2500  # Kling's limit for prompt and negative_prompt, in characters
MAX_IMAGE_BYTES = 10 * 1024 * 1024  # Kling refuses reference images over 10 MB
# multi-image2video takes 1-4 images in image_list (kling-v1-6): Kling's multiImageToVideo page,
# as linked from docs.yutoai.net and repeated by doc.ezmodel.cloud and docs.anyfast.ai (README)
MAX_REFERENCES = 4
RESULT_LIFETIME = timedelta(days=30)  # Kling deletes generated videos after 30 days
ASPECTS = ("16:9", "9:16", "1:1")
KEYS_MISSING = (
    "Kling needs API keys: set SHOTCRAFT_KLING_ACCESS_KEY and SHOTCRAFT_KLING_SECRET_KEY."
)


class KlingSettings(BaseSettings):
    """Kling settings from `SHOTCRAFT_KLING_*` environment variables."""

    model_config = SettingsConfigDict(env_prefix="SHOTCRAFT_KLING_", extra="ignore")

    base_url: str = "https://api-singapore.klingai.com"
    access_key: SecretStr | None = None
    secret_key: SecretStr | None = None
    model_name: str = "kling-v1-6"
    mode: Literal["std", "pro"] = "std"
    cfg_scale: float = 0.5
    concurrency: int = 2  # tasks in flight at once (Kling limits concurrency per account)
    poll_interval: float = 5.0  # first wait between polls, seconds
    poll_backoff: float = 1.5  # each wait is this much longer ...
    poll_max_interval: float = 30.0  # ... up to this
    jitter: float = 0.2  # ± this fraction of every wait, so parallel takes do not poll in step
    max_poll_seconds: float = 1800.0
    request_timeout: float = 30.0
    retries: int = 5  # for 429, 5xx and timeouts, per call
    retry_delay: float = 1.0  # first back-off after a 429/5xx, doubled each time
    token_ttl: int = 1800  # JWT lifetime, seconds; re-signed with < 5 min left
    max_download_bytes: int = 512 * 1024 * 1024
    callback_url: str | None = None
    cost_table: dict[str, float] = {}  # "model/mode/seconds" → units, overriding COST_TABLE
