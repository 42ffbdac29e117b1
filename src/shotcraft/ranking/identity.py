"""Identity: are the characters the shot has in frame the people of the character bible?

For each take, frames are sampled across it (the first, the last and about every half second)
and decoded at an analysis size fit for the shot size — faces in a wide shot are small, so a WS
is looked at larger than a close-up. Faces are found and embedded by the face model
(`ranking.faces`), then matched to the characters in frame: one face per character, the
assignment with the most matches and then the smallest total distance, where a character's
distance to a face is the nearest of its reference embeddings.

Per character in frame with a usable reference:

- presence: the share of sampled frames where the character was found (a face within dlib's
  same-person distance 0.6 that is not closer to another character of the bible). Where the
  shot size says a face should be visible (MS and closer, ECU excepted), every sampled frame
  counts, so a face that collapsed — smeared, melted, pixelated: no face found — scores 0 there;
  in a WS/EWS or an ECU only frames where some face was found count.
- closeness: how near the matched faces are to the references, (0.75 − d) / 0.4 clipped to
  0–1: 1 at d ≤ 0.35 (two photographs of one person sit at 0.25–0.45), 0.375 at the 0.6
  threshold, 0 at 0.75 (other people sit at 0.8 and beyond).
- a character appearing twice in a frame (a second face that also matches) halves the
  character's value in proportion to the frames where it happens.

The metric is the mean of the characters' presence × closeness × duplicate factor. Characters
without a usable reference are left out, and the explanation says so; with none left, or no
face model installed, the metric is left out of the total with one sentence saying why.

Reference embeddings are computed once per image content and kept in `cache/faces/` by the
file's sha256.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from pydantic import BaseModel

from shotcraft.ranking.faces import SAME_PERSON, Face, face_model, missing_reason
from shotcraft.ranking.metrics import DEFAULT_WEIGHTS, MetricScore
from shotcraft.shots.errors import MediaError
from shotcraft.shots.ffmpeg import FrameReader
from shotcraft.shots.files import atomic_target
from shotcraft.shots.media import MediaInfo, probe, sha256_file
from shotcraft.shots.models import ShotSize, TakeKind

MIN_REFERENCE_FACE = 80  # px, short side of the face box in a reference (long side ≤ 1280)
REFERENCE_LONG_SIDE = 1280
MIN_REFERENCE_CONFIDENCE = 0.3  # the HOG detector's score: real faces score ~1–3
SAMPLE_EVERY_S = 0.5
MAX_FACES = 6  # the biggest faces of a frame that take part in the matching
CLOSE_AT = 0.35  # distance scored as a perfect likeness
GONE_AT = 0.75  # distance scored as nobody alike
WRONG_MARGIN = 0.03  # a face this much closer to another character is that character


@dataclass(frozen=True)
class Analysis:
    """How a shot size is looked at: the short side of the decoded frames, the detector's
    upsampling, and whether a face must be visible in every frame."""

    short_side: int
    upsample: int
    expect_faces: bool


ANALYSIS: dict[ShotSize, Analysis] = {
    ShotSize.ECU: Analysis(360, 0, expect_faces=False),  # eyes and mouth: often no whole face
    ShotSize.CU: Analysis(360, 0, expect_faces=True),
    ShotSize.MCU: Analysis(480, 0, expect_faces=True),
    ShotSize.MS: Analysis(540, 0, expect_faces=True),
    ShotSize.WS: Analysis(720, 0, expect_faces=False),
    ShotSize.EWS: Analysis(720, 0, expect_faces=False),
}


# ---------------------------------------------------------------------------------------------
# references


class ReferenceCheck(BaseModel):
    """The face check of one reference image."""

    path: str
    faces: int | None  # None when no face model is installed
    usable: bool
    reason: str | None = None  # why it cannot be used for identity, one sentence
    face_size: int | None = None  # px, short side of the face box
    embedding: list[float] | None = None


def check_reference(path: Path, *, cache_dir: Path | None = None,
                    label: str | None = None) -> ReferenceCheck:
    """Find the faces on a reference image: usable when it shows exactly one clear face.

    `label` is how the file is named in sentences (default: its file name). Results are cached
    by content in `cache_dir` (the project's `cache/faces/`).
    """
    path = Path(path)
    label = label or path.name
    reason = missing_reason()
    if reason is not None:
        return ReferenceCheck(path=str(path), faces=None, usable=False,
                              reason=f"identity is left out: {reason}")
    digest = sha256_file(path)
    cached = _read_cache(cache_dir, digest)
    if cached is None:
        cached = _measure_reference(path)
        _write_cache(cache_dir, digest, cached)
    faces, size, embedding = cached["faces"], cached["face_size"], cached["embedding"]
    why = None
    if faces == 0:
        why = (f"{label} shows no face a face model can find; a reference needs one clear, "
               f"front-facing face (keep it anyway with --force, without identity use).")
    elif faces > 1:
        why = (f"{label} shows {faces} faces; a reference must show exactly one — crop it to "
               f"the character (or keep it with --force, without identity use).")
    elif size < MIN_REFERENCE_FACE:
        why = (f"the face in {label} is {size} px, under {MIN_REFERENCE_FACE} px; use a closer "
               f"or larger picture (or keep it with --force, without identity use).")
    return ReferenceCheck(path=str(path), faces=faces, usable=why is None, reason=why,
                          face_size=size or None,
                          embedding=embedding if why is None else None)


def _measure_reference(path: Path) -> dict:
    from PIL import Image, ImageOps

    with Image.open(path) as opened:
        image = ImageOps.exif_transpose(opened).convert("RGB")
    image.thumbnail((REFERENCE_LONG_SIDE, REFERENCE_LONG_SIDE))
    faces = face_model().faces(np.asarray(image), upsample=1)
    # the detector's weakest answers on a busy picture are patterns (a badge, a print), not faces
    faces = [f for f in faces if f.confidence >= MIN_REFERENCE_CONFIDENCE] or faces[:1]
    return {
        "faces": len(faces),
        "face_size": faces[0].size if faces else 0,
        "embedding": [round(float(v), 6) for v in faces[0].embedding] if len(faces) == 1 else None,
    }


_memory: dict[str, dict] = {}


def _read_cache(cache_dir: Path | None, digest: str) -> dict | None:
    if digest in _memory:
        # measured in this process for another project (or before this project's cache was
        # cleared): this project's cache/faces/ keeps its own copy all the same
        if cache_dir is not None and not (Path(cache_dir) / f"{digest}.json").exists():
            _write_cache(cache_dir, digest, _memory[digest])
        return _memory[digest]
    if cache_dir is None:
        return None
    path = Path(cache_dir) / f"{digest}.json"
    try:
        value = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(value, dict) or not {"faces", "face_size", "embedding"} <= set(value):
        return None
    _memory[digest] = value
    return value


def _write_cache(cache_dir: Path | None, digest: str, value: dict) -> None:
    _memory[digest] = value
    if cache_dir is None:
        return
    try:
        with atomic_target(Path(cache_dir) / f"{digest}.json") as temp:
            temp.write_text(json.dumps(value))
    except OSError:
        pass  # a cache: the next check measures again


@dataclass
class Bible:
    """The usable reference embeddings per character, and why others are left out."""

    embeddings: dict[str, np.ndarray] = field(default_factory=dict)  # name → (k, 128)
    left_out: dict[str, str] = field(default_factory=dict)  # name → why, one clause

    def knows(self, name: str) -> bool:
        return name in self.embeddings


def build_bible(references: Mapping[str, Sequence[Path]], *,
                cache_dir: Path | None = None) -> Bible:
    """Embeddings of every character's usable references (cached by content)."""
    bible = Bible()
    for name, paths in references.items():
        vectors = []
        for path in paths:
            if not Path(path).is_file():
                continue
            check = check_reference(Path(path), cache_dir=cache_dir)
            if check.usable and check.embedding is not None:
                vectors.append(check.embedding)
        if vectors:
            bible.embeddings[name] = np.asarray(vectors, dtype=np.float64)
        else:
            bible.left_out[name] = ("no reference image" if not paths
                                    else "no usable reference: none shows one clear face")
    return bible


# ---------------------------------------------------------------------------------------------
# takes


def sample_frames(path: Path, *, kind: TakeKind, size: ShotSize,
                  info: MediaInfo | None = None) -> np.ndarray:
    """The frames identity looks at, decoded at the shot size's analysis size: the first, the
    last and about every half second in between (one frame for a still)."""
    frames = list(iter_sample_frames(path, kind=kind, size=size, info=info))
    return np.stack(frames)


def iter_sample_frames(path: Path, *, kind: TakeKind, size: ShotSize,
                       info: MediaInfo | None = None) -> Iterator[np.ndarray]:
    """`sample_frames` one at a time, as ffmpeg decodes them: faces are searched on one frame
    while the next is decoded. Raises MediaError when the file has no decodable frame."""
    path = Path(path)
    info = info or probe(path, count_frames=kind.moving)
    width, height = _scaled(info.width, info.height, ANALYSIS[size].short_side)
    args = ["-v", "error", "-nostdin", "-i", str(path)]
    if kind is TakeKind.KEYFRAME or info.is_image or info.frames <= 1:
        args += ["-vf", f"scale={width}:{height}:flags=area", "-frames:v", "1"]
    else:
        step = max(1, round((info.fps or 30.0) * SAMPLE_EVERY_S))
        last = info.frames - 1
        select = f"select=not(mod(n\\,{step}))+eq(n\\,{last})"
        args += ["-vf", f"{select},scale={width}:{height}:flags=area", "-fps_mode", "passthrough"]
    args += ["-f", "rawvideo", "-pix_fmt", "rgb24", "-"]
    reader = FrameReader(args, frame_size=width * height * 3,
                         what=f"decoding {path.name} for identity",
                         failed=f"could not decode {path.name}")
    count = 0
    for chunk in reader:
        count += 1
        yield np.frombuffer(chunk, dtype=np.uint8).reshape(height, width, 3)
    if count == 0:
        raise MediaError(f"{path.name} has no decodable frames.")


def _scaled(width: int, height: int, short_side: int) -> tuple[int, int]:
    short = min(width, height)
    if short <= short_side:
        return width - width % 2, height - height % 2
    scale = short_side / short
    return max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)


