"""Take ranking on real clips: a clean take against the same take with one defect each."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from shotcraft.ranking.metrics import (
    DEFAULT_WEIGHTS,
    MetricScore,
    TakeScores,
    rank_takes,
    score_frames,
    score_take,
)
from shotcraft.shots.errors import MediaError
from shotcraft.shots.media import read_frames
from shotcraft.shots.models import CameraMove, Move, Take, TakeKind, TakeStatus

PAN_RIGHT = CameraMove(move=Move.PAN_RIGHT)
DEFECTS = ["blurred", "dark", "overexposed", "flicker", "frozen", "black"]


@pytest.fixture(scope="session")
def scored(clips: dict[str, Path]) -> dict[str, TakeScores]:
    """The clean take and every defective take, scored as the pan right they were asked to be."""
    return {name: score_take(clips[name], camera=PAN_RIGHT) for name in ["clean", *DEFECTS]}


@pytest.fixture(scope="session")
def frames(clips: dict[str, Path]) -> dict[str, np.ndarray]:
    moves = ["pan_right", "pan_left", "static", "zoom_in", "zoom_out", "tilt_up", "handheld"]
    return {name: read_frames(clips[name], width=144, height=256) for name in moves}


def motion_value(frames: np.ndarray, move: Move) -> float:
    metric = score_frames(frames, fps=30, camera=CameraMove(move=move)).get("motion")
    assert metric is not None
    return metric.value


def take(number: int, score: float | None, status: TakeStatus = TakeStatus.DONE) -> Take:
    return Take(shot_id="E01-S01-001", number=number, score=score, status=status)


# --- technical quality -------------------------------------------------------------------------


def test_clean_take_ranks_first_among_defective_takes(scored: dict[str, TakeScores]) -> None:
    takes = [
        take(number, scored[name].total) for number, name in enumerate([*DEFECTS, "clean"], 1)
    ]
    ranked = rank_takes(takes)
    assert ranked[0].number == len(DEFECTS) + 1
    assert scored["clean"].total >= 0.9


@pytest.mark.parametrize(
    ("defect", "metric"),
    [
        ("blurred", "sharpness"),
        ("dark", "exposure"),
        ("overexposed", "exposure"),
        ("black", "black_frames"),
        ("frozen", "frozen"),
        ("flicker", "flicker"),
    ],
)
def test_each_defect_is_caught_by_its_metric(
    scored: dict[str, TakeScores], defect: str, metric: str
) -> None:
    clean, bad = scored["clean"].get(metric), scored[defect].get(metric)
    assert clean is not None and bad is not None
    assert clean.value >= 0.8, clean.explanation
    assert bad.value <= clean.value - 0.4, bad.explanation


def test_clean_take_passes_every_technical_check(scored: dict[str, TakeScores]) -> None:
    values = scored["clean"].as_dict()
    for name in ["sharpness", "exposure", "black_frames", "frozen", "flicker", "cadence", "motion"]:
        assert values[name] >= 0.8, scored["clean"].get(name)


@pytest.mark.parametrize(("defect", "words"), [
    ("stutter", "a repeated frame at 0.67 s"),
    ("dropped", "a dropped frame at 0.67 s"),
    ("flash", "a flashed frame at 0.67 s"),
])
def test_one_frame_defects_are_caught_and_the_even_take_ranks_first(
    clips: dict[str, Path], defect: str, words: str,
) -> None:
    """A frame shown twice, a frame left out or one flashed frame in 45 is a fault a viewer sees:
    the cadence check names it and its second, and the even take ranks first."""
    even = score_take(clips["even"], camera=PAN_RIGHT)
    bad = score_take(clips[defect], camera=PAN_RIGHT)
    cadence = bad.get("cadence")
    assert cadence is not None and cadence.value <= 0.65, cadence
    assert cadence.explanation == f"1 short defect: {words}."
    assert even.get("cadence").value == 1.0, even.get("cadence")
    assert rank_takes([take(1, bad.total), take(2, even.total)])[0].number == 2


def test_explanations_carry_the_raw_figures(
    clips: dict[str, Path], scored: dict[str, TakeScores]
) -> None:
    # the black clip turns black from frame 25 of 45
    assert "20 of 45 frames near-black" in scored["black"].get("black_frames").explanation
    # exposure quotes the mean luminance the test measures itself
    dark = read_frames(clips["dark"], width=144, height=256).astype(float)
    luma = (dark[..., 0] * 0.299 + dark[..., 1] * 0.587 + dark[..., 2] * 0.114).mean()
    quoted = re.search(r"mean luminance (\d+)/255", scored["dark"].get("exposure").explanation)
    assert quoted is not None and abs(int(quoted[1]) - luma) <= 1.5
    # sharpness quotes the Laplacian variance, and the blurred take's is far lower
    figures = {
        name: float(re.search(r"Laplacian variance (\d+)", scored[name].get("sharpness").explanation)[1])
        for name in ["clean", "blurred"]
    }
    assert figures["blurred"] < figures["clean"] / 4
    # the frozen clip holds its 10th frame to the end: most of the 45 frames
    held = re.search(r"longest freeze (\d+) of 45 frames", scored["frozen"].get("frozen").explanation)
    assert held is not None and 28 <= int(held[1]) <= 36
    assert "brightness reversals" in scored["flicker"].get("flicker").explanation


def test_total_is_the_weighted_mean_and_weights_change_it(clips: dict[str, Path]) -> None:
    frames = read_frames(clips["blurred"], width=144, height=256)
    default = score_frames(frames, fps=30)
    mean = sum(m.value * m.weight for m in default.metrics) / sum(m.weight for m in default.metrics)
    assert default.total == pytest.approx(mean, abs=1e-3)
    ignoring_blur = score_frames(frames, fps=30, weights={"sharpness": 0.0})
    assert ignoring_blur.total > default.total + 0.05
    assert all(0.0 <= m.value <= 1.0 for m in default.metrics)


# --- camera motion ------------------------------------------------------------------------------


def test_pan_right_clip_matches_pan_right(frames: dict[str, np.ndarray]) -> None:
    clip = frames["pan_right"]
    right = motion_value(clip, Move.PAN_RIGHT)
    assert right >= 0.8
    assert right > motion_value(clip, Move.PAN_LEFT) + 0.5
    assert right > motion_value(clip, Move.STATIC) + 0.5
    assert right > motion_value(clip, Move.TILT_UP) + 0.5
    # the crop window slides 45 px of 144 to the right, so the picture travels ~0.31 widths left
    explanation = score_frames(clip, fps=30, camera=PAN_RIGHT).get("motion").explanation
    travelled = re.search(r"moved (\d\.\d+) frame widths left", explanation)
    assert travelled is not None and 0.26 <= float(travelled[1]) <= 0.36, explanation


def test_pan_left_clip_matches_pan_left(frames: dict[str, np.ndarray]) -> None:
    clip = frames["pan_left"]
    assert motion_value(clip, Move.PAN_LEFT) > motion_value(clip, Move.PAN_RIGHT) + 0.5
    assert motion_value(clip, Move.TRUCK_LEFT) > motion_value(clip, Move.TRUCK_RIGHT) + 0.5


def test_static_clip_matches_static(frames: dict[str, np.ndarray]) -> None:
    clip = frames["static"]
    assert motion_value(clip, Move.STATIC) >= 0.8
    assert motion_value(clip, Move.STATIC) > motion_value(clip, Move.PAN_RIGHT) + 0.5


def test_zoom_in_and_out_are_told_apart(frames: dict[str, np.ndarray]) -> None:
    zoom_in, zoom_out = frames["zoom_in"], frames["zoom_out"]
    assert motion_value(zoom_in, Move.ZOOM_IN) > motion_value(zoom_in, Move.ZOOM_OUT) + 0.5
    assert motion_value(zoom_in, Move.DOLLY_IN) > motion_value(zoom_in, Move.DOLLY_OUT) + 0.5
    assert motion_value(zoom_in, Move.ZOOM_IN) > motion_value(zoom_in, Move.PAN_RIGHT) + 0.5
    assert motion_value(zoom_out, Move.ZOOM_OUT) > motion_value(zoom_out, Move.ZOOM_IN) + 0.5


def test_tilt_up_clip_matches_tilt_up(frames: dict[str, np.ndarray]) -> None:
    clip = frames["tilt_up"]
    assert motion_value(clip, Move.TILT_UP) > motion_value(clip, Move.TILT_DOWN) + 0.5
    assert motion_value(clip, Move.TILT_UP) > motion_value(clip, Move.PAN_RIGHT) + 0.5


def test_handheld_shake_is_not_mistaken_for_a_move(frames: dict[str, np.ndarray]) -> None:
    shaky = frames["handheld"]
    assert motion_value(shaky, Move.HANDHELD) > motion_value(shaky, Move.STATIC) + 0.5
    assert motion_value(shaky, Move.HANDHELD) > motion_value(shaky, Move.PAN_RIGHT) + 0.5
    # and a steady pan is not handheld
    assert motion_value(frames["pan_right"], Move.HANDHELD) < 0.3


def test_intensity_far_off_the_measured_speed_scores_lower(frames: dict[str, np.ndarray]) -> None:
    clip = frames["pan_right"]  # about 0.4 frame widths per second
    fitting = score_frames(clip, fps=30, camera=CameraMove(move=Move.PAN_RIGHT, intensity=0.8))
    gentle = score_frames(clip, fps=30, camera=CameraMove(move=Move.PAN_RIGHT, intensity=0.0))
    assert fitting.get("motion").value > gentle.get("motion").value


def test_long_takes_are_sampled_and_still_read_right(
    clips: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    # pretend the 45-frame takes are long: every 3rd frame is decoded, at a third of the rate
    monkeypatch.setattr("shotcraft.ranking.metrics.MAX_DECODED_FRAMES", 15)
    pan = score_take(clips["pan_right"], camera=PAN_RIGHT)
    assert pan.get("motion").value >= 0.8, pan.get("motion").explanation
    assert "of 15 frames" in pan.get("black_frames").explanation
    frozen = score_take(clips["frozen"], camera=PAN_RIGHT)
    assert frozen.get("frozen").value < 0.3, frozen.get("frozen").explanation


def test_motion_is_left_out_without_a_camera_move(frames: dict[str, np.ndarray]) -> None:
    assert score_frames(frames["pan_right"], fps=30).get("motion") is None


# --- continuity, stills, identity ----------------------------------------------------------------


def test_continuity_prefers_a_take_that_starts_where_the_last_shot_ended(
    clips: dict[str, Path],
) -> None:
    # "still" is the clean take's first frame, standing in for the previous shot's last frame
    matching = score_take(clips["clean"], previous_last_frame=clips["still"]).get("continuity")
    unrelated = score_take(clips["clean"], previous_last_frame=clips["unrelated"]).get("continuity")
    assert matching is not None and unrelated is not None
    assert matching.value >= 0.9
    assert matching.value > unrelated.value + 0.3
    assert "SSIM" in matching.explanation
    assert score_take(clips["clean"]).get("continuity") is None


def test_previous_shot_may_be_a_video_whose_last_frame_is_used(clips: dict[str, Path]) -> None:
    # the frozen clip ends on a still frame of the clean pan, early in the pan
    from_video = score_take(clips["frozen"], previous_last_frame=clips["frozen"])
    unrelated = score_take(clips["frozen"], previous_last_frame=clips["unrelated"])
    assert from_video.get("continuity").value > unrelated.get("continuity").value


def test_stills_get_only_per_frame_metrics(clips: dict[str, Path]) -> None:
    still = score_take(clips["still"], kind=TakeKind.KEYFRAME, camera=PAN_RIGHT)
    assert set(still.as_dict()) == {"sharpness", "exposure", "black_frames"}
    blurred = score_take(clips["still_blurred"], kind=TakeKind.KEYFRAME)
    assert blurred.get("sharpness").value < still.get("sharpness").value - 0.4
    assert blurred.total < still.total


def test_identity_counts_in_the_total_only_when_measured(clips: dict[str, Path]) -> None:
    frames = read_frames(clips["clean"], width=144, height=256, max_frames=8)
    plain = score_frames(frames, fps=30)
    assert plain.get("identity") is None

    def measured(value: float) -> MetricScore:
        return MetricScore(name="identity", value=value, weight=1.0,
                           explanation=f"林晚 {value:.2f} in 8/8 frames.")

    low = score_frames(frames, fps=30, identity=measured(0.1))
    high = score_frames(frames, fps=30, identity=measured(0.95))
    assert low.get("identity").weight == DEFAULT_WEIGHTS["identity"]
    assert high.total > low.total + 0.15
    assert low.total < plain.total - 0.15  # a wrong face pulls a clean take down


def test_unreadable_take_raises_a_media_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video at all")
    with pytest.raises(MediaError):
        score_take(broken)
    with pytest.raises(MediaError):
        score_take(tmp_path / "missing.mp4")


# --- ranking ----------------------------------------------------------------------------------


def test_rank_takes_orders_by_score_then_take_number() -> None:
    takes = [
        take(1, 0.70),
        take(2, 0.90),
        take(3, None),  # done but not scored yet
        take(4, 0.90),
        take(5, 0.99, TakeStatus.FAILED),
        take(6, None, TakeStatus.QUEUED),
        take(7, 0.95, TakeStatus.REJECTED),
        take(8, 0.80),
    ]
    assert [t.number for t in rank_takes(takes)] == [2, 4, 8, 1, 3, 5, 6, 7]
    assert rank_takes([]) == []


def test_a_still_take_of_a_static_shot_is_not_a_stall_but_other_moves_are() -> None:
    from shotcraft.ranking.metrics import score_frames
    from shotcraft.shots.models import CameraMove, Move

    still = np.repeat(np.random.default_rng(3).integers(0, 255, (1, 72, 40, 3), dtype=np.uint8), 30, axis=0)
    static = score_frames(still, fps=30, camera=CameraMove(move=Move.STATIC)).get("frozen")
    panning = score_frames(still, fps=30, camera=CameraMove(move=Move.PAN_RIGHT, intensity=0.5))
    assert static is not None and static.value == 1.0 and "not a stall" in static.explanation
    assert panning.get("frozen").value == 0.0
    assert panning.get("motion").value < 0.2
