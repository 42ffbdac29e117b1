"""What an import read: episodes, scenes with their heading lines, characters with the line that
introduced them, speakers no cast list names, and warnings for what looks wrong.

`read_report(script, board)` is pure; `import --dry-run` prints it, `import` prints it after
saving, `--json` gives `ScriptReport.model_dump(mode="json")` — the shape documented in
docs/guide/scripts.md (fields are only ever added).
"""

from __future__ import annotations

from collections import Counter

from pydantic import BaseModel, Field

from shotcraft.storyboard.characters import is_group, is_voice_only, scene_ids
from shotcraft.storyboard.models import Storyboard
from shotcraft.storyboard.script import ElementKind, Script, ScriptWarning

LONG_SCENE_SHOTS = 40  # a scene with more shots than this was most likely several scenes


class SceneRead(BaseModel):
    id: str  # "1-2": episode-scene, as the storyboard numbers it
    number: str | None  # as written: "1-2", "12", None for text before any heading
    heading: str  # the heading line as written (markup stripped)
    line: int  # its line in the script
    shots: int


class EpisodeRead(BaseModel):
    number: int
    title: str | None
    line: int
    scenes: list[SceneRead] = Field(default_factory=list)


class CharacterRead(BaseModel):
    name: str
    aliases: list[str] = Field(default_factory=list)
    line: int | None  # the line that introduced them: a cast list, a note, or their first cue
    first_scene: str | None
    lines: int  # how many dialogue lines they speak
    described: bool  # the script says what they look like or who they are


class SpeakerRead(BaseModel):
    name: str
    line: int  # first line they speak
    lines: int
    voice_only: bool  # a narrator, a 系统音/广播 voice or a crowd: heard, not a face


class ScriptReport(BaseModel):
    script: str
    format: str
    language: str
    encoding: str | None
    hygiene: list[str] = Field(default_factory=list)  # what reading changed, in words
    title: str | None
    episodes: int
    scenes: int
    shots: int
    characters: int
    dialogue_lines: int
    action_lines: int
    notes: dict[str, int] = Field(default_factory=dict)  # writer's notes by kind (subtitle, sound…)
    episode_list: list[EpisodeRead] = Field(default_factory=list)
    character_list: list[CharacterRead] = Field(default_factory=list)
    speakers_not_in_cast: list[SpeakerRead] = Field(default_factory=list)
    warnings: list[ScriptWarning] = Field(default_factory=list)

    def summary(self) -> str:
        """One line: what was read."""
        return (f"read {self.script} ({self.format}"
                + (f", {self.encoding}" if self.encoding else "") + f"): {self.episodes} episodes, "
                f"{self.scenes} scenes, {self.shots} shots, {self.characters} characters, "
                f"{self.dialogue_lines} dialogue lines")


def read_report(script: Script, board: Storyboard, *, path: str | None = None) -> ScriptReport:
    """The report of `script` as broken down into `board`."""
    shots_by_scene = {scene.id: len(scene.shots) for ep in board.episodes for scene in ep.scenes}
    episodes: list[EpisodeRead] = []
    by_number = {ep.number: ep for ep in script.episodes}
    for scene_id, scene in scene_ids(script):
        number = int(scene_id.split("-", 1)[0])
        if not episodes or episodes[-1].number != number:
            source = by_number[number]
            episodes.append(EpisodeRead(number=number, title=source.title, line=source.line))
        episodes[-1].scenes.append(SceneRead(
            id=scene_id, number=scene.number, heading=scene.heading, line=scene.line,
            shots=shots_by_scene.get(scene_id, 0)))
    warnings = list(script.warnings)
    for episode in episodes:
        for read in episode.scenes:
            if read.shots > LONG_SCENE_SHOTS:
                warnings.append(ScriptWarning(
                    kind="long_scene", line=read.line,
                    message=f"scene {read.id} has {read.shots} shots (more than "
                            f"{LONG_SCENE_SHOTS}): were some scene headings not read?"))
    warnings.sort(key=lambda w: (w.line or 0, w.kind))

    spoken: Counter[str] = Counter()
    first_spoken: dict[str, int] = {}
    notes: Counter[str] = Counter()
    cast: set[str] = {note.name for note in script.character_notes}
    for ep in script.episodes:
        for sc in ep.scenes:
            cast.update(sc.characters)
            for el in sc.elements:
                if el.kind is ElementKind.DIALOGUE and el.speaker:
                    spoken[el.speaker] += 1
                    first_spoken.setdefault(el.speaker, el.line)
                elif el.kind is ElementKind.NOTE:
                    notes[el.note_kind or "other"] += 1
    introduced = {note.name.casefold(): note.line for note in script.character_notes if note.line}
    characters = []
    for character in board.characters:
        names = [character.name, *character.aliases]
        line = next((introduced[n.casefold()] for n in names if n.casefold() in introduced),
                    character.first_line)
        characters.append(CharacterRead(
            name=character.name, aliases=list(character.aliases), line=line,
            first_scene=character.first_scene, lines=sum(spoken[n] for n in names),
            described=bool(character.description)))
    known = {n.casefold() for n in cast} | {
        a.casefold() for c in board.characters if c.name in cast for a in c.aliases}
    strangers = [SpeakerRead(name=name, line=first_spoken[name], lines=count,
                             voice_only=is_voice_only(name) or is_group(name))
                 for name, count in spoken.items() if name.casefold() not in known]
    strangers.sort(key=lambda s: s.line)
    reading = script.reading
    return ScriptReport(
        script=path or script.path or "", format=str(script.format), language=script.language,
        encoding=reading.encoding if reading else None,
        hygiene=reading.changes() if reading else [], title=script.title,
        episodes=len(board.episodes), scenes=sum(len(ep.scenes) for ep in board.episodes),
        shots=len(board.shots()), characters=len(board.characters),
        dialogue_lines=script.dialogue_count(), action_lines=script.action_count(),
        notes=dict(sorted(notes.items())), episode_list=episodes, character_list=characters,
        speakers_not_in_cast=strangers, warnings=warnings,
    )
