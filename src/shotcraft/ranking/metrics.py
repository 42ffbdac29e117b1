"""Take ranking: explainable quality scores computed from decoded frames.

Every metric is a number from 0 (bad) to 1 (good) plus one sentence with the raw figure behind
it, so a director can see *why* take 3 beat take 1. The total is the weighted mean of the
metrics that apply; a metric that cannot be measured (no camera move asked, no previous shot,
no reference face) is left out rather than guessed.

Frames are analysed small — short side 144 px, decoded and scaled by ffmpeg — so scoring a 5 s
1080×1920 take costs about 2 s of CPU, mostly decoding; the calibrations below (Laplacian
variance, motion) are stated at that size.

Metrics and their mappings:

- sharpness: median variance of the grayscale Laplacian over up to 48 frames, through the soft
  curve v² / (v² + 60²): 0.5 at 60, 0.8 at 120 (sharp), a 2.5 px gaussian blur lands near 0.05.
- exposure: share of clipped (≥ 250) and crushed (≤ 5) pixels, and how far the mean luminance
  sits from mid-grey; 30 % clipped or a mean below ~12 / above ~224 gives 0.
- black_frames: share of near-black frames (mean ≤ 12 and 98th percentile ≤ 32); half the
  clip black gives 0.
- frozen: longest run of identical frames (mean abs difference < 0.03 levels) as a share of
  the clip; up to 10 % is free, 60 % gives 0. A stall is the picture stopping inside a take:
  a take that is one still picture from first frame to last, drawn for a *static* shot (a
  previz panel), is a still, not a stall, and scores 1 with that said; for any other camera
  move a wholly still take is both frozen here and motionless under `motion`.
- cadence: short defects between frames, each a fault a viewer sees: a frame shown twice
  while the picture moves (stutter: a step far under the steps around it, or a short one and
  then a catch-up), a frame left out (a step at least four fifths of the way from what one
  step changes there to what two steps change: compressed video's frames alternate in
  quality, which alone moves a step about half-way), a single frame unlike both its neighbours while they agree with each other (a flashed
  or broken frame). Each costs 0.35 of the score; none scores 1. A step is the mean absolute
  difference of neighbouring frames, read against the median one- and two-frame differences
  around it (so fast and slow moves are judged alike); a still picture has no steps to judge.
- flicker: brightness reversals (the frame-to-frame mean luminance change flips sign, both
  steps ≥ 1.5 levels) per frame step; 25 % of steps reversing gives 0.
- motion: global motion of frames ~0.1 s apart against the requested camera move. Phase
  correlation finds each pair's translation; a robust least-squares fit (Gauss–Newton, Tukey
  weights) then refines translation and zoom together over the pixels the picture moves
  through, so a caption, slate or logo burned over the picture — still while the picture moves
  — does not pull the reading towards no motion, and a zoom of a fraction of a pixel per frame
  is read rather than rounded away. The right direction, travelling within ×2 of what
  `shots.motion` says the move does at that intensity over the take (the same model previz
  draws with), scores 1; the wrong direction or no motion scores 0; motion the move does not
  ask for (on other axes, or a velocity that leaves its smooth course) dilutes the score.
  Static wants under 0.02 frame/s of everything; handheld wants jitter (velocities scattered
  around their mean) without a sustained drift; orbit accepts horizontal motion either way.
- continuity: colour-histogram intersection and SSIM of the first frame against the previous
  shot's last frame; where the two shots share characters and both sides of the cut show
  faces, also whether those characters look the same (`ranking.identity.cut_faces`), as a
  third equal part.
- identity: measured by `ranking.identity` (faces against the character bible) on its own
  frames, decoded larger than these, and passed in as a finished metric (lipsync likewise,
  from `ranking.lipsync`).

Every metric is a plugin: a `Metric` class declared as a `shotcraft.metrics` entry point
(shots/plugins.py), with its name, its default weight and `measure(take)`, which sees the
take's frames (`TakeFrames`) and returns its score, or None where it does not apply. The
built-in ones are the classes at the end of this module; another distribution adds one (and
its weight, which the ranker learns like the others) without editing shotcraft.
"""

from __future__ import annotations

import functools
import math
from abc import ABC, abstractmethod
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict

from shotcraft.shots.media import MediaInfo, probe, read_frames
from shotcraft.shots.models import CameraMove, Move, Take, TakeKind, TakeStatus
from shotcraft.shots.motion import MIN_TRAVEL, CameraPath, shake_speed
from shotcraft.shots.plugins import PluginKind

ANALYSIS_SHORT_SIDE = 144
MAX_PER_FRAME_SAMPLES = 48  # sharpness/exposure look at most at this many frames
MAX_DECODED_FRAMES = 360  # longer takes are decoded every k-th frame
MOTION_PAIRS = 16  # frame pairs phase-correlated for motion

