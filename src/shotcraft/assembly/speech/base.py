"""The speech-engine protocol: every engine turns (text, voice) into a WAV and says how long it is.

An engine is a class with a `name`, a `version()` (part of every cache key, so a new engine
release re-synthesises), `check(voice)` (a SpecError naming the field for a voice it cannot
speak, before any work) and `synthesize(text, voice, out)` (write a WAV to `out`, return its
length in seconds). Engines are `shotcraft.speech` entry points (shots/plugins.py), imported
only when asked for, so a cloud engine (Kling TTS, an OpenAI-compatible /audio/speech server)
slots in as one more module and its entry point; its keys come from the settings, and the
per-line cache (speech.cache) is what keeps it from being paid twice for the same line.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import ClassVar

from shotcraft.shots.plugins import PluginKind
from shotcraft.storyboard.voices import Voice


class SpeechEngine(ABC):
    """One text-to-speech engine (see the module docstring)."""

    name: ClassVar[str]
    paid: ClassVar[bool] = False  # each synthesis is billed: nothing is spoken just to measure

    @abstractmethod
    def version(self) -> str:
        """The engine and model version; a change re-synthesises every line."""

    @abstractmethod
    def check(self, voice: Voice) -> None:
        """Raise SpecError naming the field when this engine cannot speak `voice`."""

    @abstractmethod
    def synthesize(self, text: str, voice: Voice, out: Path, task_file: Path | None = None) -> float:
        """Speak `text` in `voice` into the WAV file `out`; return its length in seconds.
        `task_file` (beside the line's cache entry) is where an engine that polls a remote task
        keeps its id, so a run killed mid-poll resumes the task instead of paying again."""


ENGINES: PluginKind[SpeechEngine] = PluginKind("shotcraft.speech", "speech engine", SpeechEngine,
                                               order=("espeak", "kling", "openai"))
_made: dict[str, SpeechEngine] = {}


def engine_names() -> list[str]:
    """The installed speech engines, shotcraft's own first."""
    return ENGINES.names()


def get_engine(name: str) -> SpeechEngine:
    """The speech engine called `name` (made once); ConfigError listing what is installed."""
    if name not in _made or type(_made[name]) is not ENGINES.load(name):
        _made[name] = ENGINES.make(name)
    return _made[name]
