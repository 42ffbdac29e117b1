"""The ComfyUI engine against the server stand-in (tests/engine/comfyui_server.py), with the
official templates as the director downloads them (tests/engine/data/comfyui, SOURCES.md)."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
from PIL import Image

from shotcraft.engine.comfyui import ComfyUIEngine, ComfyUISettings
from shotcraft.engine.comfyui.workflow import find_mapping, load_workflow, to_api
from shotcraft.engine.protocol import Progress, RenderRequest
from shotcraft.shots.errors import EngineError
from shotcraft.shots.media import probe
from tests.engine.comfyui_server import MODELS, FakeComfy

TEMPLATES = Path(__file__).parent / "data" / "comfyui"


@pytest.fixture
def comfy(tmp_path: Path):
    fake = FakeComfy(folder=tmp_path / "server").start()
    yield fake
    fake.stop()


def engine(fake: FakeComfy, workflow: str | Path, **settings) -> ComfyUIEngine:
    path = workflow if isinstance(workflow, Path) else TEMPLATES / workflow
    return ComfyUIEngine(ComfyUISettings(url=fake.base_url, workflow=str(path), long_side=256,
                                         poll_interval=0.05, event_timeout=0.1, **settings))


def request(**fields) -> RenderRequest:
    base = dict(shot_id="E01-S01-001", prompt="a woman opens the door in the rain", width=72,
                height=128, fps=30, num_frames=60, aspect="9:16", seeds=[42], take_numbers=[1])
    base.update(fields)
    return RenderRequest(**base)


def picture(tmp_path: Path, name: str, colour: str = "red") -> Path:
    path = tmp_path / name
    Image.new("RGB", (360, 640), colour).save(path)
    return path


def test_ui_templates_convert_with_the_server_s_node_definitions(comfy):
    info = comfy.object_info()
    wan = to_api(load_workflow(TEMPLATES / "text_to_video_wan.json"), info)
    assert wan["3"] == {"class_type": "KSampler", "_meta": {"title": "KSampler"}, "inputs": {
        "model": ["48", 0], "seed": 82628696717253, "steps": 30, "cfg": 6,
        "sampler_name": "uni_pc", "scheduler": "simple", "positive": ["6", 0],
        "negative": ["7", 0], "latent_image": ["40", 0], "denoise": 1}}  # "randomize" skipped
    assert wan["40"]["inputs"] == {"width": 832, "height": 480, "length": 33, "batch_size": 1}
    assert wan["38"]["inputs"] == {"clip_name": "umt5_xxl_fp8_e4m3fn_scaled.safetensors",
                                   "type": "wan", "device": "default"}
    ltx = to_api(load_workflow(TEMPLATES / "ltxv_text_to_video.json"), info)
    assert ltx["72"]["inputs"]["noise_seed"] == 497797676867141 and ltx["72"]["inputs"]["cfg"] == 3
    assert ltx["71"]["inputs"] == {"steps": 30, "max_shift": 2.05, "base_shift": 0.95,
                                   "stretch": True, "terminal": 0.1, "latent": ["70", 0]}
    assert "76" not in ltx and "77" not in ltx  # the notes are the editor's, not the server's
    i2v = to_api(load_workflow(TEMPLATES / "image_to_video_wan.json"), info)
    assert i2v["52"]["inputs"] == {"image": "image_to_video_wan_start_image.png"}  # no "image"


@pytest.mark.parametrize(("template", "roles"), [
    ("text_to_video_wan.json", {"prompt", "negative", "seed", "width", "height", "frames", "fps"}),
    ("image_to_video_wan.json", {"prompt", "first_frame", "frames"}),
    ("wan2.1_flf2v_720_f16.json", {"first_frame", "last_frame"}),
    ("ltxv_text_to_video.json", {"prompt", "seed", "frames", "fps"}),
    ("hunyuan_video_text_to_video.json", {"prompt", "seed", "frames"}),
])
def test_the_official_templates_are_recognised_and_mapped(template, roles):
    mapping = find_mapping(load_workflow(TEMPLATES / template))
    assert roles <= set(mapping.roles)


@pytest.mark.parametrize(("template", "fps", "frames"), [
    ("text_to_video_wan.json", 16, 33),  # 2 s at 16 fps, 4n+1
    ("ltxv_text_to_video.json", 24, 49),  # 2 s at 24 fps, 8n+1
    ("hunyuan_video_text_to_video.json", 24, 49),
])
def test_a_text_template_draws_what_delivers_said(comfy, tmp_path, template, fps, frames):
    comfy_engine = engine(comfy, template)
    declared = comfy_engine.delivers(request())
    assert (declared.width, declared.height, declared.fps, declared.frames) == (
        128, 256, fps, frames)  # the template's long side (256 here), the shot's 9:16
    [take] = comfy_engine.render(request(), out_dir=tmp_path)
    assert take.failed is None, take.failed
    info = probe(take.path)
    assert (info.width, info.height, info.fps, info.frames) == (128, 256, fps, frames)
    sent = comfy.prompts[0]
    assert sent["prompt_id"] == take.provider["prompt_id"]  # the id chosen and saved here
    api = sent["prompt"]
    mapping = find_mapping(load_workflow(TEMPLATES / template))
    node, name = mapping.roles["seed"]
    assert api[node]["inputs"][name] == 42
    node, name = mapping.roles["prompt"]
    assert api[node]["inputs"][name].startswith("a woman opens the door")


def test_keyframes_go_up_through_upload_image(comfy, tmp_path):
    first, last = picture(tmp_path, "a.png"), picture(tmp_path, "b.png", "blue")
    [take] = engine(comfy, "wan2.1_flf2v_720_f16.json").render(
        request(first_frame=first, last_frame=last), out_dir=tmp_path / "o")
    assert take.failed is None, take.failed
    api = comfy.prompts[0]["prompt"]
    assert api["52"]["inputs"]["image"] in comfy.uploads
    assert api["72"]["inputs"]["image"] in comfy.uploads
    uploaded = comfy.folder / "input" / api["52"]["inputs"]["image"]
    assert uploaded.read_bytes() == first.read_bytes()


def test_an_image_template_without_a_keyframe_is_refused_in_one_sentence(comfy):
    with pytest.raises(EngineError, match="starts from an image .*give the shot a first keyframe"):
        engine(comfy, "image_to_video_wan.json").check(request())
    assert comfy.posted == 0


def test_an_api_workflow_with_titled_nodes_is_filled_by_its_titles(comfy, tmp_path):
    api = to_api(load_workflow(TEMPLATES / "text_to_video_wan.json"), comfy.object_info())
    api["6"]["_meta"]["title"] = "shotcraft.prompt"
    api["3"]["_meta"]["title"] = "shotcraft.seed"
    api["40"]["_meta"]["title"] = "shotcraft.width+height+frames"
    api["49"]["_meta"]["title"] = "shotcraft.fps"
    del api["7"]["_meta"]["title"]
    path = tmp_path / "mine.json"
    path.write_text(json.dumps(api))
    [take] = engine(comfy, path).render(request(seeds=[5]), out_dir=tmp_path / "o")
    assert take.failed is None and take.params["template"] == "titled nodes"
    assert comfy.prompts[0]["prompt"]["3"]["inputs"]["seed"] == 5


def test_what_the_server_lacks_is_one_sentence_naming_the_node_before_queueing(comfy, tmp_path):
    comfy.models = {**comfy.models, "vae": []}
    with pytest.raises(EngineError, match=r"node 39 \(VAELoader\) asks for vae_name "
                                          r"'wan_2.1_vae.safetensors', which the server does not "
                                          r"have"):
        engine(comfy, "text_to_video_wan.json").check(request())
    comfy.models = MODELS
    api = to_api(load_workflow(TEMPLATES / "text_to_video_wan.json"), FakeComfy.object_info(comfy))
    api["8"]["class_type"] = "VAEDecodeHunyuan3D"
    api["6"]["_meta"]["title"] = "shotcraft.prompt"
    api["40"]["_meta"]["title"] = "shotcraft.width+height+frames"
    path = tmp_path / "custom.json"
    path.write_text(json.dumps(api))
    with pytest.raises(EngineError, match=r"node 8 \(VAEDecodeHunyuan3D\) is not installed"):
        engine(comfy, path).check(request())
    with pytest.raises(EngineError, match="built of subgraphs"):
        engine(comfy, "video_ltx2_3_i2v.json").check(request())
    assert comfy.posted == 0


def test_node_errors_from_the_server_fail_the_take_naming_the_node(comfy, tmp_path):
    comfy_engine = engine(comfy, "text_to_video_wan.json")
    plan = comfy_engine.plan(request())
    plan.api["3"]["inputs"]["steps"] = 100000  # over KSampler's max: only the server says so
    comfy_engine.plan = lambda _request: plan  # type: ignore[method-assign]
    [take] = comfy_engine.render(request(), out_dir=tmp_path)
    assert take.failed == ("ComfyUI refused the workflow text_to_video_wan.json: node 3 "
                           "(KSampler): Value bigger than max: steps: 100000 > 10000.")
    assert comfy.executed == []


def test_an_execution_error_fails_the_take_with_the_node_and_the_exception(comfy, tmp_path):
    comfy.fail_next = "Allocation on device 0 would exceed allowed memory."
    [take] = engine(comfy, "text_to_video_wan.json").render(request(), out_dir=tmp_path)
    assert take.failed == ("ComfyUI failed take 1 at node 3 (KSampler): torch.OutOfMemoryError: "
                           "Allocation on device 0 would exceed allowed memory.")


def test_cancel_interrupts_the_running_prompt_and_leaves_nothing_to_resume(comfy, tmp_path):
    comfy.hold = True
    cancel = threading.Event()
    saved: dict[int, dict] = {}

    def progress(event: Progress) -> None:
        if "step" in event.message:
            cancel.set()

    takes = engine(comfy, "text_to_video_wan.json").render(
        request(), out_dir=tmp_path, progress=progress, cancel=cancel,
        checkpoint=lambda n, s: saved.__setitem__(n, s))
    assert takes == [] and comfy.interrupted.is_set() and saved[1] == {}


def test_a_prompt_the_server_lost_in_a_restart_is_queued_again_once_and_said(comfy, tmp_path):
    comfy.hold = True
    saved: dict[int, dict] = {}
    comfy_engine = engine(comfy, "text_to_video_wan.json", max_run_seconds=0.3)
    [late] = comfy_engine.render(request(), out_dir=tmp_path / "a",
                                 checkpoint=lambda n, s: saved.__setitem__(n, s))
    assert "still running" in late.failed and saved[1]["state"] == "queued"
    comfy.interrupted.set()  # the server goes down mid-prompt ...
    deadline = time.monotonic() + 10
    while comfy.running is not None and time.monotonic() < deadline:
        time.sleep(0.01)
    comfy.hold = False
    comfy.restart()  # ... and comes back with an empty queue and history
    [take] = engine(comfy, "text_to_video_wan.json").render(
        request(resume=saved), out_dir=tmp_path / "b")
    assert take.failed is None and take.provider["prompt_id"] == saved[1]["prompt_id"]
    assert any("lost by the server" in d for d in take.downgrades)
    assert comfy.posted == 2


def test_an_image_sequence_output_is_joined_into_the_take(comfy, tmp_path):
    api = to_api(load_workflow(TEMPLATES / "text_to_video_wan.json"), comfy.object_info())
    del api["49"], api["50"]
    api["9"] = {"class_type": "SaveImage", "inputs": {"images": ["8", 0],
                                                      "filename_prefix": "frames/shot"}}
    for node, title in (("6", "shotcraft.prompt"), ("3", "shotcraft.seed"),
                        ("40", "shotcraft.width+height+frames")):
        api[node]["_meta"]["title"] = title
    path = tmp_path / "frames.json"
    path.write_text(json.dumps(api))
    comfy_engine = engine(comfy, path, fps=16)
    declared = comfy_engine.delivers(request())
    [take] = comfy_engine.render(request(), out_dir=tmp_path / "o")
    assert take.failed is None, take.failed
    info = probe(take.path)
    assert (info.width, info.height, info.frames, info.fps) == (
        declared.width, declared.height, declared.frames, 16.0)


def test_no_server_is_one_sentence(tmp_path):
    gone = ComfyUIEngine(ComfyUISettings(url="http://127.0.0.1:9",
                                         workflow=str(TEMPLATES / "text_to_video_wan.json")))
    with pytest.raises(EngineError, match=r"did not answer .*SHOTCRAFT_COMFYUI_URL"):
        gone.check_ready()
    with pytest.raises(EngineError, match="set SHOTCRAFT_COMFYUI_URL"):
        ComfyUIEngine(ComfyUISettings(url="", workflow="x.json")).check_ready()


def test_a_prompt_waiting_behind_others_says_how_many_are_ahead(comfy, tmp_path):
    from shotcraft.providers.comfyui.client import ComfyClient

    other = ComfyClient(comfy.base_url)
    plan = engine(comfy, "text_to_video_wan.json").plan(request())
    comfy.hold = True
    other.queue_prompt(plan.prompt_for(1, {}), prompt_id="someone-else", client_id="other")
    seen: list[str] = []

    def progress(event: Progress) -> None:
        seen.append(event.message)
        if event.message == "comfyui: queued, 1 ahead":
            comfy.hold = False  # the other prompt finishes; ours runs

    [take] = engine(comfy, "text_to_video_wan.json").render(request(), out_dir=tmp_path,
                                                            progress=progress)
    other.close()
    assert take.failed is None and "comfyui: queued, 1 ahead" in seen
    assert comfy.executed == ["someone-else", take.provider["prompt_id"]]