class IdentityResult(BaseModel):
    """The identity metric of a take, or why it was left out (`metric` None, `note` says why)."""

    metric: MetricScore | None
    note: str

    @property
    def explanation(self) -> str:
        return self.metric.explanation if self.metric is not None else self.note


def left_out(reason: str) -> IdentityResult:
    return IdentityResult(metric=None, note=f"left out: {reason}")


def score_take_identity(path: Path, *, kind: TakeKind, size: ShotSize, in_frame: Sequence[str],
                        bible: Bible, info: MediaInfo | None = None) -> IdentityResult:
    """Score the characters in frame of one take file against the bible."""
    reason = missing_reason()
    if reason is not None:
        return left_out(reason)
    if not in_frame:
        return left_out("no character in frame.")
    if not any(bible.knows(name) for name in in_frame):
        return left_out(_no_reference_sentence(in_frame, bible))
    frames = iter_sample_frames(path, kind=kind, size=size, info=info)
    return score_faces(detect(frames, size=size), in_frame=in_frame, bible=bible, size=size)


def detect(frames: Iterable[np.ndarray], *, size: ShotSize) -> list[list[Face]]:
    """The faces of each frame (biggest first, at most MAX_FACES), in frame order.

    Two threads: while one embeds the faces of a frame, the other searches the next frame
    (and ffmpeg, a process of its own, decodes the one after).
    """
    model = face_model()
    upsample = ANALYSIS[size].upsample
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="faces") as pool:
        return list(pool.map(lambda frame: model.faces(frame, upsample=upsample)[:MAX_FACES],
                             frames))


