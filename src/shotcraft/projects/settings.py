"""The settings tree: every section of shotcraft's settings, read one way (shots/settings.py).

| section       | environment             | what                                          |
|---------------|-------------------------|-----------------------------------------------|
| `[general]`   | `SHOTCRAFT_*`           | ffmpeg, ffprobe, font, script size, images, debug |
| `[engine]`    | `SHOTCRAFT_*`           | the default engine, previz's scale            |
| `[executor]`  | `SHOTCRAFT_*`           | where takes are drawn (local, ray)            |
| `[identity]`  | `SHOTCRAFT_IDENTITY_*`  | the identity threshold of pick --auto         |
| `[kling]`     | `SHOTCRAFT_KLING_*`     | the Kling account (keys: user file or env)    |
| `[seedance]`  | `SHOTCRAFT_SEEDANCE_*`  | Seedance on Ark (key: user file or env)       |
| `[comfyui]`   | `SHOTCRAFT_COMFYUI_*`   | a ComfyUI server and its workflow             |
| `[diffusers]` | `SHOTCRAFT_DIFFUSERS_*` | local models and how to run them              |
| `[tts]`       | `SHOTCRAFT_TTS_*`       | an OpenAI-compatible speech server            |
| `[llm]`       | `SHOTCRAFT_LLM_*`       | the chat endpoint of `import --assist llm`    |

Each section is declared beside the code that uses it and builds itself where it is needed;
this module is where they are gathered, for `shotcraft config` and for a front-end that wants
them all at once.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from shotcraft.assembly.speech.openai import TtsSettings
from shotcraft.engine.diffusers_settings import DiffusersSettings
from shotcraft.engine.executors import ExecutorSettings
from shotcraft.engine.settings import EngineSettings
from shotcraft.projects.scoring import IdentitySettings
from shotcraft.providers.ark.settings import SeedanceSettings
from shotcraft.providers.comfyui.settings import ComfyUISettings
from shotcraft.providers.kling.settings import KlingSettings
from shotcraft.providers.openai_compat import LLMSettings
from shotcraft.shots.settings import (
    GeneralSettings,
    Section,
    Setting,
    explain,
    project_file,
    use_project,
    user_config_file,
)

SECTIONS: tuple[type[Section], ...] = (GeneralSettings, EngineSettings, ExecutorSettings,
                                       IdentitySettings, KlingSettings, SeedanceSettings,
                                       ComfyUISettings, DiffusersSettings, TtsSettings,
                                       LLMSettings)


class Settings(BaseModel):
    """Every section's effective values."""

    general: GeneralSettings
    engine: EngineSettings
    executor: ExecutorSettings
    identity: IdentitySettings
    kling: KlingSettings
    seedance: SeedanceSettings
    comfyui: ComfyUISettings
    diffusers: DiffusersSettings
    tts: TtsSettings
    llm: LLMSettings

    @classmethod
    def load(cls) -> Settings:
        """The settings now (the project in use's file among them)."""
        return cls(general=GeneralSettings(), engine=EngineSettings(),
                   executor=ExecutorSettings(), identity=IdentitySettings(),
                   kling=KlingSettings(), seedance=SeedanceSettings(),
                   comfyui=ComfyUISettings(), diffusers=DiffusersSettings(), tts=TtsSettings(),
                   llm=LLMSettings())


def settings_of(project: Path | None) -> list[Setting]:
    """Each setting's effective value (keys masked) and where it came from, reading `project`'s
    shotcraft.toml (None: no project's)."""
    use_project(project)
    return [row for section in SECTIONS for row in explain(section)]


__all__ = ["SECTIONS", "Setting", "Settings", "project_file", "settings_of", "user_config_file"]