DEFAULT_WEIGHTS: dict[str, float] = {
    "sharpness": 1.0,
    "exposure": 1.0,
    "black_frames": 1.5,
    "frozen": 1.5,
    "flicker": 1.0,
    "cadence": 1.5,
    "motion": 1.5,
    "continuity": 1.0,
    "identity": 2.0,
    "lipsync": 2.0,  # lip-sync takes only: the mouth check (ranking/lipsync.py)
}

BLACK_MEAN = 12.0
BLACK_P98 = 32.0
FROZEN_DIFF = 0.03  # mean abs difference (levels) below which two frames count as identical: a
# repeated frame decodes to ≤ 0.02, while even a slow camera over flat art moves ≥ 0.04
FLICKER_STEP = 1.5  # luminance step (levels) that counts towards a reversal


class MetricScore(BaseModel):
    name: str
    value: float  # 0..1, higher is better
    weight: float
    explanation: str


class TakeScores(BaseModel):
    metrics: list[MetricScore]
    total: float  # weighted mean of the metric values, 0..1

    def as_dict(self) -> dict[str, float]:
        """Metric name → value, the shape stored on `Take.scores` (the total is `Take.score`)."""
        return {metric.name: metric.value for metric in self.metrics}

    def get(self, name: str) -> MetricScore | None:
        """The metric called `name`, or None when it was not measured."""
        return next((metric for metric in self.metrics if metric.name == name), None)


# ---------------------------------------------------------------------------------------------
# entry points


def score_frames(
    frames: np.ndarray,
    *,
    fps: float,
    camera: CameraMove | None = None,
    previous_last_frame: np.ndarray | None = None,
    cut: tuple[float, str] | None = None,
    identity: MetricScore | None = None,
    lipsync: MetricScore | None = None,
    weights: dict[str, float] | None = None,
) -> TakeScores:
    """Score decoded RGB frames (N, H, W, 3) uint8; one frame means a still.

    Temporal metrics (frozen, flicker, motion) need at least two frames; motion needs a camera
    move; continuity needs the previous shot's last frame (and `cut`, the faces' match across
    the cut, where both sides show faces); `identity` is the identity metric when it was
    measured.
    Large frames are downscaled to the analysis size first so scores do not depend on resolution.
    """
    frames = np.asarray(frames)
    if frames.ndim == 3:
        frames = frames[None]
    if frames.ndim != 4 or frames.shape[-1] != 3 or len(frames) == 0:
        raise ValueError("frames must be a non-empty (N, H, W, 3) array.")
    frames = _to_analysis_size(frames)
    take = TakeFrames(
        frames=frames, gray=_luma(frames), fps=fps, camera=camera,
        previous=(_to_analysis_size(np.asarray(previous_last_frame))
                  if previous_last_frame is not None else None),
        cut=cut, identity=identity, lipsync=lipsync)
    weights = {**default_weights(), **(weights or {})}
    metrics = []
    for metric in installed_metrics():
        measured = metric.measure(take)
        if measured is None:
            continue
        measured = measured.model_copy()
        measured.weight = weights.get(measured.name, metric.weight)
        measured.value = float(min(1.0, max(0.0, measured.value)))
        metrics.append(measured)
    total = weighted_total({m.name: m.value for m in metrics}, {m.name: m.weight for m in metrics})
    return TakeScores(metrics=metrics, total=total)


def weighted_total(values: Mapping[str, float], weights: Mapping[str, float]) -> float:
    """A take's total: Σ w·v / Σ w over the metrics it has (0 when none weigh anything),
    rounded to 4 places as stored. A metric without a weight counts at its default one.

    The one formula for a total: scoring uses it with the fixed weights, the ranker
    (`ranking.learn`) with the weights learned from the director's picks."""
    total_weight = 0.0
    weighted = 0.0
    for name, value in values.items():
        weight = weights.get(name, DEFAULT_WEIGHTS.get(name) or _plugin_weight(name))
        total_weight += weight
        weighted += weight * value
    return round(weighted / total_weight, 4) if total_weight else 0.0


def score_take(
    path: Path,
    *,
    kind: TakeKind = TakeKind.VIDEO,
    camera: CameraMove | None = None,
    previous_last_frame: Path | None = None,
    identity: MetricScore | None = None,
    weights: dict[str, float] | None = None,
) -> TakeScores:
    """Decode a take file at analysis size and score it.

    Keyframe takes (stills) get only the per-frame metrics, plus continuity/identity when
    asked. `previous_last_frame` may be an image or a video (its last frame is used).
    Raises MediaError when the file cannot be decoded.
    """
    frames, fps = analysis_frames(path, kind=kind)
    previous = _last_frame(previous_last_frame) if previous_last_frame is not None else None
    return score_frames(
        frames, fps=fps, camera=camera, previous_last_frame=previous, identity=identity,
        weights=weights,
    )