def closeness(distance: float) -> float:
    return float(min(1.0, max(0.0, (GONE_AT - distance) / (GONE_AT - CLOSE_AT))))


def score_faces(frames: Sequence[Sequence[Face]], *, in_frame: Sequence[str], bible: Bible,
                size: ShotSize) -> IdentityResult:
    """The identity metric from the faces found on each sampled frame."""
    expected = [name for name in dict.fromkeys(in_frame) if bible.knows(name)]
    if not expected:
        return left_out(_no_reference_sentence(in_frame, bible))
    known = list(bible.embeddings)
    expect_faces = ANALYSIS[size].expect_faces
    counted = [i for i, faces in enumerate(frames) if expect_faces or faces]
    if not counted:
        return left_out(
            f"no face large enough to judge in {len(frames)} sampled frames of this "
            f"{size.value} shot."
        )
    found: dict[str, list[float]] = {name: [] for name in expected}
    twice: dict[str, int] = dict.fromkeys(expected, 0)
    misses: dict[str, list[str]] = {name: [] for name in expected}
    for index in counted:
        faces = list(frames[index])
        if not faces:
            for name in expected:
                misses[name].append("")
            continue
        distances = np.array([[_distance(face, bible.embeddings[name]) for face in faces]
                              for name in known])  # (characters, faces)
        rows = [known.index(name) for name in expected]
        assignment = _assign(distances[rows])
        used = {j for j in assignment.values() if j is not None}
        for slot, name in enumerate(expected):
            j = assignment.get(slot)
            row = known.index(name)
            if j is not None and _is(distances, row, j):
                found[name].append(float(distances[row, j]))
            else:
                misses[name].append(_best_match(distances, known, faces, used, name))
        for name in expected:
            row = known.index(name)
            if any(_is(distances, row, j) for j in range(len(faces)) if j not in used):
                twice[name] += 1
    total = len(counted)
    values, parts = [], []
    for name in expected:
        hits = found[name]
        presence = len(hits) / total
        close = float(np.mean([closeness(d) for d in hits])) if hits else 0.0
        duplicate = 1.0 - 0.5 * twice[name] / total
        values.append(presence * close * duplicate)
        parts.append(_character_sentence(name, hits, close, total, misses[name], twice[name],
                                         expect_faces))
    for name in dict.fromkeys(in_frame):
        if not bible.knows(name):
            parts.append(f"{name} left out ({bible.left_out.get(name, 'no usable reference')})")
    value = float(np.mean(values))
    return IdentityResult(
        metric=MetricScore(name="identity", value=value, weight=DEFAULT_WEIGHTS["identity"],
                           explanation="; ".join(parts) + "."),
        note="",
    )


