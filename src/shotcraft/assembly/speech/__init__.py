"""Speech: engines behind one protocol, the per-line cache, OS/VO treatments, the voice track."""

from shotcraft.assembly.speech.base import ENGINES, SpeechEngine, engine_names, get_engine
from shotcraft.assembly.speech.cache import SpokenLine, speak, speech_key
from shotcraft.assembly.speech.track import SpokenCue, VoiceTrack, voice_track, voices_for
from shotcraft.assembly.speech.treatment import Treatment, treatment_for

__all__ = ["ENGINES", "SpeechEngine", "SpokenCue", "SpokenLine", "Treatment", "VoiceTrack",
           "engine_names", "get_engine", "speak", "speech_key", "treatment_for", "voice_track",
           "voices_for"]
