"""Contact sheet: one panel per shot with its middle frame and caption; PNG plus paged PDF."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from shotcraft.assembly.sheet import (
    CAPTION_HEIGHT,
    COLUMNS,
    GUTTER,
    HEADER_HEIGHT,
    MARGIN,
    PANEL_WIDTH,
    write_contact_sheet,
)
from shotcraft.assembly.timeline import Clip, Timeline
from tests.assembly.extras_fixtures import six_shot_timeline, tiny_video


def _panel_box(index: int, image_height: int) -> tuple[int, int, int, int]:
    row, column = divmod(index, COLUMNS)
    x = MARGIN + column * (PANEL_WIDTH + GUTTER)
    y = HEADER_HEIGHT + MARGIN + row * (image_height + CAPTION_HEIGHT + GUTTER)
    return x, y, x + PANEL_WIDTH, y + image_height


@pytest.fixture(scope="module")
def six_shots(tmp_path_factory):
    return six_shot_timeline(tmp_path_factory.mktemp("sheet"))


def test_six_shots_make_two_rows_of_framed_captioned_panels(tmp_path: Path, six_shots):
    png, pdf = write_contact_sheet(six_shots, tmp_path / "ep01-sheet.png")
    image_height = round(PANEL_WIDTH * 16 / 9)  # 9:16 portrait takes
    sheet = np.asarray(Image.open(png).convert("RGB"))
    assert sheet.shape[1] == 2 * MARGIN + COLUMNS * PANEL_WIDTH + (COLUMNS - 1) * GUTTER
    assert sheet.shape[0] == HEADER_HEIGHT + 2 * MARGIN + 2 * (image_height + CAPTION_HEIGHT) + GUTTER
    for index, clip in enumerate(six_shots.clips):
        x0, y0, x1, y1 = _panel_box(index, image_height)
        picture = sheet[y0 + 2 : y1 - 2, x0 + 2 : x1 - 2].reshape(-1, 3)
        caption = sheet[y1 : y1 + CAPTION_HEIGHT, x0:x1]
        assert (caption.max(axis=2) < 80).sum() > 200, f"{clip.shot_id} has no caption text"
        if clip.media is None:  # the slate: a grey card with "no take" on it
            assert tuple(sheet[y0 + 10, x0 + 10]) == (92, 92, 96)
            assert (picture.min(axis=1) > 200).sum() > 50
        else:  # a real frame: a test pattern has many colours
            assert len(np.unique(picture, axis=0)) > 50, f"{clip.shot_id} shows no frame"
    assert pdf.read_bytes().startswith(b"%PDF")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ep01-sheet.pdf", "ep01-sheet.png"]


def test_landscape_shots_fill_rows_and_pdf_pages(tmp_path: Path, monkeypatch):
    monkeypatch.setattr("shotcraft.assembly.sheet.ROWS_PER_PAGE", 1)
    media = tiny_video(tmp_path / "wide.mp4", frames=12, size="160x90")
    clips = [Clip(shot_id=f"E02-S01-{n:03d}", scene_id="2-1", duration_frames=12, media=media,
                  take=1, action="A wide street at dawn.") for n in range(1, 6)]
    timeline = Timeline(title="Dawn", episode=2, fps=24, clips=clips)
    png, pdf = write_contact_sheet(timeline, tmp_path / "out" / "sheet.png")
    image_height = round(PANEL_WIDTH * 9 / 16)
    width, height = Image.open(png).size
    assert (width, height) == (
        2 * MARGIN + COLUMNS * PANEL_WIDTH + (COLUMNS - 1) * GUTTER,
        HEADER_HEIGHT + 2 * MARGIN + 2 * (image_height + CAPTION_HEIGHT) + GUTTER,
    )
    pages = re.findall(rb"/Type\s*/Page[^s]", pdf.read_bytes())
    assert len(pages) == 2  # one row of four a page: the fifth panel starts page two


def test_png_only_when_pdf_is_not_wanted(tmp_path: Path):
    slate = Clip(shot_id="E01-S01-001", scene_id="1-1", duration_frames=30, action="空镜。")
    timeline = Timeline(title="Slate only", episode=1, clips=[slate])
    written = write_contact_sheet(timeline, tmp_path / "sheet.png", pdf=False)
    assert written == [tmp_path / "sheet.png"]
    assert not (tmp_path / "sheet.pdf").exists()


def test_a_caption_breaks_as_subtitles_do_never_opening_a_line_on_punctuation() -> None:
    """A real line (雨夜排练, tests/data/scripts) once left its closing 。 alone on the
    caption's second line; captions now break by the subtitles' rules (assembly.linebreak)."""
    from PIL import ImageDraw

    from shotcraft.assembly.linebreak import CLOSING
    from shotcraft.assembly.sheet import _fonts, _wrap

    font = _fonts()["caption"]
    draw = ImageDraw.Draw(Image.new("RGB", (PANEL_WIDTH, 100)))
    text = "林舟：我只是觉得，今晚的舞台太空了。"
    lines = _wrap(draw, text, font, PANEL_WIDTH - 12)
    assert "".join(lines) == text
    assert len(lines) == 2
    assert not [line for line in lines if line[0] in CLOSING], lines
    assert all(draw.textlength(line, font=font) <= PANEL_WIDTH - 12 for line in lines)
