"""A take's first, middle and last frames side by side (stacked when the pane is narrow).

Frames come from `Project.filmstrip`, called in a thread worker (it may have to make them for a
take scored before filmstrips existed); decoded images and their half-block drawings are kept in
small LRU caches, so moving the highlight back over a take redraws it without touching the disk.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

from PIL import Image
from rich.segment import Segment
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.strip import Strip
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Label
from textual.worker import get_current_worker

from shotcraft.studio.tui.widgets.images import ImageMode, cell_pixels, pixel_widget, resolve_mode
from shotcraft.studio.tui.widgets.thumbnail import half_block_lines

STACK_BELOW = 54  # columns: narrower than this, three frames side by side are too small to judge
CACHE_TAKES = 64
PREFETCH = 2  # takes either side of the highlight whose frames are loaded ahead
PREFETCH_AFTER = 0.15  # seconds the highlight rests before they are loaded


class _LRU:
    """A small least-recently-used cache, shared by the UI thread and the loading workers."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get_fresh(self, key: Any) -> Any:
        with self._lock:
            if key not in self._items:
                return None
            self._items.move_to_end(key)
            return self._items[key]

    def put(self, key: Any, value: Any) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


def drawing(path: Path, image: Image.Image, width: int, height: int) -> list[list[Segment]]:
    """The half-block drawing of a frame at a size, made once and cached."""
    key = (path, width, height)
    lines = _drawings.get_fresh(key)
    if lines is None:
        lines = half_block_lines(image, width, height)
        _drawings.put(key, lines)
    return cast(list[list[Segment]], lines)


_strips = _LRU(CACHE_TAKES)  # (project folder, media path) → [(StripFrame, loaded PIL image)]
_drawings = _LRU(CACHE_TAKES * 3)  # (png path, width, height) → half-block lines


def load_strip(project: Any, take: Any) -> list[tuple[Any, Image.Image]] | None:
    """A take's filmstrip frames with their images decoded (slow the first time: call it in a
    worker). None for a take without media."""
    key = (project.root, take.media_path)
    cached = _strips.get_fresh(key)
    if cached is not None:
        return list(cached)
    strip = project.filmstrip(take)
    if strip is None:
        return None
    loaded = []
    for frame in strip:
        with Image.open(frame.path) as image:
            loaded.append((frame, image.convert("RGB")))
    _strips.put(key, loaded)
    return loaded


def cached_strip(project: Any, take: Any) -> list[tuple[Any, Image.Image]] | None:
    return _strips.get_fresh((project.root, take.media_path)) if take.media_path else None


