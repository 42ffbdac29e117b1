"""A script format: `@ PLACE` starts a scene, `NAME: words` is a line, anything else action."""

from __future__ import annotations

from shotcraft.shots.errors import ScriptError
from shotcraft.storyboard.formats import ScriptReader
from shotcraft.storyboard.script import Element, ElementKind, Script, ScriptEpisode, ScriptScene


class PlainReader(ScriptReader):
    name = "plain"
    suffixes = (".plain",)
    description = "plain scenes: @ PLACE, NAME: line, action"

    def detect(self, text: str) -> int:
        return 4 if text.lstrip().startswith("@ ") else 0

    def parse(self, text: str, *, path: str | None = None) -> Script:
        episode = ScriptEpisode(number=1)
        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw.strip()
            if not line:
                continue
            if line.startswith("@ "):
                place = line[2:].strip()
                episode.scenes.append(ScriptScene(number=str(len(episode.scenes) + 1),
                                                  heading=line, location=place, line=number))
                continue
            if not episode.scenes:
                raise ScriptError("a scene starts with '@ PLACE'", file=path, line=number)
            scene = episode.scenes[-1]
            name, colon, words = line.partition(":")
            if colon and name.strip().isupper() and words.strip():
                speaker = name.strip().title()
                scene.elements.append(Element(kind=ElementKind.DIALOGUE, text=words.strip(),
                                              speaker=speaker, speaker_cue=name.strip(),
                                              line=number))
                if speaker not in scene.characters:
                    scene.characters.append(speaker)
            else:
                scene.elements.append(Element(kind=ElementKind.ACTION, text=line, line=number))
        return Script(format=self.name, path=path, language="en", episodes=[episode])
