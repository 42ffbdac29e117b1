"""The cast: a character's colour and silhouette from a hash of the name; drawing a figure."""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image, ImageDraw

from shotcraft.engine.previz.colour import RGB, hsv, scale, stable_hash

_SKIN = [(241, 204, 170), (224, 178, 140), (198, 146, 106), (150, 104, 74)]
_HAIR = [(28, 24, 24), (62, 40, 28), (104, 70, 42), (150, 150, 155), (40, 30, 60)]


@dataclass(frozen=True)
class FigureLook:
    colour: RGB  # wardrobe: the character's identity colour
    skin: RGB
    hair: RGB
    hair_style: int  # 0 short, 1 long, 2 bun
    head_ratio: float  # head width / height
    build: float  # shoulder width factor
    square_shoulders: bool


def character_colour(name: str) -> RGB:
    """The identity colour of a character: the same in every shot of every episode."""
    h = stable_hash("colour:" + name)
    hue = (h % 360) / 360.0
    sat = 0.62 + ((h >> 9) % 20) / 100.0
    val = 0.72 + ((h >> 17) % 18) / 100.0
    return hsv(hue, sat, val)


def figure_look(name: str) -> FigureLook:
    """How a character without a reference image is drawn, derived from the name alone."""
    h = stable_hash("figure:" + name)
    return FigureLook(
        colour=character_colour(name),
        skin=_SKIN[h % len(_SKIN)],
        hair=_HAIR[(h >> 4) % len(_HAIR)],
        hair_style=(h >> 8) % 3,
        head_ratio=0.78 + ((h >> 12) % 12) / 100.0,
        build=0.9 + ((h >> 20) % 30) / 100.0,
        square_shoulders=bool((h >> 28) & 1),
    )


def draw_figure(draw: ImageDraw.ImageDraw, cx: float, hy: float, hd: float, look: FigureLook) -> None:
    """A flat storyboard figure: head diameter `hd`, head centre (cx, hy), ~6.4 heads tall."""
    cloth, dark = look.colour, scale(look.colour, 0.55)
    sw, hw = 0.95 * hd * look.build, 0.7 * hd * look.build  # half widths: shoulders, hips
    ys, yh, yf = hy + 0.78 * hd, hy + 3.4 * hd, hy + 6.4 * hd
    if hd >= 3:
        draw.ellipse((cx - 1.2 * sw, yf - 0.12 * hd, cx + 1.2 * sw, yf + 0.12 * hd), fill=(45, 45, 50))
    for side in (-1, 1):
        x = cx + side * 0.26 * hd
        draw.rectangle((x - 0.17 * hd, yh - 0.2 * hd, x + 0.17 * hd, yf), fill=dark)
    arm = 0.3 * hd
    for side in (-1, 1):
        x_in = cx + side * (sw - 0.1 * hd)
        x_out = x_in + side * arm
        draw.polygon([(x_in, ys + 0.1 * hd), (x_out, ys + 0.2 * hd), (x_out, yh - 0.2 * hd), (x_in, yh - 0.3 * hd)], fill=scale(cloth, 0.8))
    draw.polygon([(cx - sw, ys), (cx + sw, ys), (cx + hw, yh), (cx - hw, yh)], fill=cloth)
    if not look.square_shoulders:
        r = 0.32 * hd
        for side in (-1, 1):
            x = cx + side * (sw - r * 0.6)
            draw.ellipse((x - r, ys - r * 0.4, x + r, ys + r * 1.6), fill=cloth)
    draw.rectangle((cx - 0.17 * hd, hy + 0.3 * hd, cx + 0.17 * hd, ys + 0.05 * hd), fill=scale(look.skin, 0.9))
    head_w = hd * look.head_ratio
    box = (cx - head_w / 2, hy - hd / 2, cx + head_w / 2, hy + hd / 2)
    if look.hair_style == 1:  # long hair falls behind the shoulders
        draw.rounded_rectangle((box[0] - 0.08 * hd, hy - 0.5 * hd, box[2] + 0.08 * hd, hy + 0.95 * hd), radius=0.3 * hd, fill=look.hair)
    draw.ellipse(box, fill=look.skin)
    cap = (box[0] - 0.04 * hd, box[1] - 0.06 * hd, box[2] + 0.04 * hd, box[3] - 0.1 * hd)
    draw.chord(cap, 180, 360, fill=look.hair)
    if look.hair_style == 2:
        draw.ellipse((cx - 0.2 * hd, hy - 0.82 * hd, cx + 0.2 * hd, hy - 0.42 * hd), fill=look.hair)
    if hd >= 12:  # a face only where it can be seen
        eye = 0.06 * hd
        for side in (-1, 1):
            ex = cx + side * 0.19 * head_w
            draw.ellipse((ex - eye, hy + 0.05 * hd - eye, ex + eye, hy + 0.05 * hd + eye), fill=(34, 30, 40))
        draw.line((cx - 0.12 * hd, hy + 0.28 * hd, cx + 0.12 * hd, hy + 0.28 * hd), fill=(150, 70, 72), width=max(1, round(0.03 * hd)))


def paste_reference(image: Image.Image, ref: Image.Image, box: tuple[float, float, float, float], colour: RGB) -> None:
    """Paste `ref` covering `box` (top-aligned), resampling only the part inside the canvas."""
    bw, bh = box[2] - box[0], box[3] - box[1]
    scale = max(bw / ref.width, bh / ref.height)
    left = box[0] + (bw - ref.width * scale) / 2
    top = box[1]
    vis = (max(0.0, box[0]), max(0.0, box[1]), min(image.width, box[2]), min(image.height, box[3]))
    vw, vh = int(vis[2] - vis[0]), int(vis[3] - vis[1])
    if vw <= 0 or vh <= 0:
        return
    src = ((vis[0] - left) / scale, (vis[1] - top) / scale, (vis[2] - left) / scale, (vis[3] - top) / scale)
    piece = ref.resize((vw, vh), Image.Resampling.BILINEAR, box=src)
    image.paste(piece, (int(vis[0]), int(vis[1])))
    ImageDraw.Draw(image).rectangle(box, outline=colour, width=max(2, round(bw * 0.03)))
