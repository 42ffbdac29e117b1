"""The diffusers engine on tiny, randomly initialised real pipelines (CPU, 2 steps, ≤32 px).

Pipelines are built once per session, saved with save_pretrained and loaded back through the
engine's settings (local folders, hub offline), exactly as a user's downloaded models would be.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("diffusers", reason="the diffusers extra is not installed")

from shotcraft.engine import diffusers_tiny  # noqa: E402
from shotcraft.engine.protocol import CharacterRef, RenderRequest  # noqa: E402
from shotcraft.projects.draw import Draw
from shotcraft.shots.errors import ConfigError, EngineError  # noqa: E402
from shotcraft.shots.media import probe, read_frames  # noqa: E402
from shotcraft.shots.models import TakeKind  # noqa: E402

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="session")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("tiny_pipelines")
    sd = diffusers_tiny.build_sd(root / "sd")
    return {
        "sd": sd,
        "ip_adapter": diffusers_tiny.build_ip_adapter(root / "ip_adapter", sd),
        "ltx": diffusers_tiny.build_ltx(root / "ltx"),
        "wan_flf2v": diffusers_tiny.build_wan_i2v(root / "wan_flf2v", flf2v=True),
        "wan_vace": diffusers_tiny.build_wan_vace(root / "wan_vace"),
        "cogvideox_i2v": diffusers_tiny.build_cogvideox_i2v(root / "cogvideox_i2v"),
    }


def keyframe_settings(tiny: dict[str, Path], cache: Path, **extra: Any) -> dict[str, Any]:
    values = {
        "keyframe_model": str(tiny["sd"]), "keyframe_steps": 2,
        "keyframe_buckets": {"9:16": "32x32", "1:1": "32x32"}, "embeds_cache": str(cache),
        "max_batch": 2,
    }
    values.update(extra)
    return values


def adapter(tiny: dict[str, Path]) -> dict[str, Any]:
    return {"ip_adapter": str(tiny["ip_adapter"]), "ip_adapter_weight_name": "ip-adapter.safetensors"}


def video_settings(tiny: dict[str, Path], family: str, **extra: Any) -> dict[str, Any]:
    model = "wan_flf2v" if family == "wan_i2v" else family
    size = "32x32" if family == "ltx" else "16x16"
    values = {
        "video_model": str(tiny[model]), "video_steps": 2, "frames_per_clip": 9,
        "video_buckets": {"9:16": size, "1:1": size}, "max_sequence_length": 16, "max_batch": 2,
    }
    values.update(extra)
    return values


def engine(**settings: Any) -> Any:
    from shotcraft.engine.registry import get_engine

    return get_engine("diffusers", **settings)


def picture(path: Path, seed: int, size: int = 40) -> Path:
    rng = np.random.default_rng(seed)
    Image.fromarray(rng.integers(0, 256, (size, size, 3), dtype=np.uint8)).save(path)
    return path


def still(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB")).astype(int)


def request(**values: Any) -> RenderRequest:
    base: dict[str, Any] = {"shot_id": "E01-S01-001", "prompt": "a woman opens the door",
                            "width": 32, "height": 32, "fps": 24, "num_frames": 11,
                            "aspect": "9:16", "seeds": [7], "take_numbers": [1]}
    base.update(values)
    return RenderRequest(**base)


# -- end to end through the project ---------------------------------------------------------

SCRIPT = """《测试短剧》

第1集 初见

