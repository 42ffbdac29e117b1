"""The storyboard contact sheet: one panel per shot with its middle frame and a caption.

A PNG of the whole episode (a header, then rows of COLUMNS panels) and, optionally, a PDF of the
same panels paginated ROWS_PER_PAGE rows to a page, for printing and review on paper.
"""

from __future__ import annotations

import logging
import os
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from shotcraft.assembly.linebreak import break_lines
from shotcraft.assembly.timeline import Clip, ClipSource, Timeline
from shotcraft.shots.errors import MediaError
from shotcraft.shots.files import atomic_target
from shotcraft.shots.fonts import draw_text, fonts_for, missing_glyphs_sentence, undrawable
from shotcraft.shots.media import cjk_font, extract_frame

log = logging.getLogger(__name__)

COLUMNS = 4
ROWS_PER_PAGE = 3  # PDF pages stay readable on A4 at this density
PANEL_WIDTH = 270
CAPTION_HEIGHT = 150
GUTTER = 16
MARGIN = 24
HEADER_HEIGHT = 84
BACKGROUND = (246, 244, 240)
INK = (30, 30, 30)
MUTED = (110, 110, 110)
SLATE_GREY = (92, 92, 96)
CAPTION_LINES = 6

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


def sheet_size(panels: int, image_height: int) -> tuple[int, int]:
    """Pixel size of a sheet with `panels` panels whose frames are `image_height` tall."""
    rows = max(1, -(-panels // COLUMNS))
    width = 2 * MARGIN + COLUMNS * PANEL_WIDTH + (COLUMNS - 1) * GUTTER
    height = HEADER_HEIGHT + 2 * MARGIN + rows * (image_height + CAPTION_HEIGHT) + (rows - 1) * GUTTER
    return width, height


def write_contact_sheet(timeline: Timeline, path: Path, *, pdf: bool = True) -> list[Path]:
    """Draw the episode's contact sheet as a PNG at `path` (and a PDF beside it); return the paths.

    Panels show each take's middle frame (stills as they are, slates as a grey "no take" card)
    over the shot id, size/camera, duration, take and its source, and the first line or action.
    """
    path = Path(path)
    fonts = _fonts()
    with tempfile.TemporaryDirectory(prefix="shotcraft-sheet-") as scratch:
        # one ffmpeg per distinct take, a few at a time: process start-up dominates tiny clips
        unique = {clip.media: index for index, clip in enumerate(timeline.clips)}
        with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
            by_media = dict(zip(unique, pool.map(
                lambda index: _frame(timeline.clips[index], Path(scratch), index),
                unique.values()), strict=True))
        frames = [by_media[clip.media] for clip in timeline.clips]
    aspect = next((frame.height / frame.width for frame in frames if frame is not None), 16 / 9)
    image_height = round(PANEL_WIDTH * aspect)
    panels = [
        _panel(clip, frame, image_height, timeline.fps, fonts)
        for clip, frame in zip(timeline.clips, frames, strict=True)
    ]
    written = [_save_atomic(_page(timeline, panels, image_height, fonts), path, "PNG")]
    if pdf:
        per_page = COLUMNS * ROWS_PER_PAGE
        pages = [
            _page(timeline, panels[start : start + per_page], image_height, fonts,
                  page=(start // per_page + 1, max(1, -(-len(panels) // per_page))))
            for start in range(0, max(1, len(panels)), per_page)
        ]
        written.append(_save_atomic(pages, path.with_suffix(".pdf"), "PDF"))
    return written


def _fonts() -> dict[str, Font]:
    font_path = cjk_font()
    sizes = {"title": 30, "meta": 17, "id": 17, "caption": 15, "card": 26}
    if font_path is None:
        log.warning("no CJK font found: the contact sheet uses Pillow's default font, "
                    "so Chinese text will not render; install fonts-wqy-microhei")
        return {name: ImageFont.load_default(size) for name, size in sizes.items()}
    return {name: ImageFont.truetype(str(font_path), size) for name, size in sizes.items()}


def _frame(clip: Clip, scratch: Path, index: int) -> Image.Image | None:
    """The clip's middle frame, or None for a slate or a take that cannot be read."""
    if clip.source == ClipSource.SLATE or clip.media is None:
        return None
    try:
        still = extract_frame(clip.media, scratch / f"frame-{index}.png", position="middle")
        with Image.open(still) as image:
            return image.convert("RGB")
    except MediaError as error:
        log.warning("contact sheet: %s shows a blank card: %s", clip.shot_id, error)
        return None


def _panel(clip: Clip, frame: Image.Image | None, image_height: int, fps: int,
           fonts: dict[str, Font]) -> Image.Image:
    panel = Image.new("RGB", (PANEL_WIDTH, image_height + CAPTION_HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(panel)
    if frame is None:
        draw.rectangle((0, 0, PANEL_WIDTH - 1, image_height - 1), fill=SLATE_GREY)
        label = "no take" if clip.media is None or clip.source == ClipSource.SLATE else "unreadable"
        _centred(draw, label, PANEL_WIDTH / 2, image_height / 2 - 16, fonts["card"], (235, 235, 235))
        _centred(draw, clip.shot_id, PANEL_WIDTH / 2, image_height / 2 + 18, fonts["meta"],
                 (200, 200, 200))
    else:
        # fit inside the panel keeping the frame's shape; letterbox bars stay black
        draw.rectangle((0, 0, PANEL_WIDTH - 1, image_height - 1), fill=(0, 0, 0))
        scale = min(PANEL_WIDTH / frame.width, image_height / frame.height)
        size = (max(1, round(frame.width * scale)), max(1, round(frame.height * scale)))
        fitted = frame.resize(size, Image.Resampling.LANCZOS)  # small previz frames scale up
        panel.paste(fitted, ((PANEL_WIDTH - fitted.width) // 2, (image_height - fitted.height) // 2))
    draw.rectangle((0, 0, PANEL_WIDTH - 1, image_height - 1), outline=(60, 60, 60))

    seconds = f"{clip.duration_frames / fps:.1f}s"
    take = "slate" if clip.source == ClipSource.SLATE or clip.take is None else (
        f"take {clip.take} · {clip.source.value}")
    framing = " / ".join(part for part in (clip.framing or clip.size, clip.camera.replace("_", " "))
                         if part)
    y = image_height + 8
    draw.text((6, y), clip.shot_id, font=fonts["id"], fill=INK)
    draw.text((PANEL_WIDTH - 6, y), seconds, font=fonts["id"], fill=INK, anchor="ra")
    y += 24
    draw.text((6, y), " · ".join(part for part in (framing, take) if part), font=fonts["caption"],
              fill=MUTED)
    y += 24
    if clip.dialogue:
        line = clip.dialogue[0]
        mode = f" ({line.mode.value})" if line.mode else ""
        colon = ": " if line.speaker.isascii() else "："
        words = f"{line.speaker}{mode}{colon}{line.text}"
    else:
        words = clip.action or ""
    font_path = cjk_font()
    if font_path is not None and (missing := undrawable(words, fonts_for(words, font_path))):
        log.warning("%s", missing_glyphs_sentence(clip.shot_id, missing, "the contact sheet"))
    for text_line in _wrap(draw, words, fonts["caption"], PANEL_WIDTH - 12)[:CAPTION_LINES - 2]:
        # characters the CJK font lacks (emoji, Hebrew, Arabic) come from a fallback font
        draw_text(draw, (6, y), text_line, font=fonts["caption"], path=font_path, fill=INK)
        y += 20
    return panel


def _page(timeline: Timeline, panels: list[Image.Image], image_height: int,
          fonts: dict[str, Font], page: tuple[int, int] | None = None) -> Image.Image:
    width, height = sheet_size(len(panels), image_height)
    sheet = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    draw_text(draw, (MARGIN, MARGIN), timeline.title, font=fonts["title"], path=cjk_font(), fill=INK)
    seconds = timeline.duration_frames / timeline.fps
    meta = f"Episode {timeline.episode} · {len(timeline.clips)} shots · {seconds:.1f}s"
    if page is not None and page[1] > 1:
        meta += f" · page {page[0]}/{page[1]}"
    draw.text((width - MARGIN, MARGIN + 8), meta, font=fonts["meta"], fill=MUTED, anchor="ra")
    draw.line((MARGIN, HEADER_HEIGHT + MARGIN - 12, width - MARGIN, HEADER_HEIGHT + MARGIN - 12),
              fill=(200, 196, 190), width=2)
    for index, panel in enumerate(panels):
        row, column = divmod(index, COLUMNS)
        x = MARGIN + column * (PANEL_WIDTH + GUTTER)
        y = HEADER_HEIGHT + MARGIN + row * (image_height + CAPTION_HEIGHT + GUTTER)
        sheet.paste(panel, (x, y))
    return sheet


def _wrap(draw: ImageDraw.ImageDraw, text: str, font: Font, width: int) -> list[str]:
    """Wrap by measured width, by the subtitles' rules (assembly.linebreak): between words,
    no line opening on closing punctuation, no lone character; cut with … past the caption."""
    lines = break_lines(" ".join(text.split()), width,
                        lambda part: draw.textlength(part, font=font))
    if len(lines) > CAPTION_LINES - 2:
        lines = lines[: CAPTION_LINES - 2]
        lines[-1] = lines[-1][:-1] + "…"
    return lines


def _centred(draw: ImageDraw.ImageDraw, text: str, x: float, y: float, font: Font,
             fill: tuple[int, int, int]) -> None:
    draw.text((x, y), text, font=font, fill=fill, anchor="mm")


def _save_atomic(pages: Image.Image | list[Image.Image], path: Path, kind: str) -> Path:
    pages = pages if isinstance(pages, list) else [pages]
    with atomic_target(path) as temp:
        if kind == "PDF":
            pages[0].save(temp, "PDF", save_all=True, append_images=pages[1:], resolution=150.0)
        else:
            pages[0].save(temp, "PNG", compress_level=3)
    return path