def _distance(face: Face, references: np.ndarray) -> float:
    return float(np.linalg.norm(references - face.embedding[None, :], axis=1).min())


def _is(distances: np.ndarray, row: int, j: int) -> bool:
    """Face j is character `row`: within the same-person distance, and no other character of
    the bible is clearly closer."""
    d = distances[row, j]
    if d >= SAME_PERSON:
        return False
    others = np.delete(distances[:, j], row)
    return not (others.size and float(others.min()) < d - WRONG_MARGIN)


def _assign(distances: np.ndarray) -> dict[int, int | None]:
    """One face per character: the assignment with the most same-person matches, then the
    smallest total distance (exhaustive: a frame has a handful of characters and faces)."""
    characters, faces = distances.shape
    best: tuple[int, float] | None = None
    choice: dict[int, int | None] = dict.fromkeys(range(characters))
    slots = list(range(faces)) + [None] * characters
    for perm in set(itertools.permutations(slots, characters)):
        matches = sum(1 for c, j in enumerate(perm) if j is not None
                      and distances[c, j] < SAME_PERSON)
        cost = sum(distances[c, j] if j is not None else SAME_PERSON for c, j in enumerate(perm))
        key = (-matches, cost)
        if best is None or key < best:
            best, choice = key, dict(enumerate(perm))
    return choice


