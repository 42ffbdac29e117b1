"""Which characters a font draws, fallback fonts for the rest, and the one-sentence warning."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from shotcraft.assembly.sheet import write_contact_sheet
from shotcraft.assembly.timeline import Clip, ClipSource, Timeline
from shotcraft.engine.previz.captions import build_overlay
from shotcraft.shots.fonts import (
    covers,
    draw_text,
    fallback_font,
    fonts_for,
    pil_font,
    undrawable,
)
from shotcraft.shots.media import cjk_font
from shotcraft.shots.models import DialogueLine
from tests.engine.conftest import make_request

UNDRAWABLE = "\U000f0001"  # a private-use character: no installed font has it


@pytest.fixture
def cjk() -> Path:
    font = cjk_font()
    assert font is not None, "the test machine needs a CJK font (scripts/setup-system.sh)"
    return font


def test_the_cjk_font_lacks_hebrew_arabic_and_emoji_and_fallbacks_cover_them(cjk: Path) -> None:
    assert covers(cjk, "你") and not covers(cjk, "ש") and not covers(cjk, "م")
    fonts = fonts_for("你 שלום مرحبا 🦄", cjk)
    assert fonts[0] == cjk and len(fonts) >= 2
    assert undrawable("你 שלום مرحبا 🦄", fonts) == []
    assert undrawable(f"你{UNDRAWABLE} \u200d\ufe0f", fonts_for(f"你{UNDRAWABLE}", cjk)) == [UNDRAWABLE]


def test_pillow_text_draws_hebrew_from_the_fallback_font_not_tofu(cjk: Path) -> None:
    hebrew = fallback_font("ש")
    assert hebrew is not None
    font = pil_font(cjk, 24)

    def drawn(draw_with) -> np.ndarray:  # noqa: ANN001
        image = Image.new("L", (200, 40))
        draw_with(ImageDraw.Draw(image))
        return np.asarray(image)

    fallback = drawn(lambda d: draw_text(d, (4, 4), "שלום", font=font, path=cjk, fill=255))
    tofu = drawn(lambda d: d.text((4, 4), "שלום", font=font, fill=255))
    direct = drawn(lambda d: d.text((4, 4 + font.getmetrics()[0]), "שלום", font=pil_font(hebrew, 24),
                                    fill=255, anchor="ls"))
    assert (fallback == direct).all() and not (fallback == tofu).all()


def test_previz_caption_names_what_no_font_can_draw(caplog: pytest.LogCaptureFixture) -> None:
    request = make_request(shot_id="E01-S01-007", width=144, height=256,
                           dialogue=[DialogueLine(speaker="林夏", text=f"שלום 🦄 [/] {UNDRAWABLE}")])
    with caplog.at_level(logging.WARNING):
        patches = build_overlay(request, take_number=1, seed=1)
    assert len(patches) == 2  # the slate and the caption card, nothing crashed
    assert [r.getMessage() for r in caplog.records if "cannot be drawn" in r.getMessage()] == [
        f"E01-S01-007: 1 character cannot be drawn in the previz caption (no installed font has "
        f"them): {UNDRAWABLE}"]


def test_contact_sheet_names_what_no_font_can_draw(tmp_path: Path,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    clip = Clip(shot_id="E01-S01-002", scene_id="1-1", duration_frames=30, media=None,
                source=ClipSource.SLATE, dialogue=[DialogueLine(speaker="林", text=f"מה {UNDRAWABLE}")])
    with caplog.at_level(logging.WARNING):
        [png] = write_contact_sheet(Timeline(title="[/]剧 🦄", episode=1, fps=30, clips=[clip]),
                                    tmp_path / "sheet.png", pdf=False)
    assert png.is_file()
    assert any(r.getMessage().startswith("E01-S01-002: 1 character cannot be drawn in the contact "
                                         "sheet") for r in caplog.records)
