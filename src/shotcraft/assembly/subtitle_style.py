"""Where burned subtitles go and how they look: presets inside each platform's safe area.

A platform draws its own interface over a vertical video: tabs at the top, a column of buttons
on the right, the author, description and music at the bottom. A preset is the part of the
frame its interface leaves clear (margins as shares of the frame, measured on 1080×1920) and
the look of the subtitles there; subtitles are centred in the clear band and their block's
bottom edge sits just above the bottom margin. Sources of the numbers:

- `douyin` (抖音): top 250, bottom 460, left 60, right 180 px. 抖音 and TikTok share one
  interface design; measured on 1080×1920, TikTok's top interface crowds the first 130–250 px,
  its description, author and music the bottom 320–460 px, its button column the right
  120–180 px (blitzcut.com "Best Caption Placement for Short-Form Video", socaptions.com
  "TikTok safe zones 2026"). TikTok's own ads help publishes template files, not numbers, since
  the band grows with the description's length; the preset takes the largest of each range.
- `kuaishou` (快手): top 220, bottom 500, left 60, right 180 px. 快手's single-column feed
  stacks the author, description and music above its bottom tab bar, with the button column on
  the right; no reachable document gives its pixels, so the preset takes the cross-platform
  worst case of TikTok and Reels (220 top, 500 bottom, 180 sides; coreyhaines31/marketingskills,
  "Short-form vertical video spec").
- `wechat-channels` (视频号): top 14 %, bottom 35 %, sides 6 %. 视频号 lays its author,
  description and the like/share/comment bar across the bottom; the preset takes Meta's
  published guidance for Reels ads, the most conservative documented vertical-feed figure
  (14 % top, 35 % bottom, 6 % each side; as summarised by shotstack.io "Vertical video safe
  zones").
- `generic`: 5 % on every side, the graphics-safe area of television (SMPTE ST 2046-1, 90 %):
  a file watched in a player, not in a feed.

Sizes: 60 px on a 1080 short side (50 for 抖音 and 快手, so that sixteen characters — the
SRT's line, Netflix's for Simplified Chinese — fit beside the button column). Options override a
preset: size (font size in pixels on a 1080-wide vertical frame, i.e. of the frame's short
side ÷ 1080), font (a font file), outline (outline width, same unit) and position
(the block's bottom edge as a share of the frame's height). A position inside the platform's
covered band is allowed, and said in a warning.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field

from shotcraft.shots.errors import SpecError

REFERENCE = 1080  # sizes are given for this short side


class SafeArea(BaseModel):
    """Margins a platform's interface covers, as shares of the frame (0..1)."""

    top: float
    bottom: float
    left: float
    right: float


class SubtitlePreset(BaseModel):
    name: str
    description: str
    safe: SafeArea
    size: int = 60  # font size on a 1080-px short side
    outline: int = 2  # outline width on a 1080-px short side
    gap: float = 0.01  # between the block's bottom edge and the covered band, share of height


def _px(top: int, bottom: int, left: int, right: int) -> SafeArea:
    return SafeArea(top=top / 1920, bottom=bottom / 1920, left=left / 1080, right=right / 1080)


PRESETS: dict[str, SubtitlePreset] = {
    # 50 px: sixteen characters (the SRT's line) fit the 840 px the button column leaves
    "douyin": SubtitlePreset(name="douyin", description="抖音: above the description, clear of the button column",
                             safe=_px(250, 460, 60, 180), size=50),
    "kuaishou": SubtitlePreset(name="kuaishou", description="快手: above the description and tab bar",
                               safe=_px(220, 500, 60, 180), size=50),
    "wechat-channels": SubtitlePreset(name="wechat-channels",
                                      description="视频号: above the description and the like/share bar",
                                      safe=SafeArea(top=0.14, bottom=0.35, left=0.06, right=0.06)),
    "generic": SubtitlePreset(name="generic", description="a player's graphics-safe area (5 % margins)",
                              safe=SafeArea(top=0.05, bottom=0.05, left=0.05, right=0.05)),
}


class SubtitleStyle(BaseModel):
    """A preset and the options that override it, as the export options carry them."""

    preset: str | None = None  # None: douyin for a vertical frame, generic otherwise
    size: int | None = Field(default=None, ge=12, le=200)
    font: Path | None = None
    outline: int | None = Field(default=None, ge=0, le=20)
    position: float | None = Field(default=None, gt=0.0, le=1.0)

    def resolve(self, width: int, height: int) -> Placement:
        """Pixels for a `width`×`height` frame."""
        name = self.preset or ("douyin" if height > width else "generic")
        if name not in PRESETS:
            raise SpecError(f"unknown subtitle preset {name!r}; the presets are "
                            f"{', '.join(PRESETS)}.", field="subtitle_preset")
        preset = PRESETS[name]
        if self.font is not None and not Path(self.font).is_file():
            raise SpecError(f"the font file {self.font} does not exist.", field="subtitle_font")
        scale = min(width, height) / REFERENCE
        fontsize = max(6, round((self.size or preset.size) * scale))
        outline = round((preset.outline if self.outline is None else self.outline) * scale)
        safe = preset.safe
        bottom = self.position if self.position is not None else 1.0 - safe.bottom - preset.gap
        left, right = round(width * safe.left), round(width * (1.0 - safe.right))
        return Placement(preset=name, fontsize=fontsize, outline=outline, font=self.font,
                         bottom=round(height * bottom), left=left, right=right,
                         safe_bottom=round(height * (1.0 - safe.bottom)),
                         safe_top=round(height * safe.top), width=width, height=height)


class Placement(BaseModel):
    """Where and how large burned subtitles are, in pixels of one frame."""

    preset: str
    fontsize: int
    outline: int
    font: Path | None
    bottom: int  # the text block's bottom edge (y)
    left: int  # the clear band the block is centred in and wrapped to
    right: int
    safe_bottom: int  # where the platform's bottom band starts
    safe_top: int
    width: int
    height: int

    @property
    def centre_x(self) -> float:
        return (self.left + self.right) / 2

    @property
    def room(self) -> float:
        """Width a line may take: the clear band less the box's padding."""
        return max(self.fontsize, self.right - self.left - 2 * self.padding)

    @property
    def padding(self) -> int:
        return max(1, self.fontsize // 4)

    def warning(self, block_height: int) -> str | None:
        """One sentence when the block leaves the preset's clear area (a position asked for)."""
        if self.bottom > self.safe_bottom:
            return (f"subtitles end at {self.bottom / self.height:.0%} of the height, inside "
                    f"{self.preset}'s bottom {1 - self.safe_bottom / self.height:.0%} that its "
                    f"interface covers; its clear area ends at {self.safe_bottom / self.height:.0%}.")
        if self.bottom - block_height < self.safe_top:
            return (f"subtitles start above {self.preset}'s top {self.safe_top / self.height:.0%} "
                    "that its interface covers.")
        return None