def analysis_frames(
    path: Path, *, kind: TakeKind = TakeKind.VIDEO, info: MediaInfo | None = None
) -> tuple[np.ndarray, float]:
    """Decode a take at analysis size: (frames, fps of the decoded frames; 0 for a still).

    Pass the `info` a caller already probed to save a probe.
    """
    path = Path(path)
    info = info or probe(path, count_frames=kind.moving)
    width, height = _analysis_size(info.width, info.height)
    if kind is TakeKind.KEYFRAME or info.is_image:
        return read_frames(path, width=width, height=height, max_frames=1), 0.0
    every = max(1, math.ceil(info.frames / MAX_DECODED_FRAMES)) if info.frames else 1
    frames = read_frames(path, width=width, height=height, every=every)
    return frames, (info.fps or 30.0) / every


def rank_takes(takes: list[Take]) -> list[Take]:
    """Done takes with a score first, best score first (ties: lower take number); then the rest
    (unscored, queued, failed, rejected) by take number."""
    scored = [t for t in takes if t.status is TakeStatus.DONE and t.score is not None]
    rest = [t for t in takes if not (t.status is TakeStatus.DONE and t.score is not None)]
    scored.sort(key=lambda t: (-(t.score or 0.0), t.number))
    rest.sort(key=lambda t: t.number)
    return scored + rest


# ---------------------------------------------------------------------------------------------
# decoding helpers


def _analysis_size(width: int, height: int) -> tuple[int, int]:
    short = min(width, height)
    if short <= ANALYSIS_SHORT_SIDE:
        return width - width % 2, height - height % 2
    scale = ANALYSIS_SHORT_SIDE / short
    return max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)


def _to_analysis_size(frames: np.ndarray) -> np.ndarray:
    """Downscale (box filter) frames whose short side is well above the analysis size."""
    from PIL import Image

    single = frames.ndim == 3
    batch = frames[None] if single else frames
    height, width = batch.shape[1:3]
    if min(height, width) <= ANALYSIS_SHORT_SIDE * 1.5:
        return frames
    size = _analysis_size(width, height)
    out = np.stack([
        np.asarray(Image.fromarray(frame).resize(size, Image.Resampling.BOX)) for frame in batch
    ])
    return out[0] if single else out


def _last_frame(path: Path) -> np.ndarray:
    info = probe(path, count_frames=False)
    width, height = _analysis_size(info.width, info.height)
    if info.is_image:
        return read_frames(path, width=width, height=height, max_frames=1)[0]
    return read_frames(path, width=width, height=height)[-1]


def _luma(frames: np.ndarray) -> np.ndarray:
    rgb = frames.astype(np.float32)
    return rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114


def _sample(count: int, limit: int) -> np.ndarray:
    if count <= limit:
        return np.arange(count)
    return np.unique(np.linspace(0, count - 1, limit).round().astype(int))


# ---------------------------------------------------------------------------------------------
# per-frame metrics


def _laplacian_variance(image: np.ndarray) -> float:
    lap = (
        image[:-2, 1:-1] + image[2:, 1:-1] + image[1:-1, :-2] + image[1:-1, 2:]
        - 4.0 * image[1:-1, 1:-1]
    )
    return float(lap.var())


def _sharpness_value(variance: float) -> float:
    # Hill curve: 0.5 at 60, 0.8 at 120, 0.9 at 180; soft AI video sits in between, not at 0
    return variance**2 / (variance**2 + 60.0**2)


def _sharpness(gray: np.ndarray) -> MetricScore:
    variances = [_laplacian_variance(gray[i]) for i in _sample(len(gray), MAX_PER_FRAME_SAMPLES)]
    variance = float(np.median(variances))
    value = _sharpness_value(variance)
    verdict = "sharp" if value >= 0.8 else "soft" if value >= 0.4 else "blurred"
    return MetricScore(
        name="sharpness", value=value, weight=DEFAULT_WEIGHTS["sharpness"],
        explanation=f"{verdict}: Laplacian variance {variance:.0f} (≥ 120 is sharp).",
    )


def _exposure(gray: np.ndarray) -> MetricScore:
    sample = gray[_sample(len(gray), MAX_PER_FRAME_SAMPLES)]
    clipped = float((sample >= 250).mean())
    crushed = float((sample <= 5).mean())
    mean = float(sample.mean())
    clip_value = 1.0 - min(1.0, (clipped + crushed) / 0.3)
    distance = abs(mean - 118.0) / 118.0  # 0 at mid-grey, ~1 at black or white
    mean_value = 1.0 - min(1.0, max(0.0, distance - 0.35) / 0.55)
    value = clip_value * mean_value
    if mean < 25 or (mean < 60 and crushed > 0.05):
        verdict = "underexposed"
    elif mean < 60:
        verdict = "dark (low-key, or underexposed)"  # night scenes land here by design
    elif mean > 190:
        verdict = "overexposed"
    elif clipped + crushed > 0.1:
        verdict = "clipped"
    else:
        verdict = "well exposed"
    return MetricScore(
        name="exposure", value=value, weight=DEFAULT_WEIGHTS["exposure"],
        explanation=(
            f"{verdict}: mean luminance {mean:.0f}/255, {clipped:.0%} highlights clipped, "
            f"{crushed:.0%} shadows crushed."
        ),
    )


