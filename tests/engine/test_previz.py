"""previz draws storyboard-panel takes: exact format, per-seed determinism, framing, motion."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import shotcraft.engine.previz as previz
import shotcraft.engine.previz.captions as previz_captions
import shotcraft.engine.previz.engine as previz_engine
from shotcraft.engine.previz import PrevizEngine, character_colour
from shotcraft.engine.protocol import CharacterRef, Progress
from shotcraft.shots.media import probe, read_frames
from shotcraft.shots.models import CameraMove, Move, ShotKind, ShotSize, TakeKind
from tests.engine.conftest import make_request, save_image

CAST = [CharacterRef(name="林夏"), CharacterRef(name="陈默")]


def render_one(tmp_path: Path, **overrides):
    (take,) = PrevizEngine().render(make_request(**overrides), out_dir=tmp_path)
    assert take.failed is None, take.failed
    return take


def still(tmp_path: Path, **overrides) -> np.ndarray:
    take = render_one(tmp_path, kind=TakeKind.KEYFRAME, **overrides)
    return np.asarray(Image.open(take.path).convert("RGB"))


def colour_share(frame: np.ndarray, colour: tuple[int, int, int], tol: int = 6) -> float:
    close = np.all(np.abs(frame.astype(int) - np.array(colour)) <= tol, axis=-1)
    return float(close.mean())


def test_video_take_has_exact_frames_size_and_fps(tmp_path: Path) -> None:
    take = render_one(tmp_path, characters=CAST, num_frames=12, fps=12, seeds=[9], take_numbers=[4])
    assert take.path == tmp_path / "E01-S01-001-t004-s9.mp4"
    info = probe(take.path)
    assert (info.frames, info.width, info.height, info.fps, info.codec) == (12, 72, 128, 12.0, "h264")
    assert take.params["seed"] == 9 and take.params["engine_version"] == "1.0"
    assert take.params["num_frames"] == 12 and take.params["composition"]["jitter"]


def test_realistic_size_keyframe_still(tmp_path: Path) -> None:
    take = render_one(tmp_path, kind=TakeKind.KEYFRAME, width=540, height=960, characters=CAST)
    assert take.path.suffix == ".png"
    info = probe(take.path)
    assert (info.width, info.height) == (540, 960)


def test_same_seed_same_pixels_other_seed_other_picture(tmp_path: Path) -> None:
    args = {"characters": CAST, "camera": CameraMove(move=Move.HANDHELD, intensity=0.8), "size": ShotSize.WS}
    a = render_one(tmp_path / "a", seeds=[3], **args)
    b = render_one(tmp_path / "b", seeds=[3], **args)
    c = render_one(tmp_path / "c", seeds=[4], **args)
    fa, fb, fc = (read_frames(t.path) for t in (a, b, c))
    assert np.array_equal(fa, fb)
    assert np.abs(fa.astype(int) - fc.astype(int)).mean() > 3


def test_close_up_is_filled_by_the_character(tmp_path: Path) -> None:
    colour = character_colour("林夏")
    cast = [CharacterRef(name="林夏")]
    close = still(tmp_path / "cu", size=ShotSize.CU, characters=cast, dialogue=[])
    wide = still(tmp_path / "ws", size=ShotSize.WS, characters=cast, dialogue=[])
    assert colour_share(close, colour) > 3 * colour_share(wide, colour)
    assert colour_share(close, colour) > 0.1


def test_a_character_keeps_their_colour_across_shots(tmp_path: Path) -> None:
    colour = character_colour("陈默")
    one = still(tmp_path / "1", size=ShotSize.MS, characters=CAST, seeds=[1], location="客厅", width=144, height=256)
    two = still(tmp_path / "2", size=ShotSize.WS, characters=CAST, seeds=[77], location="STREET",
                time_of_day="DAY", interior=False, width=144, height=256)
    assert colour_share(one, colour, tol=0) > 0.01
    assert colour_share(two, colour, tol=0) > 0.002
    assert character_colour("陈默") != character_colour("林夏")


def test_pan_right_moves_the_picture_left(tmp_path: Path) -> None:
    take = render_one(tmp_path, characters=CAST, size=ShotSize.WS, dialogue=[], action=None,
                      camera=CameraMove(move=Move.PAN_RIGHT, intensity=1.0), width=144, height=256)
    frames = read_frames(take.path).astype(float)
    band = slice(60, 200)  # below the slate, above the caption
    first, last = frames[0, band].mean(axis=(0, 2)), frames[-1, band].mean(axis=(0, 2))
    first, last = first - first.mean(), last - last.mean()

    def error(shift: int) -> float:
        # content at x in the first frame sits at x - shift in the last one
        return float(np.mean((first[shift:] - last[: len(last) - shift]) ** 2)) if shift >= 0 else \
            float(np.mean((first[:shift] - last[-shift:]) ** 2))

    best = min(range(-40, 41), key=error)
    assert best >= 8, f"expected the picture to slide left, best shift {best}"


def test_dolly_in_makes_the_cast_bigger(tmp_path: Path) -> None:
    colour = character_colour("林夏")
    take = render_one(tmp_path, characters=[CharacterRef(name="林夏")], size=ShotSize.WS, dialogue=[],
                      camera=CameraMove(move=Move.DOLLY_IN, intensity=1.0), width=144, height=256)
    frames = read_frames(take.path)
    assert colour_share(frames[-1], colour, tol=14) > 1.3 * colour_share(frames[0], colour, tol=14)


def test_first_and_last_keyframes_are_the_first_and_last_frames(tmp_path: Path) -> None:
    first = np.asarray(Image.open(save_image(tmp_path / "a.png", (210, 60, 50))))
    last = np.asarray(Image.open(save_image(tmp_path / "b.png", (40, 70, 200))))
    take = render_one(tmp_path / "out", characters=CAST, first_frame=tmp_path / "a.png",
                      last_frame=tmp_path / "b.png", num_frames=12)
    frames = read_frames(take.path).astype(float)
    assert np.abs(frames[0] - first).mean() < 6
    assert np.abs(frames[-1] - last).mean() < 6
    middle = frames[len(frames) // 2]
    assert np.abs(middle - first).mean() > 30 and np.abs(middle - last).mean() > 30


def test_reference_image_is_drawn_as_the_character(tmp_path: Path) -> None:
    ref = save_image(tmp_path / "ref.png", (255, 0, 255), size=(40, 80), stripes=False)
    panel = still(tmp_path / "out", size=ShotSize.CU, width=144, height=256,
                  characters=[CharacterRef(name="林夏", references=[ref])])
    assert colour_share(panel, (255, 0, 255), tol=10) > 0.2


def test_each_character_in_frame_wears_their_own_reference_face(tmp_path: Path) -> None:
    from shotcraft.ranking.faces import face_model, missing_reason

    if missing_reason():
        pytest.skip(missing_reason())
    faces = Path(__file__).resolve().parents[1] / "data" / "faces"
    model = face_model()

    def embedding(path: Path) -> np.ndarray:
        return model.faces(np.asarray(Image.open(path).convert("RGB")))[0].embedding

    cast = {"林夏": faces / "obama.jpg", "陈默": faces / "biden.jpg"}
    panel = still(tmp_path, size=ShotSize.MS, width=360, height=640,
                  characters=[CharacterRef(name=n, references=[p]) for n, p in cast.items()])
    found = model.faces(panel, upsample=1)
    assert len(found) == 2
    for path in cast.values():  # dlib's usual "same person" threshold is 0.6
        assert min(np.linalg.norm(f.embedding - embedding(path)) for f in found) < 0.4
    # two different faces, not one reference pasted twice
    assert np.linalg.norm(found[0].embedding - found[1].embedding) > 0.6


def test_progress_is_reported_to_completion(tmp_path: Path) -> None:
    seen: list[Progress] = []
    PrevizEngine(progress_every=4).render(make_request(seeds=[1, 2], take_numbers=[1, 2]),
                                          out_dir=tmp_path, progress=seen.append)
    assert [p.take_number for p in seen] == [1, 1, 1, 2, 2, 2]
    assert seen[-1].done == 1.0 and seen[0].done == pytest.approx(4 / 12)


def test_cancel_stops_between_frames_and_leaves_no_partial_file(tmp_path: Path) -> None:
    cancel = threading.Event()

    def on_progress(p: Progress) -> None:
        if p.take_number == 2:
            cancel.set()

    takes = PrevizEngine(progress_every=2).render(
        make_request(seeds=[1, 2, 3], take_numbers=[1, 2, 3], num_frames=24), out_dir=tmp_path,
        progress=on_progress, cancel=cancel,
    )
    assert [(t.take_number, t.failed) for t in takes] == [(1, None), (2, "cancelled")]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["E01-S01-001-t001-s1.mp4"]


def test_a_failing_take_does_not_stop_the_others(tmp_path: Path, monkeypatch) -> None:
    real = previz.composition_for

    def flaky(seed: int, cast: int):
        if seed == 2:
            raise RuntimeError("the canvas caught fire")
        return real(seed, cast)

    monkeypatch.setattr(previz_engine, "composition_for", flaky)
    takes = PrevizEngine().render(make_request(seeds=[1, 2, 3], take_numbers=[1, 2, 3]), out_dir=tmp_path)
    assert [t.failed is None for t in takes] == [True, False, True]
    assert takes[1].failed == "previz could not draw take 2: the canvas caught fire"
    assert takes[1].path is None and takes[2].path.is_file()


def test_missing_cjk_font_warns_once_and_still_draws(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(previz_captions, "cjk_font", lambda: None)
    monkeypatch.setattr(previz_captions, "_warned_font", False)
    previz_captions.load_font.cache_clear()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            takes = PrevizEngine().render(
                make_request(characters=CAST, seeds=[1, 2], take_numbers=[1, 2]), out_dir=tmp_path
            )
        assert all(t.failed is None and t.path.is_file() for t in takes)
        assert len([w for w in caught if "CJK font" in str(w.message)]) == 1
    finally:
        previz_captions.load_font.cache_clear()


def test_night_reads_darker_and_bluer_than_day(tmp_path: Path) -> None:
    args = {"size": ShotSize.WS, "interior": False, "location": "天台", "dialogue": [], "seeds": [5]}
    day = still(tmp_path / "day", time_of_day="日", **args).astype(float)
    night = still(tmp_path / "night", time_of_day="夜", **args).astype(float)
    dusk = still(tmp_path / "dusk", time_of_day="黄昏", **args).astype(float)
    assert night.mean() < 0.6 * day.mean()
    assert night[..., 2].mean() > night[..., 0].mean()
    assert dusk[..., 0].mean() > day[..., 0].mean()  # golden hour is warmer


def test_looks_are_the_same_in_every_process(tmp_path: Path) -> None:
    code = "from shotcraft.engine.previz import character_colour, set_look; print(character_colour('林夏'), set_look('客厅').wall)"
    outs = {
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                       env={**os.environ, "PYTHONHASHSEED": seed}).stdout
        for seed in ("1", "2")
    }
    assert outs == {f"{character_colour('林夏')} {previz.set_look('客厅').wall}\n"}


def test_caption_lines_never_start_with_closing_punctuation() -> None:
    from shotcraft.engine.previz.captions import load_font, wrap_text

    font = load_font(20)
    text = "设计稿？你父亲欠顾氏三千万，你拿几张纸来抵？我不会再逃，这一次绝不。"
    for width in range(60, 400, 7):
        lines = wrap_text(text, font, width, max_lines=20)
        assert "".join(lines) == text
        assert not any(line[0] in "，。！？、；：" for line in lines), (width, lines)


def test_a_slow_dolly_over_flat_art_is_not_ranked_as_a_stall(tmp_path: Path) -> None:
    """Small frame-to-frame change is motion; only repeated frames are a freeze."""
    from shotcraft.ranking.metrics import score_take
    from shotcraft.shots.models import CameraMove, Move

    request = make_request(camera=CameraMove(move=Move.DOLLY_IN, intensity=0.3), num_frames=90,
                           width=270, height=480)
    take = PrevizEngine().render(request, out_dir=tmp_path)[0]
    frozen = score_take(take.path, camera=request.camera).get("frozen")
    assert frozen is not None and frozen.value == 1.0, frozen.explanation


def _previz_motion(tmp_path: Path, drawn: CameraMove, asked: CameraMove) -> float:
    from shotcraft.ranking.metrics import score_take

    # no caption card: a burned-in caption is a still overlay the ranker reads as picture
    request = make_request(camera=drawn, num_frames=36, fps=24, width=144, height=256,
                           characters=[CharacterRef(name="林夏")], dialogue=[])
    take = PrevizEngine().render(request, out_dir=tmp_path)[0]
    motion = score_take(take.path, camera=asked).get("motion")
    assert motion is not None
    return motion.value


@pytest.mark.parametrize("intensity", [0.5, 1.0])
@pytest.mark.parametrize(
    "move", [Move.DOLLY_IN, Move.DOLLY_OUT, Move.PAN_RIGHT, Move.PAN_LEFT, Move.TILT_UP,
             Move.TILT_DOWN, Move.TRUCK_LEFT],
)  # fmt: skip
def test_previz_moves_score_a_strong_motion_match(tmp_path: Path, move: Move, intensity: float) -> None:
    camera = CameraMove(move=move, intensity=intensity)
    assert _previz_motion(tmp_path, camera, camera) >= 0.8


@pytest.mark.parametrize("move", list(Move))
def test_every_previz_move_passes_its_own_motion_check_at_every_intensity(
    tmp_path: Path, move: Move,
) -> None:
    """One camera rule: what previz draws for a move is what the ranker's motion check asks
    of it — on a real panel, with its slate and its dialogue caption burned over the picture."""
    from shotcraft.ranking.metrics import score_take

    for intensity in (0.2, 0.5, 0.9):
        camera = CameraMove(move=move, intensity=intensity)
        request = make_request(camera=camera, num_frames=45, fps=30, width=270, height=480,
                               size=ShotSize.MCU, characters=[CharacterRef(name="林夏")])
        take = PrevizEngine().render(request, out_dir=tmp_path / f"{intensity}")[0]
        motion = score_take(take.path, camera=camera).get("motion")
        assert motion is not None and motion.value >= 0.8, motion.explanation if motion else move


def test_previz_static_and_reversed_dolly_score_low_against_a_dolly_in(tmp_path: Path) -> None:
    dolly_in = CameraMove(move=Move.DOLLY_IN, intensity=0.5)
    assert _previz_motion(tmp_path / "static", CameraMove(move=Move.STATIC), dolly_in) < 0.2
    assert _previz_motion(tmp_path / "out", CameraMove(move=Move.DOLLY_OUT, intensity=0.5), dolly_in) < 0.2


def _centre_x(frame: np.ndarray, colour: tuple[int, int, int], tol: int = 6) -> float:
    close = np.all(np.abs(frame.astype(int) - np.array(colour)) <= tol, axis=-1)
    return float(np.nonzero(close)[1].mean() / frame.shape[1])


def test_a_two_shot_stands_both_people_side_by_side(tmp_path: Path) -> None:
    frame = still(tmp_path, size=ShotSize.MS, framing=ShotKind.TWO_SHOT, characters=CAST)
    left, right = (character_colour(c.name) for c in CAST)
    assert colour_share(frame, left) > 0.02 and colour_share(frame, right) > 0.02
    assert _centre_x(frame, left) < 0.45 < 0.55 < _centre_x(frame, right)


def test_an_over_the_shoulder_puts_the_second_characters_back_in_the_foreground(tmp_path: Path) -> None:
    from shotcraft.engine.previz.colour import scale

    frame = still(tmp_path, size=ShotSize.MCU, framing=ShotKind.OTS, characters=CAST)
    facing, shoulder = character_colour(CAST[0].name), scale(character_colour(CAST[1].name), 0.75)
    assert colour_share(frame, facing) > 0.05 and _centre_x(frame, facing) > 0.55
    assert colour_share(frame, shoulder) > 0.03 and _centre_x(frame, shoulder) < 0.35
    plain = still(tmp_path / "single", size=ShotSize.MCU, characters=CAST[:1])
    assert colour_share(plain, shoulder) < 0.005  # a single has no shoulder in front


def test_an_insert_draws_the_prop_and_no_one(tmp_path: Path) -> None:
    frame = still(tmp_path, size=ShotSize.CU, framing=ShotKind.INSERT, characters=CAST,
                  action="沈念从包里抽出婚书")
    assert all(colour_share(frame, character_colour(c.name)) < 0.002 for c in CAST)
    h, w, _ = frame.shape
    centre = frame[int(0.35 * h):int(0.55 * h), int(0.3 * w):int(0.7 * w)].astype(float)
    edges = frame[int(0.35 * h):int(0.55 * h), : int(0.1 * w)].astype(float)
    assert centre.mean() > edges.mean() + 40  # the light paper held in the middle
