"""The face model: dlib's HOG face detector, its 5-point landmarks and its 128-d ResNet face
embedding (the model `face_recognition` uses; 99.38 % on LFW, same person below ~0.6), and on
request its 68-point landmarks (eyes, brows, nose, jaw and lips: what the mouth check reads).

The weights are package data of `face_recognition_models` (installed by the `identity` extra
from the package registry; nothing is downloaded at run time). Its files are located with
`importlib.util.find_spec`, never imported: the package's `__init__` needs `pkg_resources`,
which current setuptools no longer ships. dlib is imported lazily, on the first face, so the
CLI and the studio start without it.
"""

from __future__ import annotations

import functools
import importlib.util
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from shotcraft.shots.errors import ShotcraftError

INSTALL_HINT = "pip install 'shotcraft[identity]'"
SAME_PERSON = 0.6  # dlib's own threshold: embeddings closer than this are the same person


class FaceModelMissing(ShotcraftError):
    title = "Face model not installed"


@dataclass(frozen=True)
class Face:
    """A face found on an image: its box in that image's pixels, the detector's confidence and
    its 128-d embedding."""

    left: int
    top: int
    width: int
    height: int
    confidence: float
    embedding: np.ndarray

    @property
    def size(self) -> int:
        """The short side of the face box, in pixels of the analysed image."""
        return min(self.width, self.height)


def missing_reason() -> str | None:
    """None when the face model can be used; otherwise one sentence saying how to install it."""
    return _missing()


@functools.cache
def _missing() -> str | None:
    if importlib.util.find_spec("dlib") is None:
        return f"the face model is not installed (dlib); install it with `{INSTALL_HINT}`."
    try:
        _model_files()
    except FaceModelMissing as exc:
        return exc.message
    return None


def _model_files() -> dict[str, Path]:
    spec = importlib.util.find_spec("face_recognition_models")
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    if not locations:
        raise FaceModelMissing(
            f"the face model's weights are not installed (face_recognition_models); install "
            f"them with `{INSTALL_HINT}`."
        )
    folder = Path(locations[0]) / "models"
    files = {
        "landmarks": folder / "shape_predictor_5_face_landmarks.dat",
        "embedding": folder / "dlib_face_recognition_resnet_model_v1.dat",
    }
    for path in files.values():
        if not path.is_file():
            raise FaceModelMissing(
                f"the face model file {path.name} is missing from {folder}; reinstall it with "
                f"`{INSTALL_HINT}`."
            )
    return files


def _landmarks68_file() -> Path:
    folder = _model_files()["landmarks"].parent
    path = folder / "shape_predictor_68_face_landmarks.dat"
    if not path.is_file():
        raise FaceModelMissing(
            f"the face model file {path.name} is missing from {folder}; reinstall it with "
            f"`{INSTALL_HINT}`."
        )
    return path


class FaceModel:
    """dlib's detector + landmarks + embedding, loaded once per process (about 0.6 s).

    dlib's objects are not documented as thread-safe, so each is used under its own lock: one
    thread can search a frame for faces (the detector releases the GIL) while another embeds the
    faces of the previous frame (the embedding holds it).
    """

    def __init__(self) -> None:
        reason = missing_reason()
        if reason is not None:
            raise FaceModelMissing(reason)
        import dlib

        files = _model_files()
        self._detector = dlib.get_frontal_face_detector()
        self._landmarks = dlib.shape_predictor(str(files["landmarks"]))
        self._encoder = dlib.face_recognition_model_v1(str(files["embedding"]))
        self._dlib: Any = dlib
        self._detect_lock = threading.Lock()
        self._embed_lock = threading.Lock()
        # the 68-point predictor (~100 MB, ~1 s to load) is loaded on its first use only
        self._landmarks68: Any = None
        self._landmarks68_lock = threading.Lock()

    def faces(self, image: np.ndarray, *, upsample: int = 0, embed: bool = True) -> list[Face]:
        """Every face on an RGB uint8 image (H, W, 3), biggest first.

        `upsample` doubles the image before detection that many times: the HOG detector finds
        faces from about 80 px at 0, from about 40 px at 1 (and costs four times as much).
        """
        image = np.ascontiguousarray(image, dtype=np.uint8)
        with self._detect_lock:
            rects, confidences, _ = self._detector.run(image, upsample, 0.0)
        found = []
        for rect, confidence in zip(rects, confidences, strict=True):
            left, top = max(0, rect.left()), max(0, rect.top())
            right = min(image.shape[1], rect.right())
            bottom = min(image.shape[0], rect.bottom())
            if right - left < 8 or bottom - top < 8:
                continue
            if embed:
                with self._embed_lock:
                    shape = self._landmarks(image, rect)
                    vector = np.asarray(self._encoder.compute_face_descriptor(image, shape))
            else:
                vector = np.zeros(128)
            found.append(Face(left=left, top=top, width=right - left, height=bottom - top,
                              confidence=float(confidence), embedding=vector))
        found.sort(key=lambda face: -face.width * face.height)
        return found

    def landmarks68(self, image: np.ndarray, face: Face) -> np.ndarray:
        """dlib's 68 landmarks of `face` on an RGB uint8 image, as a (68, 2) float array of
        (x, y) in that image's pixels (iBUG 300-W order: jaw 0-16, nose 27-35, lips 48-67).

        Loads the 68-point predictor on first use; FaceModelMissing names the install."""
        image = np.ascontiguousarray(image, dtype=np.uint8)
        rect = self._dlib.rectangle(face.left, face.top, face.left + face.width,
                                    face.top + face.height)
        with self._landmarks68_lock:
            if self._landmarks68 is None:
                self._landmarks68 = self._dlib.shape_predictor(str(_landmarks68_file()))
            shape = self._landmarks68(image, rect)
        return np.array([(point.x, point.y) for point in shape.parts()], dtype=float)


_model: FaceModel | None = None
_model_lock = threading.Lock()


def face_model() -> FaceModel:
    """The process's face model, loaded on first use; FaceModelMissing names the install."""
    global _model
    with _model_lock:
        if _model is None:
            _model = FaceModel()
        return _model
