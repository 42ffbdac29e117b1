"""Small real takes with faces, built with ffmpeg from the test portraits (tests/data/faces).

A take is a slow pan across a generated texture with people on it: each person is a head-and-
shoulders cut of a portrait, drifting (and optionally pushing in, flipped, brighter or darker),
with a little temporal grain. A defect is the same shot changed in one way — somebody else in a
slot (swap, wrong character), a slot emptied (missing), a slot added (duplicate) or a face
pixelated or smeared until no face is left (collapse). The clean take of 林晚 shows obama3.jpg,
a photograph that is not among her references, so no take is pixel-identical to a reference.

Used by tests/ranking/test_identity.py and benchmarks/identity.py; nothing here is committed
output: takes are written under the caller's folder.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from PIL import Image

from shotcraft.shots.media import ffmpeg_binary

PORTRAITS = Path(__file__).resolve().parents[1] / "data" / "faces"
# where dlib's detector finds the face on each portrait (left, top, width, height), so takes
# are framed without running the model
FACE_BOXES = {
    "obama": (244, 95, 150, 149),
    "obama2": (94, 174, 179, 179),
    "obama3": (198, 93, 87, 86),
    "biden": (146, 77, 104, 104),
    "astronaut": (102, 83, 87, 87),
}
# the test bible: 林晚 is obama (two photographs), 顾言 biden, 苏曼 the astronaut
BIBLE = {"林晚": ["obama.jpg", "obama2.jpg"], "顾言": ["biden.jpg"], "苏曼": ["astronaut.jpg"]}
LIN_WAN_TAKE = "obama3"  # 林晚 in takes: a photograph not among her references

WIDTH, HEIGHT, FPS = 540, 960, 30
ENCODE = ["-c:v", "libx264", "-preset", "ultrafast", "-crf", "18", "-pix_fmt", "yuv420p"]
DEFECTS = ("swap", "collapse", "duplicate", "missing", "wrong")


@dataclass(frozen=True)
class Person:
    portrait: str  # a key of FACE_BOXES
    x: float  # where the face centre starts, as a share of the frame width
    collapse: str | None = None  # "pixelate" or "smear": the face is destroyed


@dataclass(frozen=True)
class Shot:
    """One take's setup: who is where, and how camera and light behave."""

    people: tuple[Person, ...]
    face: int = 130  # px, the faces' box size in frame
    y: float = 0.36  # the face centres, as a share of the frame height
    drift: float = 12.0  # px/s the people move sideways
    zoom: float = 0.0  # growth per second of the people (a slow push in)
    pan: float = 40.0  # px/s the background slides
    flip: bool = False
    brightness: float = 0.0  # eq brightness, −1…1
    seconds: float = 2.0
    width: int = WIDTH
    height: int = HEIGHT


def single(x: float = 0.3, **options: object) -> Shot:
    """林晚 alone, off-centre (so a duplicate has room on the other side)."""
    return Shot(people=(Person(LIN_WAN_TAKE, x),), **options)  # type: ignore[arg-type]


def two_shot(**options: object) -> Shot:
    """林晚 on the left, 顾言 on the right."""
    options.setdefault("face", 110)
    return Shot(people=(Person(LIN_WAN_TAKE, 0.27), Person("biden", 0.74)),  # type: ignore[arg-type]
                **options)


def defect(shot: Shot, name: str, *, collapse: str = "pixelate") -> Shot:
    """The same shot changed in one way: the first person (林晚) for swap, collapse and
    duplicate; the second person (顾言) of a two-shot for missing and wrong."""
    first, rest = shot.people[0], shot.people[1:]
    if name == "swap":
        return replace(shot, people=(replace(first, portrait="biden"), *rest))
    if name == "collapse":
        return replace(shot, people=(replace(first, collapse=collapse), *rest))
    if name == "duplicate":
        twin = Person(first.portrait, 1.0 - first.x + (0.02 if first.x == 0.5 else 0.0))
        return replace(shot, people=(first, twin, *rest))
    if name == "missing":
        return replace(shot, people=shot.people[:1])
    if name == "wrong":
        return replace(shot, people=(first, replace(shot.people[1], portrait="astronaut")))
    raise ValueError(f"unknown defect {name!r}")


def expected(shot: Shot) -> list[str]:
    """The characters the clean version of a shot has in frame."""
    return ["林晚", "顾言"] if len(shot.people) == 2 else ["林晚"]


# ---------------------------------------------------------------------------------------------
# building


def run_ffmpeg(args: Iterable[str]) -> None:
    result = subprocess.run(  # noqa: S603 - an argument list, never a shell
        [ffmpeg_binary(), "-v", "error", "-y", "-nostdin", *args],
        capture_output=True, text=True, check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"ffmpeg failed: {result.stderr[-2000:]}")


