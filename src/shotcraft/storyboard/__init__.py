"""Script formats → Script → breakdown → Storyboard; the character bible and composed prompts."""

from shotcraft.storyboard.breakdown import breakdown
from shotcraft.storyboard.characters import build_bible, is_narrator
from shotcraft.storyboard.loader import detect_format, load_script, parse_script
from shotcraft.storyboard.models import Character, Episode, Scene, Storyboard
from shotcraft.storyboard.prompts import DEFAULT_STYLE, NEGATIVE_PROMPT, compose_prompt
from shotcraft.storyboard.script import (
    CharacterNote,
    Element,
    ElementKind,
    Script,
    ScriptEpisode,
    ScriptFormat,
    ScriptScene,
)

__all__ = [
    "DEFAULT_STYLE",
    "NEGATIVE_PROMPT",
    "Character",
    "CharacterNote",
    "Element",
    "ElementKind",
    "Episode",
    "Scene",
    "Script",
    "ScriptEpisode",
    "ScriptFormat",
    "ScriptScene",
    "Storyboard",
    "breakdown",
    "build_bible",
    "compose_prompt",
    "detect_format",
    "is_narrator",
    "load_script",
    "parse_script",
]
