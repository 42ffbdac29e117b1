"""Kling's settings (`[kling]` in the config files, `SHOTCRAFT_KLING_*` in the environment):
one account for video, stills, elements, lip-sync and speech."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from shotcraft.shots.settings import Section

RESULT_LIFETIME = timedelta(days=30)  # Kling deletes generated videos after 30 days
# Kling's API hosts per region; keys are issued per region and work only on their own host.
# global: Kling "General Information" (api-singapore.klingai.com, "for users whose servers are
# located outside of China"); china: api-beijing.klingai.com, named in the issue, ASSUMED (no
# page read says so).
REGION_HOSTS = {"global": "https://api-singapore.klingai.com",
                "china": "https://api-beijing.klingai.com"}
REGION_NAMES = {"global": "global", "china": "China"}
KEYS_MISSING = (
    "Kling needs API keys: set SHOTCRAFT_KLING_ACCESS_KEY and SHOTCRAFT_KLING_SECRET_KEY."
)


class KlingSettings(Section):
    """The Kling account: `[kling]` in the config files, `SHOTCRAFT_KLING_*` in the environment;
    the keys only in the environment or the user's config file (mode 0600)."""

    section = "kling"
    model_config = SettingsConfigDict(env_prefix="SHOTCRAFT_KLING_", extra="ignore")

    region: Literal["global", "china"] = "global"  # picks the host; keys are per region
    base_url: str = ""  # an explicit host wins over the region's (empty: the region's host)
    access_key: SecretStr | None = None
    secret_key: SecretStr | None = None
    model_name: str = "kling-v1-6"
    mode: Literal["std", "pro"] = "std"
    cfg_scale: float = 0.5
    concurrency: int | None = None  # takes one render call works on at once (None: max_tasks)
    # the account's parallel-task limit (Kling "Concurrency Rules": per account, set by the
    # resource pack; the default 5 is ASSUMED): this process never has more tasks submitted and
    # unfinished than this, across all its render calls
    max_tasks: int = 5
    sound: Literal["on", "off"] = "off"  # Kling's native sound, where the model has it
    poll_interval: float = 5.0  # first wait between polls, seconds
    poll_backoff: float = 1.5  # each wait is this much longer ...
    poll_max_interval: float = 30.0  # ... up to this
    jitter: float = 0.2  # ± this fraction of every wait, so parallel takes do not poll in step
    max_poll_seconds: float = 1800.0
    request_timeout: float = 30.0
    retries: int = 5  # for 429, 5xx and timeouts, per call
    retry_delay: float = 1.0  # first back-off after a 429/5xx, doubled each time
    tts_poll_interval: float = 1.0  # speech tasks: the wait between polls, seconds
    token_ttl: int = 1800  # JWT lifetime, seconds; re-signed with < 5 min left
    max_download_bytes: int = 512 * 1024 * 1024
    callback_url: str | None = None
    cost_table: dict[str, float] = {}  # "model/mode/seconds" → units, overriding COST_TABLE

    @model_validator(mode="after")
    def _region_host(self) -> KlingSettings:
        if not self.base_url:
            self.base_url = REGION_HOSTS[self.region]
        return self
