"""Script formats → Script → breakdown → Storyboard; the character bible and composed prompts."""

from storyboard.breakdown import breakdown
from storyboard.characters import build_bible, is_narrator
from storyboard.loader import detect_format, load_script, parse_script
from storyboard.models import Character, Episode, Scene, Storyboard
from storyboard.prompts import DEFAULT_STYLE, NEGATIVE_PROMPT, compose_prompt
from storyboard.script import (
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
