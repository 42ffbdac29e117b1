"""A chat client for any OpenAI-compatible endpoint (OpenAI, DeepSeek, Qwen/DashScope, Moonshot,
a local Ollama or vLLM), over the `openai` package (the `llm` extra).

Settings come from the environment only — never from a project, so a key never lands in one:

- SHOTCRAFT_LLM_BASE_URL  the API root, e.g. https://api.deepseek.com/v1 or
                          http://127.0.0.1:11434/v1 (Ollama); required
- SHOTCRAFT_LLM_MODEL     the model name the endpoint knows, e.g. deepseek-chat; required
- SHOTCRAFT_LLM_API_KEY   sent as a Bearer token; a local server may need none
- SHOTCRAFT_LLM_TIMEOUT   seconds a request may take (default 120)
- SHOTCRAFT_LLM_RETRIES   retries of a timed-out, rate-limited (429, honouring Retry-After) or
                          failed (5xx) request (default 3); the `openai` package does them

Errors follow OpenAI's chat completions reference: a JSON body `{"error": {"message", "type",
"param", "code"}}` with 400, 401 (key), 403, 404 (model), 429 (rate limit or quota) and 5xx.
Each ends in one `LLMError` sentence that names the server, never the key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar
from urllib.parse import urlsplit

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from shotcraft.shots.errors import ConfigError, ShotcraftError
from shotcraft.shots.settings import Section

__all__ = ["ChatClient", "ChatReply", "LLMError", "LLMSettings"]


class LLMError(ShotcraftError):
    """The chat endpoint could not give an answer (after its retries)."""

    title = "LLM error"


class LLMSettings(Section):
    """The chat endpoint `import --assist llm` asks: `[llm]` in the config files,
    `SHOTCRAFT_LLM_*` in the environment; the key only there or in the user's config file."""

    section: ClassVar[str] = "llm"
    model_config = SettingsConfigDict(env_prefix="SHOTCRAFT_LLM_", extra="ignore")

    base_url: str = ""  # an OpenAI-compatible API root, e.g. https://api.deepseek.com/v1
    model: str = ""  # the chat model the endpoint serves, e.g. deepseek-chat, qwen-plus
    api_key: SecretStr = SecretStr("")  # sent as a Bearer token; environment or user config only
    timeout: Annotated[float, Field(gt=0)] = 120.0  # seconds one chat request may take
    # for timeouts, 429, 5xx and answers not in the layout
    retries: Annotated[int, Field(ge=0, le=10)] = 3
    # characters of script sent in one request (about 4k tokens of Chinese at 6000: fits an 8k
    # window with its answer)
    chunk_chars: Annotated[int, Field(ge=400)] = 6000

    def check(self) -> None:
        """A ConfigError naming the variable when the endpoint or the model is not set."""
        if not self.base_url.strip():
            raise ConfigError("set SHOTCRAFT_LLM_BASE_URL to an OpenAI-compatible API root (e.g. "
                              "https://api.deepseek.com/v1 or http://127.0.0.1:11434/v1) to use "
                              "--assist llm")
        if urlsplit(self.base_url.strip()).scheme not in ("http", "https"):
            raise ConfigError(f"SHOTCRAFT_LLM_BASE_URL must start with http:// or https://, "
                              f"not {self.base_url.strip()[:40]!r}")
        if not self.model.strip():
            raise ConfigError("set SHOTCRAFT_LLM_MODEL to the model the endpoint serves (e.g. "
                              "deepseek-chat, qwen-plus, llama3.1) to use --assist llm")

    @property
    def host(self) -> str:
        return urlsplit(self.base_url.strip()).netloc or self.base_url.strip()


@dataclass(frozen=True)
class ChatReply:
    text: str
    finish_reason: str | None  # "stop", "length" (cut off at max_tokens), "content_filter", …
    model: str


def _openai() -> Any:
    try:
        import openai  # the llm extra; only --assist llm needs it
    except ImportError:
        raise ConfigError("--assist llm needs the openai package: pip install 'shotcraft[llm]'") from None
    return openai


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x1b]")


class ChatClient:
    """One chat endpoint and model; `complete()` sends messages and returns the reply."""

    def __init__(self, settings: LLMSettings) -> None:
        settings.check()
        self.settings = settings
        openai = _openai()
        self._key = settings.api_key.get_secret_value()
        self._client = openai.OpenAI(
            base_url=settings.base_url.strip().rstrip("/"),
            api_key=self._key or "unused",  # a local Ollama/vLLM takes any key
            timeout=settings.timeout, max_retries=settings.retries,
        )
        self._errors = openai

    @property
    def model(self) -> str:
        return self.settings.model.strip()

    def complete(self, messages: list[dict[str, str]], *, max_tokens: int | None = None,
                 temperature: float = 0.2) -> ChatReply:
        """The first choice of a chat completion; LLMError when the endpoint gives none."""
        openai = self._errors
        options: dict[str, Any] = {"model": self.model, "messages": messages,
                                   "temperature": temperature}
        if max_tokens is not None:
            options["max_tokens"] = max_tokens
        try:
            completion = self._client.chat.completions.create(**options)
        except openai.APITimeoutError:
            raise LLMError(f"the LLM server at {self.settings.host} did not answer within "
                           f"{self.settings.timeout:g} s ({self.settings.retries} retries); try "
                           "again, or raise SHOTCRAFT_LLM_TIMEOUT") from None
        except openai.APIConnectionError:
            raise LLMError(f"the LLM server at {self.settings.host} could not be reached; check "
                           "SHOTCRAFT_LLM_BASE_URL and that the server is running") from None
        except openai.APIStatusError as exc:
            raise LLMError(self._refusal(exc.status_code, exc)) from None
        choices = getattr(completion, "choices", None) or []
        if not choices:
            raise LLMError(f"the LLM server at {self.settings.host} answered without a choice")
        choice = choices[0]
        text = getattr(getattr(choice, "message", None), "content", None) or ""
        return ChatReply(text=text, finish_reason=getattr(choice, "finish_reason", None),
                         model=getattr(completion, "model", None) or self.model)

    def _refusal(self, status: int, exc: Any) -> str:
        host = self.settings.host
        message = self._said(exc)
        if status == 401:
            return f"the LLM server at {host} refused the key (HTTP 401): check SHOTCRAFT_LLM_API_KEY"
        if status == 403:
            return f"the LLM server at {host} refused the request (HTTP 403): {message or 'no access'}"
        if status == 404:
            return (f"the LLM server at {host} does not know the model {self.model!r} (HTTP 404): "
                    "check SHOTCRAFT_LLM_MODEL")
        if status == 429:
            return (f"the LLM server at {host} is rate-limited or out of quota (HTTP 429, after "
                    f"{self.settings.retries} retries): {message or 'try again later'}")
        if status >= 500:
            return (f"the LLM server at {host} failed on its side (HTTP {status}, after "
                    f"{self.settings.retries} retries); try again later")
        return f"the LLM server at {host} refused the request (HTTP {status}): {message or 'no details'}"

    def _said(self, exc: Any) -> str:
        """The server's own message from its error body, one line, without control characters
        and without the key should a server echo it."""
        body = getattr(exc, "body", None)
        message = ""
        if isinstance(body, dict):
            inner = body.get("error", body)
            if isinstance(inner, dict):
                message = str(inner.get("message") or "")
            elif isinstance(inner, str):
                message = inner
        message = " ".join(_CONTROL.sub(" ", message).split())[:300]
        if self._key and len(self._key) >= 4:
            message = message.replace(self._key, "***")
        return message
