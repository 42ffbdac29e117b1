"""espeak-ng, the local speech engine: robotic but instant, free and the same on every machine.

A voice id is `LANGUAGE+VARIANT` (`cmn+f2`, `en+m3`): a language from `espeak-ng --voices`
(`zh` is taken as `cmn`, espeak-ng's Mandarin) and a variant from `espeak-ng --voices=variant`.
Speed scales the voice's normal rate: espeak's 175 words a minute for alphabetic languages,
and 320 for Mandarin and Cantonese, whose "words" espeak counts as syllables — at 175 its
Mandarin says 2.3 characters a second with pauses, about half the 4.0 of everyday speech, so
every line would run twice its shot. Pitch is espeak's own 0-99 (-p).
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import wave
from pathlib import Path

from shotcraft.assembly.speech.base import SpeechEngine
from shotcraft.shots.errors import AssemblyError, SpecError
from shotcraft.storyboard.voices import Voice, language_base

NO_ESPEAK = "espeak-ng is not installed: apt-get install espeak-ng, or export without --voice"
WORDS_PER_MINUTE = 175
# languages whose normal rate is not espeak's 175: Mandarin at 320 says about 4 characters a
# second with pauses (measured on assembly.speech.rate's passage); bumping this changes how
# every line sounds, so RATES_REVISION goes into the version (and so every cache key)
NORMAL_WPM = {"cmn": 320, "yue": 320}
RATES_REVISION = 2
_ALIASES = {"zh": "cmn", "zh-cn": "cmn", "mandarin": "cmn"}


def binary() -> str:
    found = shutil.which("espeak-ng")
    if found is None:
        raise AssemblyError(NO_ESPEAK)
    return found


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([binary(), *args], capture_output=True, text=True,  # noqa: S603
                          errors="replace", check=False)


@functools.cache
def _version() -> str:
    words = _run(["--version"]).stdout.split()
    # "eSpeak NG text-to-speech: 1.51  Data at: …": the number after the colon
    number = next((w for w, before in zip(words[1:], words, strict=False) if before.endswith(":")), "")
    return f"espeak-ng {number or 'unknown'} (rates {RATES_REVISION})"


@functools.cache
def languages() -> frozenset[str]:
    """Every language name espeak-ng has a voice for (lowercase)."""
    names: set[str] = set()
    for line in _run(["--voices"]).stdout.splitlines()[1:]:
        parts = line.split()
        if len(parts) >= 5 and not parts[4].startswith("mb/"):  # mbrola voices need extra data
            names.add(parts[1].lower())
            names.add(parts[4].rsplit("/", 1)[-1].lower())  # the file: gmw/en → en
    return frozenset(names)


@functools.cache
def variants() -> frozenset[str]:
    """Every variant espeak-ng knows (`f2`, `m3`, `klatt`, …), lowercase."""
    names: set[str] = set()
    for line in _run(["--voices=variant"]).stdout.splitlines()[1:]:
        parts = line.split()
        if len(parts) >= 5 and parts[4].startswith("!v/"):
            names.add(parts[4][3:].lower())
    return frozenset(names)


def espeak_voice(voice: Voice) -> str:
    """The `-v` argument for a voice ("zh+f3" → "cmn+f3")."""
    base, plus, variant = voice.voice.partition("+")
    base = _ALIASES.get(base.lower(), base.lower()) if base else language_base(voice.language)
    return f"{base}{plus}{variant.lower()}"


class EspeakEngine(SpeechEngine):
    name = "espeak"

    def version(self) -> str:
        return _version()

    def check(self, voice: Voice) -> None:
        base, _, variant = espeak_voice(voice).partition("+")
        examples = "cmn+f2, cmn+m3, en+f3, en+m1"
        if base not in languages():
            raise SpecError(f"{voice.voice!r} is not an espeak-ng voice: {base!r} is no language "
                            f"it speaks; try {examples} (espeak-ng --voices lists them all).",
                            field="voice")
        if variant and variant not in variants():
            some = ", ".join(sorted(v for v in variants() if len(v) == 2))
            raise SpecError(f"{voice.voice!r} is not an espeak-ng voice: {variant!r} is no "
                            f"variant; try one of {some} (espeak-ng --voices=variant).",
                            field="voice")

    def synthesize(self, text: str, voice: Voice, out: Path, task_file: Path | None = None) -> float:
        self.check(voice)
        out = Path(out)
        text_file = out.with_suffix(".txt")  # the line as a file: script text is never an argument
        text_file.write_text(text, encoding="utf-8")
        try:
            name = espeak_voice(voice)
            normal = NORMAL_WPM.get(name.partition("+")[0], WORDS_PER_MINUTE)
            result = _run(["-v", name, "-s", str(round(normal * voice.speed)),
                           "-p", str(voice.pitch), "-b", "1", "-w", str(out), "-f", str(text_file)])
        finally:
            text_file.unlink(missing_ok=True)
        if result.returncode != 0 or not out.is_file():
            tail = (result.stderr.strip().splitlines() or ["no details"])[-1]
            raise AssemblyError(f"espeak-ng could not speak voice {voice.voice!r}: {tail}",
                                stderr_tail=result.stderr[-2000:])
        with wave.open(str(out), "rb") as handle:
            return handle.getnframes() / handle.getframerate()
