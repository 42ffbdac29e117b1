"""Reference pictures for the face check, made from the public-domain portraits in tests/data/faces."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

FACES = Path(__file__).resolve().parents[1] / "data" / "faces"


def flat(path: Path) -> Path:
    """A picture with no face in it."""
    Image.new("RGB", (256, 320), (200, 180, 160)).save(path)
    return path


def two_faces(path: Path) -> Path:
    """Two people side by side."""
    with Image.open(FACES / "obama.jpg") as left, Image.open(FACES / "biden.jpg") as right:
        both = Image.new("RGB", (left.width + right.width, max(left.height, right.height)), "white")
        both.paste(left, (0, 0))
        both.paste(right, (left.width, 0))
    both.save(path)
    return path


def small_face(path: Path) -> Path:
    """One face, about 40 px: too small to compare."""
    with Image.open(FACES / "obama.jpg") as image:
        image.resize((image.width // 4, image.height // 4)).save(path)
    return path