def _best_match(distances: np.ndarray, known: list[str], faces: list[Face], used: set[int],
                name: str) -> str:
    """Who the free faces of a frame look like, when `name` was not found there; "" when every
    face was matched to another character (so none is left where `name` should be)."""
    free = [j for j in range(len(faces)) if j not in used]
    if not free:
        return ""
    best_name, best_d = "", math.inf
    for j in free:
        for row, other in enumerate(known):
            if other != name and distances[row, j] < best_d:
                best_name, best_d = other, float(distances[row, j])
    if best_d < SAME_PERSON:
        return best_name
    return "?"  # a face nobody in the bible resembles


def _character_sentence(name: str, hits: list[float], close: float, total: int,
                        misses: list[str], twice: int, expect_faces: bool) -> str:
    frames = "frame" if total == 1 else "frames"
    if hits and not misses:
        sentence = f"{name} {close:.2f} in {len(hits)}/{total} {frames}"
    else:
        if hits:
            sentence = f"{name} {close:.2f} in {len(hits)}/{total} {frames}, not found in {len(misses)}"
        else:
            sentence = f"{name} not found in {len(misses)} of {total} {frames}"
        sentence += f" ({_why(misses, expect_faces)})"
    if twice:
        sentence += f"; {name} appears twice in {twice} of {total} {frames}"
    return sentence


def _why(misses: list[str], expect_faces: bool) -> str:
    lookalikes = [m for m in misses if m and m != "?"]
    if lookalikes:
        who = max(set(lookalikes), key=lookalikes.count)
        return f"best match looks like {who}"
    if misses.count("") >= len(misses) / 2:
        where = " where the shot size says one should be" if expect_faces else ""
        return f"no face found{where}"
    return "a face nobody in the bible resembles"


def _no_reference_sentence(in_frame: Sequence[str], bible: Bible) -> str:
    names = list(dict.fromkeys(in_frame))
    whys = [f"{n} ({bible.left_out.get(n, 'no usable reference')})" for n in names]
    return "no character in frame has a usable reference: " + ", ".join(whys) + "."


# ---------------------------------------------------------------------------------------------
# the cut


def cut_faces(first: np.ndarray, previous_last: np.ndarray,
              shared: Sequence[str]) -> tuple[float, str] | None:
    """Do the characters on both sides of a cut look the same? The previous shot's last frame
    against this take's first frame; `shared` are the characters in frame in both shots (a cut
    from one person to another is no continuity error, so without shared characters there is
    nothing to compare). For k shared characters the k closest face pairs across the cut are
    theirs. None when nothing is shared, either side shows no face, or there is no model."""
    names = list(dict.fromkeys(shared))
    if not names or missing_reason() is not None:
        return None
    model = face_model()
    before = model.faces(_at_most(previous_last, 720), upsample=0)[:MAX_FACES]
    after = model.faces(_at_most(first, 720), upsample=0)[:MAX_FACES]
    if not before or not after:
        return None
    nearest = sorted(min(float(np.linalg.norm(a.embedding - b.embedding)) for b in after)
                     for a in before)[:len(names)]
    value = float(np.mean([closeness(d) for d in nearest]))
    who = "、".join(names)
    same = sum(1 for d in nearest if d < SAME_PERSON)
    verdict = ("looks the same across the cut" if same == len(nearest)
               else "does not look the same across the cut")
    distances = ", ".join(f"{d:.2f}" for d in nearest)
    return value, f"{who} {verdict} (face distance {distances})"


def _at_most(image: np.ndarray, short_side: int) -> np.ndarray:
    from PIL import Image

    height, width = image.shape[:2]
    target = _scaled(width, height, short_side)
    if target == (width - width % 2, height - height % 2):
        return image
    return np.asarray(Image.fromarray(image).resize(target, Image.Resampling.BOX))
