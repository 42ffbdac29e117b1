"""previz: the deterministic CPU animatic, shotcraft's embedded default engine.

Each take is a storyboard panel of its shot brought to life:

- the set: a palette from the location (hashed, so a place looks the same in every shot) lit by
  the time of day (日 warm, 夜 dark blue, 晨/黄昏 orange-pink); interiors get a wall, a floor and a
  window or door, exteriors a sky, a skyline and the ground;
- the cast: each character a figure whose colour and silhouette come from a hash of the name (or
  their reference image), with the name below, framed by the shot size (CU = one face, WS = all);
- the camera move animated over the take; the slate and the dialogue caption stay fixed on top;
- the seed varies composition (positions, a small camera angle, light direction and tint).

Speed: the panel is composed ONCE per take on a canvas 1.3× the frame; each frame is then only a
crop (numpy slicing) or a nearest-neighbour resize, plus a blend of the precomputed overlay's
bounding boxes. Frames are piped straight into ffmpeg (engine.writer.FrameWriter).

Modules, in the order a take is made: `colour` (stable hashes and shading), `scenery` (the set),
`figures` (the cast), `framing` (shot sizes, the seeded composition), `panel` (the set and cast
drawn once), `captions` (slate and dialogue card), `camera` (the `shots.motion` model as
per-frame crops), `engine` (`PrevizEngine`).
"""

from shotcraft.engine.previz.camera import camera_path
from shotcraft.engine.previz.captions import build_overlay, wrap_text
from shotcraft.engine.previz.colour import stable_hash
from shotcraft.engine.previz.engine import VERSION, PrevizEngine
from shotcraft.engine.previz.figures import FigureLook, character_colour, figure_look
from shotcraft.engine.previz.framing import Composition, composition_for
from shotcraft.engine.previz.panel import MARGIN
from shotcraft.engine.previz.scenery import Light, SetLook, set_look, time_of_day

__all__ = [
    "MARGIN",
    "VERSION",
    "Composition",
    "FigureLook",
    "Light",
    "PrevizEngine",
    "SetLook",
    "build_overlay",
    "camera_path",
    "character_colour",
    "composition_for",
    "figure_look",
    "set_look",
    "stable_hash",
    "time_of_day",
    "wrap_text",
]
