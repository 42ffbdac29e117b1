"""Export presets: the episode format every clip is normalised to.

All presets share one H.264/AAC setting so normalised clips, slates and crossfade joins can be
stream-copied together; only size and frame rate differ.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from shotcraft.shots.errors import SpecError


class Preset(BaseModel):
    """An output format: size, frame rate and the encoder settings shared by every segment."""

    model_config = ConfigDict(frozen=True)

    name: str
    width: int
    height: int
    fps: int = 30
    crf: int = 20
    x264_preset: str = "veryfast"
    audio_rate: int = 48000
    audio_channels: int = 2
    audio_bitrate: str = "160k"

    def video_args(self) -> dict[str, str | int]:
        """ffmpeg output options for video, identical for every segment of an episode."""
        return {
            "vcodec": "libx264",
            "profile:v": "high",
            "preset": self.x264_preset,
            "crf": self.crf,
            "pix_fmt": "yuv420p",
            # identical colour tags and timescale keep every segment's SPS and timebase equal,
            # which is what lets the concat demuxer stream-copy them into one file
            "color_primaries": "bt709",
            "color_trc": "bt709",
            "colorspace": "bt709",
            "color_range": "tv",
            "video_track_timescale": self.fps * 512,
        }

    def audio_args(self) -> dict[str, str | int]:
        """ffmpeg output options for the episode's audio track."""
        return {
            "acodec": "aac",
            "ar": self.audio_rate,
            "ac": self.audio_channels,
            "b:a": self.audio_bitrate,
        }


PRESETS: dict[str, Preset] = {
    preset.name: preset
    for preset in (
        Preset(name="vertical-1080", width=1080, height=1920),
        Preset(name="vertical-720", width=720, height=1280),
        Preset(name="landscape-1080", width=1920, height=1080),
        # tiny, for tests and quick previews on slow machines
        Preset(name="test-small", width=180, height=320),
    )
}

DEFAULT_PRESET = "vertical-1080"


def get_preset(name: str) -> Preset:
    """The preset called `name`; SpecError listing the known names otherwise."""
    try:
        return PRESETS[name]
    except KeyError:
        known = ", ".join(PRESETS)
        raise SpecError(f"unknown preset {name!r}; choose one of {known}.", field="preset") from None
