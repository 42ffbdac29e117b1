"""Seedance's settings (`[seedance]` in the config files, `SHOTCRAFT_SEEDANCE_*` in the
environment): the Ark account and what each draw asks for; the key only in the environment or
the user's config file (mode 0600)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from shotcraft.shots.settings import Section

# Ark's API hosts: Volcengine Ark (china) and BytePlus ModelArk (international)
HOSTS = {"china": "https://ark.cn-beijing.volces.com/api/v3",
         "international": "https://ark.ap-southeast.bytepluses.com/api/v3"}

# the model each region calls its Seedance 2.0 (Volcengine: doubao-, BytePlus: dreamina-)
DEFAULT_MODELS = {"china": "doubao-seedance-2-0-260128",
                  "international": "dreamina-seedance-2-0-260128"}
KEY_MISSING = ("Seedance needs an Ark API key: set SHOTCRAFT_SEEDANCE_API_KEY, or api_key under "
               "[seedance] in your config file (mode 0600; `shotcraft config` names it).")


class SeedanceSettings(Section):
    """Seedance on Volcengine Ark (china) or BytePlus ModelArk (international)."""

    section: ClassVar[str] = "seedance"
    model_config = SettingsConfigDict(env_prefix="SHOTCRAFT_SEEDANCE_", extra="ignore")

    api_key: SecretStr | None = None  # Ark's API key, sent as a Bearer token
    region: Literal["china", "international"] = "china"  # Volcengine Ark (china) or BytePlus ModelArk
    model: str = ""  # empty: the region's Seedance 2.0
    base_url: str = ""  # empty: the region's host; set for tests and proxies
    resolution: Literal["480p", "720p", "1080p"] = "720p"  # what each draw asks for, where the model has it
    audio: bool = False  # Seedance's native sound (generate_audio), where the model has it
    watermark: bool = False  # Ark's "AI generated" mark in the corner
    max_tasks: int = 5  # tasks this process has running at once
    poll_interval: float = 5.0  # seconds before the first poll of a task
    poll_backoff: float = 1.5  # each later poll waits this many times longer
    poll_max_interval: float = 30.0  # the longest wait between polls, seconds
    max_poll_seconds: float = 3600.0  # a task still running after this is left to resume later
    request_timeout: float = 30.0  # seconds one HTTP request may take
    retries: int = 5  # for 429, 5xx and lost answers, per call
    retry_delay: float = 1.0  # first back-off, seconds (doubled each time)
    max_download_bytes: int = 1024 * 1024 * 1024  # the largest result file downloaded
    # "model/resolution[/audio]" → price per million tokens, overriding models.PRICES
    cost_table: dict[str, float] = {}

    @model_validator(mode="after")
    def _defaults(self) -> SeedanceSettings:
        if not self.base_url:
            self.base_url = HOSTS[self.region]
        if not self.model:
            self.model = DEFAULT_MODELS[self.region]
        return self