def make_texture(path: Path, seed: int, size: tuple[int, int], *,
                 scales: tuple[tuple[int, float], ...] = ((4, 0.2), (24, 0.4), (96, 0.4)),
                 levels: tuple[int, int] = (50, 150)) -> Path:
    """Colour detail at a few scales (cell size in px, share), stretched to `levels` (lowest,
    span): a background with something to pan across, or to bite on for motion and sharpness."""
    rng = np.random.default_rng(seed)
    width, height = size
    canvas = np.zeros((height, width, 3), np.float64)
    for cell, amount in scales:
        small = rng.random((height // cell + 2, width // cell + 2, 3)) * 255
        layer = Image.fromarray(small.astype(np.uint8)).resize(
            (width + 2 * cell, height + 2 * cell), Image.Resampling.BICUBIC)
        canvas += np.asarray(layer, np.float64)[:height, :width] * amount
    low, span = levels
    canvas = low + (canvas - canvas.min()) / (np.ptp(canvas) + 1e-9) * span
    Image.fromarray(canvas.astype(np.uint8)).save(path)
    return path


def _bust(portrait: str) -> tuple[int, int, int, int]:
    """The head-and-shoulders box around the face of a portrait (left, top, right, bottom)."""
    left, top, w, h = FACE_BOXES[portrait]
    with Image.open(PORTRAITS / f"{portrait}.jpg") as image:
        image_w, image_h = image.size
    return (max(0, round(left - 0.7 * w)), max(0, round(top - 0.7 * h)),
            min(image_w, round(left + 1.7 * w)), min(image_h, round(top + 2.2 * h)))


def _head(person: Person, index: int, shot: Shot) -> str:
    """The filter chain that turns input `index` (a portrait) into this person's moving tile."""
    x0, y0, x1, y1 = _bust(person.portrait)
    scale = shot.face / FACE_BOXES[person.portrait][2]
    tile_w = round((x1 - x0) * scale / 2) * 2
    tile_h = round((y1 - y0) * scale / 2) * 2
    chain = [f"loop=loop={round(shot.seconds * FPS)}:size=1,setpts=N/{FPS}/TB",
             f"crop={x1 - x0}:{y1 - y0}:{x0}:{y0}", f"scale={tile_w}:{tile_h}"]
    if person.collapse == "pixelate":
        chain += [f"scale={max(2, tile_w // 14)}:{max(2, tile_h // 14)}:flags=area",
                  f"scale={tile_w}:{tile_h}:flags=neighbor"]
    elif person.collapse == "smear":
        chain += [f"boxblur=luma_radius={shot.face // 5}:luma_power=3:"
                  f"chroma_radius={shot.face // 10}:chroma_power=2"]
    elif person.collapse is not None:
        raise ValueError(f"unknown collapse {person.collapse!r}")
    if shot.flip:
        chain.append("hflip")
    if shot.zoom:
        chain.append(f"scale=w='{tile_w}*(1+{shot.zoom}*t)':h=-2:eval=frame")
    return f"[{index}:v]" + ",".join(chain) + f"[p{index}]"


def _placement(person: Person, shot: Shot) -> tuple[str, str]:
    """The overlay position: the face centre follows the drift (and stays put under a push-in,
    as overlay's w/h are the tile's current size)."""
    left, top, w, h = FACE_BOXES[person.portrait]
    x0, y0, x1, y1 = _bust(person.portrait)
    fx = (left + w / 2 - x0) / (x1 - x0)
    fy = (top + h / 2 - y0) / (y1 - y0)
    fx = 1.0 - fx if shot.flip else fx
    cx, cy = person.x * shot.width, shot.y * shot.height
    return (f"{cx:.1f}-{fx:.4f}*w+{shot.drift}*t", f"{cy:.1f}-{fy:.4f}*h+4*sin(2*t)")


def render(shot: Shot, out: Path, *, background: Path) -> Path:
    """Write the take of `shot` to `out` (H.264, yuv420p, 9:16)."""
    frames = round(shot.seconds * FPS)
    # each picture is decoded once and repeated by the loop filter (-loop 1 decodes every frame)
    hold = f"loop=loop={frames}:size=1,setpts=N/{FPS}/TB"
    args = ["-i", str(background)]
    for person in shot.people:
        args += ["-i", str(PORTRAITS / f"{person.portrait}.jpg")]
    graph = [f"[0:v]{hold},crop={shot.width}:{shot.height}:x='10+{shot.pan}*t':"
             f"y='20+{shot.pan / 4}*t'[b0]"]
    for index, person in enumerate(shot.people, 1):
        graph.append(_head(person, index, shot))
    for index, person in enumerate(shot.people, 1):
        x, y = _placement(person, shot)
        graph.append(f"[b{index - 1}][p{index}]overlay=x='{x}':y='{y}'[b{index}]")
    last = len(shot.people)
    finish = ["noise=alls=4:allf=t"]
    if shot.brightness:
        finish.insert(0, f"eq=brightness={shot.brightness}")
    graph.append(f"[b{last}]" + ",".join(finish) + "[out]")
    args += ["-filter_complex", ";".join(graph), "-map", "[out]", "-frames:v", str(frames),
             "-r", str(FPS), "-fps_mode", "cfr", *ENCODE, str(out)]
    run_ffmpeg(args)
    return out


def background_for(root: Path, shot: Shot, seed: int = 3) -> Path:
    """A texture big enough for the shot's pan."""
    pan = shot.pan * shot.seconds
    size = (shot.width + round(pan) + 20, shot.height + round(pan / 4) + 40)
    path = root / f"texture-{seed}-{size[0]}x{size[1]}.bmp"  # BMP: the quickest to decode
    return path if path.is_file() else make_texture(path, seed, size)


def build_set(root: Path, shot: Shot, *, stem: str, defects: Iterable[str],
              collapse: str = "pixelate", seed: int = 3) -> dict[str, Path]:
    """The clean take of `shot` and one take per defect, named `<stem>-<defect>.mp4`."""
    root.mkdir(parents=True, exist_ok=True)
    background = background_for(root, shot, seed)
    takes = {"clean": render(shot, root / f"{stem}-clean.mp4", background=background)}
    for name in defects:
        takes[name] = render(defect(shot, name, collapse=collapse), root / f"{stem}-{name}.mp4",
                             background=background)
    return takes


def portrait(name: str) -> Path:
    return PORTRAITS / name


def references() -> dict[str, list[Path]]:
    return {name: [PORTRAITS / file for file in files] for name, files in BIBLE.items()}