1-1 日 内 咖啡馆
人物：林晚
△林晚推门走进咖啡馆。
林晚：你迟到了。
"""


def test_keyframes_then_video_takes_through_the_project(tiny: dict[str, Path], tmp_path: Path) -> None:
    from shotcraft.projects import Project

    script = tmp_path / "drama.txt"
    script.write_text(SCRIPT, encoding="utf-8")
    project = Project.create(tmp_path / "p")
    project.import_script(script)
    project.add_reference("林晚", picture(tmp_path / "lin.png", 1), force=True)  # a flat picture: no face
    shot = project.shots()[0]
    settings = {**keyframe_settings(tiny, tmp_path / "emb"), **adapter(tiny),
                **video_settings(tiny, "wan_i2v")}

    keys = project.draw(Draw(what="keyframes", shots=[shot.id], takes=2, engine="diffusers", engine_settings=settings, params={"width": 32, "height": 32}))
    assert (keys.done, keys.failed) == (2, 0), keys.results
    project.pick(shot.id, keys.results[0].take)

    clips = project.draw(Draw(shots=[shot.id], takes=2, engine="diffusers", engine_settings=settings, params={"width": 32, "height": 32}))
    assert (clips.done, clips.failed) == (2, 0), clips.results
    views = project.takes(shot.id, kind=TakeKind.VIDEO)
    assert len(views) == 2 and sorted(v.rank for v in views) == [1, 2]
    for view in views:
        take = view.take
        assert take.score is not None
        info = probe(project.take_path(take))
        assert (info.width, info.height, info.codec) == (32, 32, "h264")
        assert info.frames == take.duration_frames
        assert take.params["conditions"]["first_frame"] is True
        assert take.params["batch"]["size"] == 2
    number = views[1].take.number
    assert project.pick(shot.id, number).number == number
    assert [v.picked for v in project.takes(shot.id, kind=TakeKind.VIDEO) if v.take.number == number] == [True]


# -- keyframes and IP-Adapter ---------------------------------------------------------------


def test_adapter_at_scale_zero_draws_what_no_adapter_draws(tiny: dict[str, Path], tmp_path: Path) -> None:
    ref = CharacterRef(name="林晚", references=[picture(tmp_path / "a.png", 1)])
    req = request(kind=TakeKind.KEYFRAME, num_frames=1, characters=[ref], params={"ip_adapter_scale": 0.0})
    plain = engine(**keyframe_settings(tiny, tmp_path / "emb")).render(req, out_dir=tmp_path / "plain")
    zero = engine(**keyframe_settings(tiny, tmp_path / "emb"), **adapter(tiny)).render(req, out_dir=tmp_path / "zero")
    assert zero[0].params["ip_adapter_scale"] == 0.0
    assert np.array_equal(still(plain[0].path), still(zero[0].path))


def test_different_reference_images_change_the_keyframe(tiny: dict[str, Path], tmp_path: Path) -> None:
    eng = engine(**keyframe_settings(tiny, tmp_path / "emb"), **adapter(tiny), ip_adapter_scale=1.0)
    outs = []
    for seed in (1, 2):
        ref = CharacterRef(name="林晚", references=[picture(tmp_path / f"r{seed}.png", seed)])
        outs.append(eng.render(request(kind=TakeKind.KEYFRAME, num_frames=1, characters=[ref]),
                               out_dir=tmp_path / f"o{seed}")[0])
    assert np.abs(still(outs[0].path) - still(outs[1].path)).max() > 0
    # each character's references were encoded once and cached on disk
    assert len(list((tmp_path / "emb").glob("*.pt"))) == 2


def test_a_characters_own_scale_wins_over_the_default(tiny: dict[str, Path], tmp_path: Path) -> None:
    ref = CharacterRef(name="林晚", references=[picture(tmp_path / "a.png", 1)], ip_adapter_scale=0.0)
    req = request(kind=TakeKind.KEYFRAME, num_frames=1, characters=[ref])
    plain = engine(**keyframe_settings(tiny, tmp_path / "emb")).render(req, out_dir=tmp_path / "plain")
    eng = engine(**keyframe_settings(tiny, tmp_path / "emb"), **adapter(tiny), ip_adapter_scale=1.0)
    [own] = eng.render(req, out_dir=tmp_path / "own")
    assert own.params["ip_adapter_scale"] == 0.0 and own.params["ip_adapter_scales"] == {"林晚": 0.0}
    assert np.array_equal(still(plain[0].path), still(own.path))
    # unset: the engine's default applies
    [default] = eng.render(request(kind=TakeKind.KEYFRAME, num_frames=1,
                                   characters=[ref.model_copy(update={"ip_adapter_scale": None})]),
                           out_dir=tmp_path / "default")
    assert default.params["ip_adapter_scales"] == {"林晚": 1.0}
    assert not np.array_equal(still(plain[0].path), still(default.path))


def test_two_characters_in_frame_are_each_drawn_at_their_own_scale(
    tiny: dict[str, Path], tmp_path: Path,
) -> None:
    eng = engine(**keyframe_settings(tiny, tmp_path / "emb"), **adapter(tiny), ip_adapter_scale=1.0)
    lin = CharacterRef(name="林晚", references=[picture(tmp_path / "lin.png", 1)])
    gu = CharacterRef(name="顾言", references=[picture(tmp_path / "gu.png", 2),
                                              picture(tmp_path / "gu2.png", 3)])

    def draw(name: str, *cast: CharacterRef) -> tuple[np.ndarray, dict[str, Any]]:
        [take] = eng.render(request(kind=TakeKind.KEYFRAME, num_frames=1, characters=list(cast)),
                            out_dir=tmp_path / name)
        return still(take.path), take.params

    lin_alone, _ = draw("lin", lin)
    both, _ = draw("both", lin, gu)
    muted, params = draw("muted", lin, gu.model_copy(update={"ip_adapter_scale": 0.0}))
    assert params["ip_adapter_scales"] == {"林晚": 1.0, "顾言": 0.0}
    # 顾言 at 0 leaves the keyframe to 林晚's reference alone (the per-image path, so to rounding)
    assert np.abs(muted - lin_alone).max() <= 2
    assert np.abs(muted - both).max() > 10
    half, _ = draw("half", lin, gu.model_copy(update={"ip_adapter_scale": 0.5}))
    assert np.abs(half - muted).max() > 0 and np.abs(half - both).max() > 0


def test_cached_reference_embeddings_are_reused(
    tiny: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    ref = CharacterRef(name="林晚", references=[picture(tmp_path / "a.png", 3)])
    req = request(kind=TakeKind.KEYFRAME, num_frames=1, characters=[ref])
    eng = engine(**keyframe_settings(tiny, tmp_path / "emb"), **adapter(tiny))
    first = eng.render(req, out_dir=tmp_path / "one")
    stage = eng.keyframe_stage()

    def refuse(*_: Any, **__: Any) -> Any:
        raise AssertionError("reference embeddings were computed again")

    monkeypatch.setattr(stage.pipe, "encode_image", refuse)
    again = eng.render(req, out_dir=tmp_path / "two")
    assert np.array_equal(still(first[0].path), still(again[0].path))


# -- card draw, reproduction, progress, cancel ----------------------------------------------


def test_a_take_is_reproduced_from_its_recorded_batch_layout(tiny: dict[str, Path], tmp_path: Path) -> None:
    eng = engine(**video_settings(tiny, "wan_i2v"))
    first = picture(tmp_path / "first.png", 5, 16)
    drawn = eng.render(request(first_frame=first, seeds=[11, 12], take_numbers=[1, 2]),
                       out_dir=tmp_path / "draw")
    assert [t.params["batch"] for t in drawn] == [
        {"size": 2, "index": 0, "seeds": [11, 12]}, {"size": 2, "index": 1, "seeds": [11, 12]}]
    again = eng.render(request(first_frame=first, seeds=[12], take_numbers=[2],
                               params={"batch_seeds": drawn[1].params["batch_seeds"]}),
                       out_dir=tmp_path / "again")
    assert [t.take_number for t in again] == [2]
    assert np.array_equal(read_frames(drawn[1].path), read_frames(again[0].path))
    assert not np.array_equal(read_frames(drawn[0].path), read_frames(drawn[1].path))


def test_progress_is_reported_per_step_and_cancel_stops_the_draw(tiny: dict[str, Path], tmp_path: Path) -> None:
    import threading

    eng = engine(**video_settings(tiny, "cogvideox_i2v", max_batch=1))
    cancel = threading.Event()
    seen: list[float] = []

    def progress(event: Any) -> None:
        seen.append(event.done)
        cancel.set()  # the director presses cancel during the first take's first step

    out = eng.render(request(first_frame=picture(tmp_path / "f.png", 1, 16), seeds=[1, 2],
                             take_numbers=[1, 2]), out_dir=tmp_path / "o", progress=progress,
                     cancel=cancel)
    assert out == [] and seen and seen[0] == pytest.approx(0.5 * 0.95)
    assert not list((tmp_path / "o").glob("*.mp4"))


# -- keyframes reaching the motion pipelines ------------------------------------------------


def spy_calls(monkeypatch: pytest.MonkeyPatch, pipe: Any) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []
    original = type(pipe).__call__

    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(type(pipe), "__call__", wrapper)
    return calls


def test_ltx_gets_first_and_last_keyframes_as_conditions(
    tiny: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    eng = engine(**video_settings(tiny, "ltx"))
    assert eng.capabilities().last_frame
    calls = spy_calls(monkeypatch, eng.video_pipeline())
    out = eng.render(request(first_frame=picture(tmp_path / "a.png", 1), last_frame=picture(tmp_path / "b.png", 2)),
                     out_dir=tmp_path / "o")
    assert out[0].path is not None and probe(out[0].path).frames == 11
    assert [c.frame_index for c in calls[0]["conditions"]] == [0, 8]


def test_wan_flf2v_gets_the_last_frame(
    tiny: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    eng = engine(**video_settings(tiny, "wan_i2v", max_batch=1))
    assert eng.capabilities().last_frame  # read from the FLF2V checkpoint's config
    calls = spy_calls(monkeypatch, eng.video_pipeline())
    last = picture(tmp_path / "l.png", 2, 16)
    clip = eng.render(request(first_frame=picture(tmp_path / "a.png", 1, 16), last_frame=last),
                      out_dir=tmp_path / "o")[0]
    assert clip.params["conditions"]["last_frame"] and probe(clip.path).frames == 11
    assert np.array_equal(np.asarray(calls[0]["last_image"]), np.asarray(Image.open(last)))
    assert not engine(**video_settings(tiny, "wan_i2v", last_frame=False)).capabilities().last_frame


def test_vace_masks_keyframes_and_passes_references(
    tiny: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    eng = engine(**video_settings(tiny, "wan_vace"))
    assert eng.capabilities().character_references
    calls = spy_calls(monkeypatch, eng.video_pipeline())
    ref = CharacterRef(name="林晚", references=[picture(tmp_path / "r.png", 4)])
    out = eng.render(request(first_frame=picture(tmp_path / "a.png", 1), last_frame=picture(tmp_path / "b.png", 2),
                             characters=[ref]), out_dir=tmp_path / "o")
    assert out[0].path is not None
    masks = [np.asarray(m).max() for m in calls[0]["mask"]]
    assert masks[0] == 0 and masks[-1] == 0 and all(m == 255 for m in masks[1:-1])
    assert len(calls[0]["reference_images"]) == 1


def test_cogvideox_refuses_a_last_keyframe_before_drawing(tiny: dict[str, Path], tmp_path: Path) -> None:
    from shotcraft.engine.request import build_request
    from shotcraft.shots.models import Keyframe, Shot

    (tmp_path / "end.png").write_bytes((picture(tmp_path / "x.png", 1)).read_bytes())
    shot = Shot(id="E01-S01-001", episode=1, scene_id="1-1", order=1, duration_frames=12,
                last_keyframe=Keyframe(path="end.png"), first_keyframe=Keyframe(path="x.png"))
    eng = engine(**video_settings(tiny, "cogvideox_i2v"))
    with pytest.raises(EngineError, match="diffusers cannot use a last frame; drop the last keyframe"):
        build_request(shot, engine=eng, kind=TakeKind.VIDEO, seeds=[1], take_numbers=[1], width=32,
                      height=32, fps=24, aspect="9:16", project_dir=tmp_path)


# -- configuration errors -------------------------------------------------------------------


def test_missing_model_with_hub_offline_names_the_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    eng = engine(video_model="someone/not-downloaded", family="wan_i2v", frames_per_clip=9)
    with pytest.raises(ConfigError, match="SHOTCRAFT_DIFFUSERS_VIDEO_MODEL=someone/not-downloaded is not a local folder"):
        eng.render(request(first_frame=picture(tmp_path / "a.png", 1)), out_dir=tmp_path / "o")


def test_frame_count_outside_the_family_rule_names_the_setting(tiny: dict[str, Path]) -> None:
    with pytest.raises(ConfigError, match=r"SHOTCRAFT_DIFFUSERS_FRAMES_PER_CLIP=10 .* use 9"):
        engine(**video_settings(tiny, "wan_i2v", frames_per_clip=10))
    with pytest.raises(ConfigError, match=r"FRAMES_PER_CLIP=13 does not fit ltx"):
        engine(**video_settings(tiny, "ltx", frames_per_clip=13))


def test_bucket_size_the_model_cannot_draw_names_the_setting(tiny: dict[str, Path], tmp_path: Path) -> None:
    eng = engine(**video_settings(tiny, "ltx", video_buckets={"9:16": "24x24"}))
    with pytest.raises(ConfigError, match="SHOTCRAFT_DIFFUSERS_VIDEO_BUCKETS has 24x24"):
        eng.render(request(), out_dir=tmp_path / "o")