def _black_frames(gray: np.ndarray) -> MetricScore:
    flat = gray.reshape(len(gray), -1)
    means = flat.mean(axis=1)
    highs = np.percentile(flat[:, ::3], 98, axis=1)  # a third of the pixels is plenty for a p98
    black = int(((means <= BLACK_MEAN) & (highs <= BLACK_P98)).sum())
    share = black / len(gray)
    return MetricScore(
        name="black_frames", value=1.0 - min(1.0, 2.0 * share),
        weight=DEFAULT_WEIGHTS["black_frames"],
        explanation=f"{black} of {len(gray)} frames near-black ({share:.0%}).",
    )


# ---------------------------------------------------------------------------------------------
# temporal metrics


def _frozen(gray: np.ndarray, fps: float, *, static_shot: bool = False) -> MetricScore:
    diffs = np.abs(np.diff(gray, axis=0)).reshape(len(gray) - 1, -1).mean(axis=1)
    if static_shot and bool((diffs < FROZEN_DIFF).all()):
        return MetricScore(
            name="frozen", value=1.0, weight=DEFAULT_WEIGHTS["frozen"],
            explanation=f"one still picture for all {len(gray)} frames: a static shot, not a stall.",
        )
    longest = run = 0
    for diff in diffs:
        run = run + 1 if diff < FROZEN_DIFF else 0
        longest = max(longest, run)
    frames = longest + 1 if longest else 0  # a run of k identical steps shows k+1 equal frames
    share = frames / len(gray)
    value = 1.0 - min(1.0, max(0.0, share - 0.1) / 0.5)
    seconds = f" ({frames / fps:.1f} s)" if fps > 0 else ""
    return MetricScore(
        name="frozen", value=value, weight=DEFAULT_WEIGHTS["frozen"],
        explanation=(
            f"longest freeze {frames} of {len(gray)} frames{seconds}, {share:.0%} of the take."
            if frames else f"no frozen frames in {len(gray)} frames."
        ),
    )


def _flicker(gray: np.ndarray) -> MetricScore:
    steps = np.diff(gray.reshape(len(gray), -1).mean(axis=1))
    if len(steps) < 2:
        return MetricScore(
            name="flicker", value=1.0, weight=DEFAULT_WEIGHTS["flicker"],
            explanation="too short to flicker (2 frames).",
        )
    big = np.abs(steps) >= FLICKER_STEP
    reversals = int((big[:-1] & big[1:] & (np.sign(steps[:-1]) != np.sign(steps[1:]))).sum())
    share = reversals / (len(steps) - 1)
    amplitude = float(np.abs(steps).max())
    return MetricScore(
        name="flicker", value=1.0 - min(1.0, share / 0.25), weight=DEFAULT_WEIGHTS["flicker"],
        explanation=(
            f"{reversals} brightness reversals in {len(steps) - 1} frame steps ({share:.0%}), "
            f"largest step {amplitude:.1f} levels."
        ),
    )


CADENCE_COST = 0.35  # of the score, per short defect
STILL_STEP = 0.1  # levels: a picture changing less than this between frames is not moving


def _cadence(gray: np.ndarray, fps: float) -> MetricScore:
    """Short defects, each read against the frames around it: what one step and two steps of
    the picture's own motion look like there (mean absolute differences of frames one and two
    apart), so a fast pan and a slow dolly are judged alike."""
    flat = gray.reshape(len(gray), -1)
    one = np.abs(np.diff(flat, axis=0)).mean(axis=1)  # one[i]: frame i to i + 1
    two = np.abs(flat[2:] - flat[:-2]).mean(axis=1)  # two[i]: frame i to i + 2
    found: list[tuple[int, str]] = []
    skip: set[int] = set()
    for i in range(1, len(gray) - 1):  # frame i unlike both neighbours, which agree
        if min(one[i - 1], one[i]) > 2.5 * two[i - 1] + 1.5:
            found.append((i, "a flashed frame"))
            skip.update((i - 1, i))
    for i in range(len(one)):
        if i in skip:
            continue
        near = [j for j in range(max(0, i - 6), min(len(one), i + 7)) if abs(j - i) > 1]
        if len(near) < 4:
            continue
        step = float(np.median(one[near]))
        double = float(np.median(two[[j for j in near if j < len(two)]]))
        if step < STILL_STEP or double < 1.3 * step:
            continue  # a still picture, or one whose steps noise drowns
        middle = (step + double) / 2
        following = one[i + 1] if i + 1 < len(one) else step
        if one[i] < 0.35 * step or (one[i] < 0.6 * step and following > middle):
            found.append((i + 1, "a repeated frame"))
            skip.update((i, i + 1))  # its catch-up step is the same defect
        elif step + 0.8 * (double - step) < one[i] < 1.5 * double:  # not an encoder's beat
            found.append((i + 1, "a dropped frame"))
            skip.add(i)
    found.sort()
    value = max(0.0, 1.0 - CADENCE_COST * len(found))
    if not found:
        explanation = f"every one of {len(one)} frame steps even: no stutter, drop or flash."
    else:
        at = "; ".join(f"{what} at {frame / fps:.2f} s" if fps > 0 else f"{what} at frame {frame}"
                       for frame, what in found[:4])
        more = f" and {len(found) - 4} more" if len(found) > 4 else ""
        explanation = f"{len(found)} short defect{'s' if len(found) > 1 else ''}: {at}{more}."
    return MetricScore(name="cadence", value=value, weight=DEFAULT_WEIGHTS["cadence"],
                       explanation=explanation)