class HalfBlockPicture(Widget):
    """A decoded image drawn as half-block cells (two pixels a cell) under a one-line caption,
    cached per size. One widget, no Label: a caption change repaints without a relayout."""

    def __init__(self) -> None:
        super().__init__()
        self._key: Path | None = None
        self._image: Image.Image | None = None
        self._caption = Text()
        self._lines: list[list[Segment]] = []
        # the size to draw at, where it is shared with other pictures (the filmstrip's three
        # frames are drawn alike even when the cells' widths differ by a column)
        self.fit: Callable[[], tuple[int, int]] | None = None

    def show(self, key: Path | None, image: Image.Image | None, caption: Text | None = None) -> None:
        self._key, self._image, self._caption = key, image, caption or Text()
        self._draw()

    def _draw(self) -> None:
        self._lines = []
        width, height = self.fit() if self.fit else (self.size.width, self.size.height - 1)
        if self._image is not None and self._key is not None and width > 0 and height > 0:
            self._lines = drawing(self._key, self._image, width, height)
        self.refresh()

    def on_resize(self) -> None:
        self._draw()

    @property
    def drawn(self) -> bool:
        return bool(self._lines)

    @property
    def caption(self) -> str:
        return self._caption.plain

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if y == 0:
            caption = self._caption.copy()
            caption.align("center", width)
            return Strip(list(caption.render(self.app.console)), width)
        if y - 1 < len(self._lines):
            line = self._lines[y - 1]
            pad = max(0, (width - len(line)) // 2)  # centred in the cell
            return Strip([Segment(" " * pad), *line]) if pad else Strip(line)
        return Strip([])


class StripCell(Vertical):
    """One frame: its caption (position and time) over its picture."""

    def __init__(self, mode: ImageMode) -> None:
        super().__init__()
        self.mode = mode
        # pixel modes need textual-image's widget under a Label; half blocks draw both at once
        self.label = Label() if mode.pixels else None
        self.picture: Any = pixel_widget(mode)() if mode.pixels else HalfBlockPicture()

    def compose(self) -> ComposeResult:
        if self.label is not None:
            yield self.label
        yield self.picture

    def show(self, frame: Any, image: Image.Image | None, *, loading: bool = False) -> None:
        caption = Text("loading…", style="dim") if loading else Text() if frame is None else Text(
            f"{frame.position} · {frame.seconds:.2f} s", style="bold")
        if self.label is not None:
            self.label.update(caption)
            self.picture.image = image
            self._fit()
        else:
            self.picture.show(frame.path if frame is not None else None, image, caption)

    def on_resize(self) -> None:
        if self.label is not None:
            self._fit()

    def _fit(self) -> None:
        """Size the pixel picture to the cell, keeping the frame's shape (textual-image would
        stretch it to fill both dimensions)."""
        image = self.picture.image
        box_w, box_h = self.size.width, self.size.height - 1
        if image is None or box_w <= 0 or box_h <= 0:
            return
        cell_w, cell_h = cell_pixels()
        aspect = image.width / image.height
        width = max(1, min(box_w, int(box_h * cell_h * aspect / cell_w)))
        height = max(1, min(box_h, round(width * cell_w / (aspect * cell_h))))
        self.picture.styles.width, self.picture.styles.height = width, height

    @property
    def caption(self) -> str:
        if self.label is not None:
            return str(self.label.render())
        return str(self.picture.caption)

    @property
    def drawn(self) -> bool:
        if self.mode.pixels:
            return self.picture.image is not None
        return bool(self.picture.drawn)


class Filmstrip(Widget):
    """The highlighted take's first, middle and last frames; the border says how they are drawn."""

    class Loaded(Message, bubble=False):
        def __init__(self, key: str, strip: list[tuple[Any, Image.Image]] | None,
                     error: str | None = None) -> None:
            super().__init__()
            self.key, self.strip, self.error = key, strip, error

    DEFAULT_CSS = """
    Filmstrip { layout: horizontal; border: round $panel-lighten-2; height: 1fr; }
    Filmstrip.-stacked { layout: vertical; }
    Filmstrip StripCell { width: 1fr; height: 1fr; }
    Filmstrip StripCell Label { width: 1fr; height: 1; content-align: center middle; }
    Filmstrip HalfBlockPicture { width: 1fr; height: 1fr; }
    Filmstrip StripCell { align-horizontal: center; }
    Filmstrip #strip-message { width: 1fr; height: 1fr; padding: 0 1; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.project: Any = None
        self.mode = ImageMode("halfblock")
        self.cells: list[StripCell] = []
        self._key: str | None = None
        self.shown: str | None = None  # the media path of the take whose frames are drawn
        self._prefetch_timer: Timer | None = None
        self.message = Label(id="strip-message")

    def compose(self) -> ComposeResult:
        self.mode = resolve_mode(headless=self.app.is_headless)
        self.border_title = f"filmstrip · {self.mode.label}"
        self.cells = [StripCell(self.mode) for _ in range(3)]
        if not self.mode.pixels:
            for cell in self.cells:
                cell.picture.fit = self._fit
        yield self.message
        yield from self.cells

    def on_resize(self) -> None:
        self.set_class(self.size.width < STACK_BELOW, "-stacked")

    @property
    def drawn(self) -> bool:
        shown = [cell for cell in self.cells if cell.display]
        return bool(shown) and all(cell.drawn for cell in shown)

    def show(self, project: Any, take: Any | None, message: str = "") -> None:
        """Show a take's filmstrip (from the cache at once, else after a worker makes it)."""
        self.project = project
        if take is None or not take.media_path:
            self._key = None
            self._say(message or "no picture for this take")
            return
        self._key = take.media_path
        strip = cached_strip(project, take)
        if strip is not None:
            self._draw(strip)
            return
        self._loading()
        # the half blocks are drawn in the worker too, at the cells' present size
        sizes = self._sizes()
        self.run_worker(lambda: self._load(take, sizes), thread=True, exclusive=True,
                        group=f"filmstrip-{id(self)}", exit_on_error=False)

    def prefetch(self, project: Any, takes: list[Any]) -> None:
        """Load these takes' frames (and draw their half blocks) in the background, in the order
        given — the takes nearest the highlight first — so the next moves find them cached.
        A newer call replaces an older one that has not finished."""
        sizes = self._sizes()
        wanted = [take for take in takes if take.media_path]

        def work() -> None:
            worker = get_current_worker()
            for take in wanted:
                if worker.is_cancelled:
                    return
                try:
                    strip = load_strip(project, take)
                    for (frame, image), (width, height) in zip(strip or [], sizes, strict=False):
                        if width > 0 and height > 0:
                            drawing(frame.path, image, width, height)
                except Exception:  # noqa: BLE001, S112 - shown (with its reason) when highlighted
                    continue

        if self._prefetch_timer is not None:
            self._prefetch_timer.stop()
            self._prefetch_timer = None
        if wanted:
            # started a moment later: a held arrow key never waits for frames it only passes
            self._prefetch_timer = self.set_timer(PREFETCH_AFTER, lambda: self.run_worker(
                work, thread=True, exclusive=True, group=f"prefetch-{id(self)}",
                exit_on_error=False))

    def _fit(self) -> tuple[int, int]:
        """The one size every frame is drawn at in half blocks: the smallest shown cell's."""
        sizes = [cell.picture.size for cell in self.cells if cell.display] or [
            cell.picture.size for cell in self.cells]
        return min(size.width for size in sizes), min(size.height for size in sizes) - 1

    def _sizes(self) -> list[tuple[int, int]]:
        """The cells' half-block drawing sizes (none in pixel mode: the terminal scales)."""
        return [] if self.mode.pixels else [self._fit()] * len(self.cells)

    def _load(self, take: Any, sizes: list[tuple[int, int]]) -> None:
        try:
            strip = load_strip(self.project, take)
            for (frame, image), (width, height) in zip(strip or [], sizes, strict=False):
                if width > 0 and height > 0:
                    drawing(frame.path, image, width, height)
        except Exception as exc:  # noqa: BLE001 - one unreadable take says so; the studio stays up
            self.post_message(self.Loaded(take.media_path, None, str(exc)))
        else:
            self.post_message(self.Loaded(take.media_path, strip))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        if message.key != self._key:
            return  # the highlight moved on while this take's frames were made
        if message.strip is None:
            self._say(f"no filmstrip: {message.error}" if message.error
                      else "no picture for this take")
        else:
            self._draw(message.strip)

    def _say(self, text: str) -> None:
        self.shown = None
        self.message.update(Text(text))
        _show(self.message, True)
        for cell in self.cells:
            _show(cell, False)
            cell.show(None, None)

    def _loading(self) -> None:
        """Blank frames, captioned as loading, where the next take's frames will be drawn."""
        self.shown = None
        if self.message.display:
            self._say("loading the filmstrip…")
            return
        for cell in self.cells:
            cell.show(None, None, loading=True)

    def _draw(self, strip: list[tuple[Any, Image.Image]]) -> None:
        self.shown = self._key
        _show(self.message, False)
        for index, cell in enumerate(self.cells):
            _show(cell, index < len(strip))
            if index < len(strip):
                cell.show(*strip[index])


def _show(widget: Widget, shown: bool) -> None:
    if widget.display != shown:  # setting it unchanged still costs a relayout
        widget.display = shown
