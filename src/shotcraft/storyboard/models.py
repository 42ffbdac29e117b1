"""The storyboard: episodes → scenes → shots, plus the character bible."""

from __future__ import annotations

from pydantic import BaseModel, Field, field_validator

from shotcraft.shots.models import Shot
from shotcraft.shots.names import normalise_name
from shotcraft.storyboard.voices import Voice


class Character(BaseModel):
    name: str
    aliases: list[str] = Field(default_factory=list)
    description: str | None = None  # appearance, wardrobe
    references: list[str] = Field(default_factory=list)  # image paths inside the project
    first_scene: str | None = None  # scene id of the first appearance
    first_line: int | None = None
    voice: Voice | None = None  # None: a default voice (storyboard.voices.assign_voices)
    # how strongly the references steer the diffusers keyframe stage, 0-1; None: the engine's
    ip_adapter_scale: float | None = None

    @field_validator("name")
    @classmethod
    def _one_form(cls, name: str) -> str:
        return normalise_name(name)

    @field_validator("aliases")
    @classmethod
    def _one_form_each(cls, aliases: list[str]) -> list[str]:
        return list(dict.fromkeys(a for a in (normalise_name(alias) for alias in aliases) if a))


class Scene(BaseModel):
    id: str  # "1-2": episode-scene, unique within the storyboard
    episode: int
    number: int  # 1-based order within the episode
    heading: str
    location: str
    time: str | None = None
    interior: bool | None = None
    characters: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    shots: list[Shot] = Field(default_factory=list)

    @field_validator("characters")
    @classmethod
    def _one_form_each(cls, names: list[str]) -> list[str]:
        return list(dict.fromkeys(n for n in (normalise_name(name) for name in names) if n))


class Episode(BaseModel):
    number: int
    title: str | None = None
    scenes: list[Scene] = Field(default_factory=list)

    def shots(self) -> list[Shot]:
        return [shot for scene in self.scenes for shot in scene.shots]


class Storyboard(BaseModel):
    title: str | None = None
    fps: int = 30
    aspect: str = "9:16"
    language: str = "en"
    episodes: list[Episode] = Field(default_factory=list)
    characters: list[Character] = Field(default_factory=list)

    def shots(self) -> list[Shot]:
        return [shot for ep in self.episodes for shot in ep.shots()]

    def character(self, name: str) -> Character | None:
        for character in self.characters:
            if character.name == name or name in character.aliases:
                return character
        return None