# ---------------------------------------------------------------------------------------------
# motion


@functools.lru_cache(maxsize=16)
def _hann(shape: tuple[int, int]) -> np.ndarray:
    # tapering the edges stops the frame border from dominating the correlation
    return np.outer(np.hanning(shape[0]), np.hanning(shape[1]))


def _phase_shift(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Sub-pixel (dx, dy) by which the content of `a` moved to give `b` (image coordinates)."""
    window = _hann(a.shape)
    # real FFTs: half the work of complex ones for the same correlation surface
    fa = np.fft.rfft2((a - a.mean()) * window)
    fb = np.fft.rfft2((b - b.mean()) * window)
    cross = fb * np.conj(fa)
    cross /= np.abs(cross) + 1e-9
    corr = np.fft.irfft2(cross, s=a.shape)
    py, px = np.unravel_index(int(np.argmax(corr)), corr.shape)
    height, width = corr.shape

    def refine(centre: float, left: float, right: float) -> float:
        denom = left - 2 * centre + right
        return 0.0 if abs(denom) < 1e-12 else 0.5 * (left - right) / denom

    dx = px + refine(corr[py, px], corr[py, (px - 1) % width], corr[py, (px + 1) % width])
    dy = py + refine(corr[py, px], corr[(py - 1) % height, px], corr[(py + 1) % height, px])
    # the correlation wraps around: shifts past half the frame are negative
    if dx > width / 2:
        dx -= width
    if dy > height / 2:
        dy -= height
    return float(dx), float(dy)


def _pair_motion(a: np.ndarray, b: np.ndarray,
                 moving: np.ndarray | None = None) -> tuple[float, float, float]:
    """(dx, dy, scale - 1) by which the picture of `a` moved to give `b`.

    Phase correlation finds the translation, however large; a few Gauss–Newton steps then fit
    translation and zoom together on the pixels that move (`moving`: a mask of the pixels that
    change at all over the take — a still caption or logo burned over the picture says
    nothing about the camera). Least squares over every such pixel reads a zoom of a fraction
    of a pixel per frame, which correlating four quadrants rounds towards none.
    """
    dx, dy = _phase_shift(a, b)
    a, b = _smooth(a), _smooth(b)  # flat art's one-pixel edges: widen them for the gradients
    height, width = a.shape
    gy, gx = np.gradient(a)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float64)
    cx, cy = (width - 1) / 2, (height - 1) / 2
    ox, oy = xs - cx, ys - cy
    weight = np.ones_like(a) if moving is None else moving.astype(np.float64)
    # a is compared with b sampled where a's content went: x + t + z·(x − c). Weights are
    # robust (Tukey, never narrower than the noise of a clean encode): a pixel that does not
    # follow the picture — an overlay's edge, a face that turns — counts less the worse it fits
    shift = np.array([dx, dy, 0.0])
    jacobian = np.stack([gx, gy, gx * ox + gy * oy], axis=-1)
    for _ in range(6):
        sx = xs + shift[0] + shift[2] * ox
        sy = ys + shift[1] + shift[2] * oy
        inside = (sx >= 0) & (sx <= width - 1) & (sy >= 0) & (sy <= height - 1)
        base = inside * weight
        if base.sum() < 32:
            break
        residual = _bilinear(b, sx, sy) - a
        scale = max(6.0, 1.4826 * float(np.median(np.abs(residual[base > 0]))))
        use = base * np.clip(1 - (residual / (4.685 * scale)) ** 2, 0, None) ** 2
        hessian = np.einsum("hwi,hwj->ij", jacobian * use[..., None], jacobian)
        if abs(np.linalg.det(hessian)) < 1e-9:
            break
        step = -np.linalg.solve(hessian, np.einsum("hwi,hw->i", jacobian, residual * use))
        shift += step
        if abs(step[0]) + abs(step[1]) < 0.01 and abs(step[2]) < 1e-5:
            break
    if abs(shift[0] - dx) > 2 or abs(shift[1] - dy) > 2 or abs(shift[2]) > 0.2:
        return dx, dy, 0.0  # the fit ran off (no texture where it moves): keep the correlation
    return float(shift[0]), float(shift[1]), float(shift[2])


def _smooth(image: np.ndarray) -> np.ndarray:
    """A 5-tap binomial blur along both axes (σ ≈ 1 pixel), edges repeated."""
    kernel = np.array([1.0, 4.0, 6.0, 4.0, 1.0]) / 16.0
    padded = np.pad(image, 2, mode="edge")
    rows = sum(k * padded[:, i:i + image.shape[1]] for i, k in enumerate(kernel))
    return sum(k * rows[i:i + image.shape[0], :] for i, k in enumerate(kernel))


def _bilinear(image: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """`image` sampled at real coordinates (clamped to its edges), bilinearly."""
    height, width = image.shape
    x = np.clip(x, 0, width - 1)
    y = np.clip(y, 0, height - 1)
    x0 = np.minimum(np.floor(x).astype(int), width - 2)
    y0 = np.minimum(np.floor(y).astype(int), height - 2)
    fx, fy = x - x0, y - y0
    top = image[y0, x0] * (1 - fx) + image[y0, x0 + 1] * fx
    bottom = image[y0 + 1, x0] * (1 - fx) + image[y0 + 1, x0 + 1] * fx
    return top * (1 - fy) + bottom * fy


def _moving_pixels(gray: np.ndarray) -> np.ndarray | None:
    """The pixels where the picture moves: their value changes over the take by at least half
    their edge's strength. A caption, slate or logo burned over the picture stays put, and so
    does its edge over a translucent box (the box lets a little of the moving picture through,
    far less than the edge's own contrast). None when too few pixels move to leave any out."""
    step = max(1, len(gray) // 8)
    edges = np.max([np.abs(np.gradient(frame)[0]) + np.abs(np.gradient(frame)[1])
                    for frame in gray[::step]], axis=0)
    span = gray.max(axis=0) - gray.min(axis=0)
    moving = (span > 4.0) & (span > 0.5 * edges)
    return moving if moving.mean() > 0.02 else None


def _measure_motion(gray: np.ndarray, fps: float) -> tuple[float, float, float, float, float]:
    """Content velocity (vx, vy) in frame widths/heights per second (+ = right/down), zoom as
    the growth rate of the picture (log scale per second, + = content grows), jitter (how far
    the per-pair velocities scatter around their mean, frame widths per second: a shake) and
    roughness (how far they leave their smooth course: a camera easing in and out changes
    speed smoothly and has none, a shake or a stutter has)."""
    gap = max(1, min(len(gray) - 1, round(fps / 10)))  # ~0.1 s apart: big enough shifts to see
    starts = _sample(len(gray) - gap, MOTION_PAIRS)
    height, width = gray.shape[1:]
    per_second = fps / gap
    moving = _moving_pixels(gray)
    samples = []
    for i in starts:
        dx, dy, zoom = _pair_motion(gray[i], gray[i + gap], moving)
        samples.append((dx / width * per_second, dy / height * per_second, zoom * per_second))
    arr = np.array(samples)
    vx, vy, zoom = _trimmed_mean(arr)
    jitter = float(np.hypot(arr[:, 0] - vx, arr[:, 1] - vy).mean()) if len(arr) > 1 else 0.0
    rough = _roughness(arr[:, :2]) if len(arr) > 2 else jitter
    return float(vx), float(vy), float(zoom), jitter, rough


def _roughness(velocity: np.ndarray) -> float:
    """Mean distance of each velocity from the straight line through its neighbours."""
    course = (velocity[:-2] + velocity[2:]) / 2
    return float(np.hypot(*(velocity[1:-1] - course).T).mean())


def _trimmed_mean(values: np.ndarray, cut: float = 0.2) -> np.ndarray:
    # a mean, so a shake averages out to no drift; trimmed, so one bad pair (a cut) cannot steer it
    ordered = np.sort(values, axis=0)
    drop = int(len(ordered) * cut)
    return ordered[drop : len(ordered) - drop].mean(axis=0)


def _magnitude_match(ratio: float) -> float:
    """1 when the measured amount is within ×2 of the expected one, decaying outside."""
    if ratio <= 0:
        return 0.0
    excess = max(0.0, abs(math.log(ratio)) - math.log(2.0))
    return math.exp(-(excess**2) / (2 * 0.5**2))


def _motion(gray: np.ndarray, fps: float, camera: CameraMove) -> MetricScore:
    fps = fps if fps > 0 else 30.0
    vx, vy, zoom, jitter, rough = _measure_motion(gray, fps)
    duration = (len(gray) - 1) / fps
    across, down = vx * duration, vy * duration
    measured = (
        f"over {duration:.1f} s the picture moved {abs(across):.2f} frame widths "
        f"{'left' if across < 0 else 'right'} and {abs(down):.2f} heights "
        f"{'up' if down < 0 else 'down'}, zoomed {math.exp(zoom * duration) - 1:+.0%}, "
        f"shake {jitter:.2f} frame/s"
    )
    wanted = camera.move.value.replace("_", " ")
    if camera.move is Move.STATIC:
        speed = math.hypot(vx, vy) + abs(zoom) / 2 + jitter  # zoom / 2: how fast the edges move
        value = 1.0 - min(1.0, max(0.0, speed - 0.02) / 0.13)
        return _motion_score(value, f"static asked: {measured}.")
    if camera.move is Move.HANDHELD:
        drift = math.hypot(vx, vy) + abs(zoom) / 2
        # a small shake is wanted: none at all is a mild miss, a sustained move a bigger one
        shake = _magnitude_match(jitter / shake_speed(camera.intensity))
        steady = 1.0 - min(1.0, max(0.0, drift - jitter) / 0.15)
        value = (0.3 + 0.7 * shake) * steady
        return _motion_score(value, f"handheld asked: {measured}.")
    # the model says where the picture goes (its direction at full intensity, so intensity 0
    # still names an axis) and how far: judge the move along its main axis
    full = CameraPath(move=camera.move, intensity=1.0)
    wanted_travel = dict(zip(("x", "y", "zoom"), full.picture_travel(), strict=True))
    axis = max(wanted_travel, key=lambda k: abs(wanted_travel[k]))
    sign = 0.0 if full.either_way else math.copysign(1.0, wanted_travel[axis])
    components = {"x": vx, "y": vy, "zoom": zoom}
    along = (abs(components[axis]) if sign == 0 else components[axis] * sign) * duration
    # on the other axes, what the move does not ask for (an orbit also closes in)
    asked = CameraPath(move=camera.move, intensity=camera.intensity).picture_travel()
    wanted_rest = dict(zip(("x", "y", "zoom"), asked, strict=True))
    off_axis = sum(abs(v * duration - wanted_rest[k]) for k, v in components.items()
                   if k != axis) + rough * duration
    expected = max(MIN_TRAVEL, abs(wanted_travel[axis]) * camera.intensity)
    if along <= 0:
        value = 0.0
        verdict = "no motion" if abs(along) < 0.02 else "wrong direction"
    else:
        purity = along / (along + 0.5 * off_axis)
        value = _magnitude_match(along / expected) * purity
        verdict = "matches" if value >= 0.7 else "weak match"
    if axis == "zoom":
        hint = f"about {sign * (math.exp(expected) - 1):+.0%} zoom"
    else:
        hint = f"about {expected:.2f} frame {'widths' if axis == 'x' else 'heights'}"
    return _motion_score(
        value, f"{wanted} {camera.intensity:g} asked, {hint} ({verdict}): {measured}."
    )


def _motion_score(value: float, explanation: str) -> MetricScore:
    return MetricScore(
        name="motion", value=value, weight=DEFAULT_WEIGHTS["motion"], explanation=explanation
    )


# ---------------------------------------------------------------------------------------------
# continuity


def _resize(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.fromarray(image).resize(size, Image.Resampling.BOX))


def _box_mean(image: np.ndarray, k: int) -> np.ndarray:
    """Mean over every k×k window (valid positions only), via an integral image."""
    integral = np.pad(image, ((1, 0), (1, 0))).cumsum(axis=0).cumsum(axis=1)
    total = integral[k:, k:] - integral[:-k, k:] - integral[k:, :-k] + integral[:-k, :-k]
    return total / (k * k)


def _ssim(a: np.ndarray, b: np.ndarray, k: int = 7) -> float:
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    mu_a, mu_b = _box_mean(a, k), _box_mean(b, k)
    var_a = _box_mean(a * a, k) - mu_a**2
    var_b = _box_mean(b * b, k) - mu_b**2
    cov = _box_mean(a * b, k) - mu_a * mu_b
    ssim = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2))
    return float(ssim.mean())


def _histogram(image: np.ndarray, bins: int = 8) -> np.ndarray:
    quantised = (image.astype(np.int32) * bins // 256).reshape(-1, 3)
    index = quantised[:, 0] * bins * bins + quantised[:, 1] * bins + quantised[:, 2]
    counts = np.bincount(index, minlength=bins**3).astype(np.float64)
    return counts / counts.sum()


def _continuity(first: np.ndarray, previous: np.ndarray, *,
                cut: tuple[float, str] | None = None) -> MetricScore:
    # both frames go to one small grid, so a different resolution alone does not break the match
    size = (64, 64)
    a, b = _resize(first, size), _resize(previous, size)
    colour = float(np.minimum(_histogram(a), _histogram(b)).sum())
    structure = _ssim(_luma(a[None])[0].astype(np.float64), _luma(b[None])[0].astype(np.float64))
    value = 0.5 * colour + 0.5 * max(0.0, structure)
    explanation = (
        f"first frame against the previous shot's last: colour match {colour:.2f}, "
        f"structure (SSIM) {structure:.2f}"
    )
    if cut is not None:
        faces, sentence = cut
        value = (colour + max(0.0, structure) + faces) / 3
        explanation += f", faces {faces:.2f}: {sentence}"
    return MetricScore(
        name="continuity", value=value, weight=DEFAULT_WEIGHTS["continuity"],
        explanation=explanation + ".",
    )


# ---------------------------------------------------------------------------------------------
# metrics as plugins


class TakeFrames(BaseModel):
    """What a metric sees of a take: its frames at analysis size, and what it is judged by."""

    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    frames: Any  # (N, H, W, 3) uint8 RGB at the analysis size; one frame: a still
    gray: Any  # (N, H, W) luma of the same frames
    fps: float  # of the decoded frames (0 for a still)
    camera: CameraMove | None = None  # the move asked for (None: a still, or not judged)
    previous: Any = None  # the previous shot's last frame at the analysis size, if chained
    cut: tuple[float, str] | None = None  # the faces' match across the cut, where both show faces
    identity: MetricScore | None = None  # measured by ranking.identity, when it could be
    lipsync: MetricScore | None = None  # measured by ranking.lipsync, for a lip-sync take

    @property
    def moving(self) -> bool:
        return len(self.frames) >= 2


class Metric(ABC):
    """One ranking metric: a `shotcraft.metrics` entry point (see the module docstring)."""

    name: ClassVar[str]
    weight: ClassVar[float] = 1.0  # its default weight in the total; the ranker learns it

    @abstractmethod
    def measure(self, take: TakeFrames) -> MetricScore | None:
        """The take's score (0..1, one sentence with the raw figure), or None where the metric
        does not apply (a still, no previous shot, nothing measured)."""


METRICS: PluginKind[Metric] = PluginKind(
    "shotcraft.metrics", "ranking metric", Metric,
    order=("sharpness", "exposure", "black_frames", "frozen", "flicker", "cadence", "motion",
           "continuity", "identity", "lipsync"))


def installed_metrics() -> list[Metric]:
    """One instance of every installed metric, in listing order."""
    return [METRICS.make(name) for name in METRICS.names()]


def default_weights() -> dict[str, float]:
    """Every installed metric's default weight, by name."""
    return {metric.name: metric.weight for metric in installed_metrics()}


def _plugin_weight(name: str) -> float:
    """The default weight of a metric outside the built-in table (a plugin's), else 1."""
    return default_weights().get(name, 1.0)


class Sharpness(Metric):
    name, weight = "sharpness", DEFAULT_WEIGHTS["sharpness"]

    def measure(self, take: TakeFrames) -> MetricScore | None:
        return _sharpness(take.gray)


class Exposure(Metric):
    name, weight = "exposure", DEFAULT_WEIGHTS["exposure"]

    def measure(self, take: TakeFrames) -> MetricScore | None:
        return _exposure(take.gray)


class BlackFrames(Metric):
    name, weight = "black_frames", DEFAULT_WEIGHTS["black_frames"]

    def measure(self, take: TakeFrames) -> MetricScore | None:
        return _black_frames(take.gray)


class Frozen(Metric):
    name, weight = "frozen", DEFAULT_WEIGHTS["frozen"]

    def measure(self, take: TakeFrames) -> MetricScore | None:
        if not take.moving:
            return None
        static = take.camera is not None and take.camera.move is Move.STATIC
        return _frozen(take.gray, take.fps, static_shot=static)


class Flicker(Metric):
    name, weight = "flicker", DEFAULT_WEIGHTS["flicker"]

    def measure(self, take: TakeFrames) -> MetricScore | None:
        return _flicker(take.gray) if take.moving else None


class Cadence(Metric):
    """Short defects between frames: a repeated, dropped or flashed frame."""

    name, weight = "cadence", DEFAULT_WEIGHTS["cadence"]

    def measure(self, take: TakeFrames) -> MetricScore | None:
        return _cadence(take.gray, take.fps) if take.moving else None


class Motion(Metric):
    name, weight = "motion", DEFAULT_WEIGHTS["motion"]

    def measure(self, take: TakeFrames) -> MetricScore | None:
        if not take.moving or take.camera is None:
            return None
        return _motion(take.gray, take.fps, take.camera)


class Continuity(Metric):
    name, weight = "continuity", DEFAULT_WEIGHTS["continuity"]

    def measure(self, take: TakeFrames) -> MetricScore | None:
        if take.previous is None:
            return None
        return _continuity(take.frames[0], take.previous, cut=take.cut)


class Identity(Metric):
    """Faces against the character bible, measured by ranking.identity on frames of its own."""

    name, weight = "identity", DEFAULT_WEIGHTS["identity"]

    def measure(self, take: TakeFrames) -> MetricScore | None:
        return take.identity


class Lipsync(Metric):
    """The mouth check of a lip-sync take, measured by ranking.lipsync against its audio."""

    name, weight = "lipsync", DEFAULT_WEIGHTS["lipsync"]

    def measure(self, take: TakeFrames) -> MetricScore | None:
        return take.lipsync
