"""A stand-in for a self-hosted ComfyUI server, written from ComfyUI's own `server.py` and
`execution.py` before the engine.

Documents followed (read 2026-12-07): comfyanonymous/ComfyUI `server.py` (commits 005f3ba and
d4b5097): `POST /prompt` takes `{"prompt", "client_id", "prompt_id", "extra_data"}`, uses a
client-chosen `prompt_id` (`str(json_data.get("prompt_id", uuid.uuid4()))`), answers
`{"prompt_id", "number", "node_errors"}` or 400 `{"error": {type, message, details,
extra_info}, "node_errors": {id: {"errors": [...], "dependent_outputs": [...], "class_type"}}}`
(types `prompt_no_outputs`, `invalid_prompt`, `prompt_outputs_failed_validation`, per input
`required_input_missing`, `value_not_in_list` "Value not in list" — a model file the server does
not have —, `value_bigger_than_max`, `value_smaller_than_min`); `GET /history/{id}` (`{}` for an
unknown id; else `{id: {"prompt": [...], "outputs": {node: {"images": [{filename, subfolder,
type}], "animated": [true]}}, "status": {"status_str", "completed", "messages"}}}`); `GET
/queue` (`queue_running`, `queue_pending`: `[number, id, prompt, extra, outputs]`); `POST
/queue {"delete": [ids]}`; `POST /interrupt`; `GET /object_info` (`input`, `input_order`,
`output`, `output_node`, ...); `POST /upload/image` (multipart `image`, answer `{name,
subfolder, type}`); `GET /view?filename&subfolder&type`; `GET /ws?clientId=` with `status`,
`execution_start`, `execution_cached`, `executing`, `progress`, `executed`,
`execution_success`, `execution_error` (node_id, node_type, exception_message,
exception_type, traceback) and `execution_interrupted` messages.

Node definitions (`NODES`) follow the `INPUT_TYPES` of ComfyUI's nodes.py and comfy_extras
(nodes_hunyuan, nodes_lt, nodes_wan, nodes_custom_sampler, nodes_video, nodes_model_advanced):
input names and their order, widgets, `control_after_generate` on seeds and `image_upload` on
LoadImage. ASSUMED: default values and ranges beyond those the bundled templates use; that the
server honours a client prompt id on this version (it does from late 2025).

The server draws nothing: a prompt "executes" by walking its output nodes, and the video it
saves is a real MP4 at the latent's width × height × length and CreateVideo's fps
(tests/engine/clips.py). Faults: `fail_next` (an execution error, e.g. out of memory), `hold`
(stays running), `restart()` (queue and history lost, as after a restart), `wrong_size`.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import queue
import re
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.engine.clips import clip
from tests.http_stub import Served

MAX = 0xFFFFFFFFFFFFFFFF
SAMPLERS = ["euler", "euler_ancestral", "uni_pc", "dpmpp_2m", "res_multistep"]
SCHEDULERS = ["simple", "normal", "karras", "beta", "sgm_uniform"]
CLIP_TYPES = ["stable_diffusion", "sd3", "mochi", "ltxv", "wan", "hunyuan_video", "flux"]


def _int(default: int, lo: int = 0, hi: int = MAX, **extra: Any) -> list[Any]:
    return ["INT", {"default": default, "min": lo, "max": hi, **extra}]


def _float(default: float, lo: float = 0.0, hi: float = 100.0) -> list[Any]:
    return ["FLOAT", {"default": default, "min": lo, "max": hi}]


def _seed() -> list[Any]:
    return _int(0, control_after_generate=True)


def _node(required: dict[str, Any], optional: dict[str, Any] | None = None, *,
          output: tuple[str, ...] = (), output_node: bool = False) -> dict[str, Any]:
    optional = optional or {}
    return {"input": {"required": required, "optional": optional},
            "input_order": {"required": list(required), "optional": list(optional)},
            "output": list(output), "output_node": output_node}


def node_definitions(models: dict[str, list[str]], inputs: list[str]) -> dict[str, dict[str, Any]]:
    """`/object_info` for the nodes the bundled templates use, with this server's model files."""
    latent = {"width": _int(848, 16, 16384, step=16), "height": _int(480, 16, 16384, step=16),
              "length": _int(25, 1, 16384, step=4), "batch_size": _int(1, 1, 4096)}
    wan = {"positive": ["CONDITIONING"], "negative": ["CONDITIONING"], "vae": ["VAE"], **latent}
    nodes = {
        "CheckpointLoaderSimple": _node({"ckpt_name": [models["checkpoints"]]},
                                        output=("MODEL", "CLIP", "VAE")),
        "CLIPLoader": _node({"clip_name": [models["text_encoders"]], "type": [CLIP_TYPES]},
                            {"device": [["default", "cpu"]]}, output=("CLIP",)),
        "DualCLIPLoader": _node({"clip_name1": [models["text_encoders"]],
                                 "clip_name2": [models["text_encoders"]], "type": [CLIP_TYPES]},
                                {"device": [["default", "cpu"]]}, output=("CLIP",)),
        "UNETLoader": _node({"unet_name": [models["diffusion_models"]],
                             "weight_dtype": [["default", "fp8_e4m3fn", "fp8_e4m3fn_fast",
                                               "fp8_e5m2"]]}, output=("MODEL",)),
        "VAELoader": _node({"vae_name": [models["vae"]]}, output=("VAE",)),
        "CLIPVisionLoader": _node({"clip_name": [models["clip_vision"]]}, output=("CLIP_VISION",)),
        "CLIPVisionEncode": _node({"clip_vision": ["CLIP_VISION"], "image": ["IMAGE"],
                                   "crop": [["center", "none"]]}, output=("CLIP_VISION_OUTPUT",)),
        "CLIPTextEncode": _node({"text": ["STRING", {"multiline": True, "dynamicPrompts": True}],
                                 "clip": ["CLIP"]}, output=("CONDITIONING",)),
        "LoadImage": _node({"image": [sorted(inputs), {"image_upload": True}]},
                           output=("IMAGE", "MASK")),
        "EmptyHunyuanLatentVideo": _node(dict(latent), output=("LATENT",)),
        "EmptyLTXVLatentVideo": _node({"width": _int(768, 64, 16384, step=32),
                                       "height": _int(512, 64, 16384, step=32),
                                       "length": _int(97, 1, 16384, step=8),
                                       "batch_size": _int(1, 1, 4096)}, output=("LATENT",)),
        "WanImageToVideo": _node(dict(wan), {"clip_vision_output": ["CLIP_VISION_OUTPUT"],
                                             "start_image": ["IMAGE"]},
                                 output=("CONDITIONING", "CONDITIONING", "LATENT")),
        "WanFirstLastFrameToVideo": _node(
            dict(wan), {"clip_vision_start_image": ["CLIP_VISION_OUTPUT"],
                        "clip_vision_end_image": ["CLIP_VISION_OUTPUT"],
                        "start_image": ["IMAGE"], "end_image": ["IMAGE"]},
            output=("CONDITIONING", "CONDITIONING", "LATENT")),
        "ModelSamplingSD3": _node({"model": ["MODEL"], "shift": _float(3.0)}, output=("MODEL",)),
        "KSampler": _node({"model": ["MODEL"], "seed": _seed(), "steps": _int(20, 1, 10000),
                           "cfg": _float(8.0), "sampler_name": [SAMPLERS],
                           "scheduler": [SCHEDULERS], "positive": ["CONDITIONING"],
                           "negative": ["CONDITIONING"], "latent_image": ["LATENT"],
                           "denoise": _float(1.0, 0.0, 1.0)}, output=("LATENT",)),
        "SamplerCustom": _node({"model": ["MODEL"], "add_noise": ["BOOLEAN", {"default": True}],
                                "noise_seed": _seed(), "cfg": _float(8.0),
                                "positive": ["CONDITIONING"], "negative": ["CONDITIONING"],
                                "sampler": ["SAMPLER"], "sigmas": ["SIGMAS"],
                                "latent_image": ["LATENT"]}, output=("LATENT", "LATENT")),
        "SamplerCustomAdvanced": _node({"noise": ["NOISE"], "guider": ["GUIDER"],
                                        "sampler": ["SAMPLER"], "sigmas": ["SIGMAS"],
                                        "latent_image": ["LATENT"]}, output=("LATENT", "LATENT")),
        "KSamplerSelect": _node({"sampler_name": [SAMPLERS]}, output=("SAMPLER",)),
        "BasicScheduler": _node({"model": ["MODEL"], "scheduler": [SCHEDULERS],
                                 "steps": _int(20, 1, 10000), "denoise": _float(1.0, 0.0, 1.0)},
                                output=("SIGMAS",)),
        "BasicGuider": _node({"model": ["MODEL"], "conditioning": ["CONDITIONING"]},
                             output=("GUIDER",)),
        "RandomNoise": _node({"noise_seed": _seed()}, output=("NOISE",)),
        "FluxGuidance": _node({"conditioning": ["CONDITIONING"], "guidance": _float(3.5)},
                              output=("CONDITIONING",)),
        "LTXVScheduler": _node({"steps": _int(20, 1, 10000), "max_shift": _float(2.05),
                                "base_shift": _float(0.95), "stretch": ["BOOLEAN", {}],
                                "terminal": _float(0.1, 0.0, 0.99)}, {"latent": ["LATENT"]},
                               output=("SIGMAS",)),
        "LTXVConditioning": _node({"positive": ["CONDITIONING"], "negative": ["CONDITIONING"],
                                   "frame_rate": _float(25.0, 0.0, 1000.0)},
                                  output=("CONDITIONING", "CONDITIONING")),
        "VAEDecode": _node({"samples": ["LATENT"], "vae": ["VAE"]}, output=("IMAGE",)),
        "VAEDecodeTiled": _node({"samples": ["LATENT"], "vae": ["VAE"],
                                 "tile_size": _int(512, 64, 4096, step=32),
                                 "overlap": _int(64, 0, 4096, step=32),
                                 "temporal_size": _int(64, 8, 4096, step=4),
                                 "temporal_overlap": _int(8, 4, 4096, step=4)}, output=("IMAGE",)),
        "CreateVideo": _node({"images": ["IMAGE"], "fps": _float(30.0, 1.0, 120.0)},
                             {"audio": ["AUDIO"]}, output=("VIDEO",)),
        "SaveVideo": _node({"video": ["VIDEO"], "filename_prefix": ["STRING",
                                                                    {"default": "video/ComfyUI"}],
                            "format": [["auto", "mp4"]], "codec": [["auto", "h264"]]},
                           output_node=True),
        "SaveImage": _node({"images": ["IMAGE"], "filename_prefix": ["STRING",
                                                                     {"default": "ComfyUI"}]},
                           output_node=True),
    }
    for name, info in nodes.items():
        info.update(name=name, display_name=name, description="", category="stand-in",
                    python_module="nodes", output_is_list=[False] * len(info["output"]),
                    output_name=list(info["output"]))
    return nodes


MODELS = {
    "checkpoints": ["ltx-video-2b-v0.9.safetensors"],
    "text_encoders": ["umt5_xxl_fp8_e4m3fn_scaled.safetensors", "t5xxl_fp16.safetensors",
                      "clip_l.safetensors", "llava_llama3_fp8_scaled.safetensors"],
    "diffusion_models": ["wan2.1_t2v_1.3B_fp16.safetensors", "wan2.1_i2v_480p_14B_fp16.safetensors",
                         "wan2.1_flf2v_720p_14B_fp16.safetensors",
                         "hunyuan_video_t2v_720p_bf16.safetensors"],
    "vae": ["wan_2.1_vae.safetensors", "hunyuan_video_vae_bf16.safetensors"],
    "clip_vision": ["clip_vision_h.safetensors"],
}


class FakeComfy(Served):
    """The stand-in server; `start()` it and point SHOTCRAFT_COMFYUI_URL at `base_url`."""

    def __init__(self, *, folder: Path, steps: int = 3, step_seconds: float = 0.01,
                 models: dict[str, list[str]] | None = None) -> None:
        self.folder = Path(folder)
        (self.folder / "input").mkdir(parents=True, exist_ok=True)
        (self.folder / "output").mkdir(parents=True, exist_ok=True)
        self.models = models or MODELS
        self.steps, self.step_seconds = steps, step_seconds
        self.history: dict[str, dict[str, Any]] = {}
        self.pending: list[list[Any]] = []  # [number, id, prompt, extra, outputs]
        self.running: list[Any] | None = None
        self.prompts: list[dict[str, Any]] = []  # every accepted POST /prompt body
        self.posted = 0  # every POST /prompt, accepted or not
        self.executed: list[str] = []  # prompt ids that ran (= GPU time spent)
        self.uploads: list[str] = []
        self.sockets: dict[str, queue.Queue[bytes | None]] = {}
        self.fail_next: str | None = None  # exception message of the next execution
        self.hold = False
        self.wrong_size = False
        self.interrupted = threading.Event()
        self.lock = threading.Lock()
        self._number = itertools.count(1)
        self._files = itertools.count(1)
        self._wake = threading.Event()
        self._stopping = False
        threading.Thread(target=self._worker, daemon=True).start()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        return _Handler

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        with self.lock:
            for channel in self.sockets.values():
                channel.put(None)
        super().stop()

    def object_info(self) -> dict[str, Any]:
        inputs = [p.name for p in (self.folder / "input").iterdir() if p.is_file()]
        return node_definitions(self.models, inputs)

    def restart(self) -> None:
        """As after a server restart: the queue and the history are gone."""
        with self.lock:
            self.history.clear()
            self.pending.clear()

    # --- validation, as execution.validate_prompt ----------------------------------------

    def validate(self, prompt: Any) -> tuple[dict[str, Any] | None, dict[str, Any], list[str]]:
        """(error, node_errors, output node ids)."""
        info = self.object_info()
        if not isinstance(prompt, dict):
            return _err("invalid_prompt", "Invalid prompt", "prompt must be an object"), {}, []
        for node_id, node in prompt.items():
            kind = node.get("class_type") if isinstance(node, dict) else None
            if kind is None:
                return _err("invalid_prompt", "Cannot execute because a node is missing the "
                            "class_type property.", f"Node ID '#{node_id}'"), {}, []
            if kind not in info:
                return _err("invalid_prompt", f"Cannot execute because node {kind} does not "
                            "exist.", f"Node ID '#{node_id}'"), {}, []
        outputs = [nid for nid, node in prompt.items() if info[node["class_type"]]["output_node"]]
        if not outputs:
            return _err("prompt_no_outputs", "Prompt has no outputs", ""), {}, []
        node_errors: dict[str, Any] = {}
        for out in outputs:
            for nid in self._upstream(prompt, out):
                errors = self._check_node(prompt, nid, info)
                if errors:
                    entry = node_errors.setdefault(nid, {
                        "errors": errors, "dependent_outputs": [],
                        "class_type": prompt[nid]["class_type"]})
                    entry["dependent_outputs"].append(out)
        if node_errors:
            return (_err("prompt_outputs_failed_validation", "Prompt outputs failed validation",
                         ""), node_errors, outputs)
        return None, {}, outputs

    def _upstream(self, prompt: dict[str, Any], start: str) -> list[str]:
        seen: list[str] = []
        stack = [start]
        while stack:
            nid = stack.pop()
            if nid in seen or nid not in prompt:
                continue
            seen.append(nid)
            for value in (prompt[nid].get("inputs") or {}).values():
                if isinstance(value, list) and len(value) == 2 and isinstance(value[0], str):
                    stack.append(value[0])
        return seen

    def _check_node(self, prompt: dict[str, Any], nid: str,
                    info: dict[str, Any]) -> list[dict[str, Any]]:
        node = prompt[nid]
        spec = info[node["class_type"]]["input"]
        given = node.get("inputs") or {}
        errors = []
        for name in spec["required"]:
            if name not in given:
                errors.append({"type": "required_input_missing",
                               "message": "Required input is missing", "details": name,
                               "extra_info": {"input_name": name}})
        for name, value in given.items():
            entry = spec["required"].get(name) or spec["optional"].get(name)
            if entry is None:
                continue
            if isinstance(value, list) and len(value) == 2 and isinstance(value[0], str):
                if value[0] not in prompt:
                    errors.append({"type": "required_input_missing",
                                   "message": "Required input is missing",
                                   "details": f"{name} (links to missing node {value[0]})",
                                   "extra_info": {"input_name": name}})
                continue
            kind, opts = entry[0], (entry[1] if len(entry) > 1 else {})
            if isinstance(kind, list) and value not in kind:
                errors.append({"type": "value_not_in_list", "message": "Value not in list",
                               "details": f"{name}: '{value}' not in {kind}",
                               "extra_info": {"input_name": name, "received_value": value}})
            elif kind in ("INT", "FLOAT") and isinstance(value, int | float):
                if "max" in opts and value > opts["max"]:
                    errors.append({"type": "value_bigger_than_max",
                                   "message": "Value bigger than max",
                                   "details": f"{name}: {value} > {opts['max']}",
                                   "extra_info": {"input_name": name}})
                if "min" in opts and value < opts["min"]:
                    errors.append({"type": "value_smaller_than_min",
                                   "message": "Value smaller than min",
                                   "details": f"{name}: {value} < {opts['min']}",
                                   "extra_info": {"input_name": name}})
        return errors

    def queue_prompt(self, body: dict[str, Any], outputs: list[str]) -> dict[str, Any]:
        prompt_id = str(body.get("prompt_id") or f"{next(self._number):08d}-stand-in")
        with self.lock:
            number = next(self._number)
            item = [number, prompt_id, body["prompt"], {"client_id": body.get("client_id")},
                    outputs]
            self.pending.append(item)
            self.prompts.append(body)
        self._wake.set()
        return {"prompt_id": prompt_id, "number": number, "node_errors": {}}

    # --- the worker: one prompt at a time --------------------------------------------------

    def _send(self, client_id: str | None, kind: str, data: dict[str, Any]) -> None:
        message = json.dumps({"type": kind, "data": data}).encode()
        with self.lock:
            targets = ([self.sockets[client_id]] if client_id in self.sockets
                       else list(self.sockets.values()) if kind == "status" else [])
        for channel in targets:
            channel.put(message)

    def _worker(self) -> None:
        while not self._stopping:
            self._wake.wait(0.05)
            self._wake.clear()
            with self.lock:
                if not self.pending:
                    continue
                self.running = self.pending.pop(0)
            try:
                self._execute(self.running)
            finally:
                with self.lock:
                    self.running = None

    def _execute(self, item: list[Any]) -> None:
        number, prompt_id, prompt, extra, outputs = item
        client = extra.get("client_id")
        messages: list[list[Any]] = []

        def say(kind: str, data: dict[str, Any]) -> None:
            data = {**data, "prompt_id": prompt_id, "timestamp": int(time.time() * 1000)}
            messages.append([kind, data])
            self._send(client, kind, data)

        self.interrupted.clear()
        say("execution_start", {})
        say("execution_cached", {"nodes": []})
        sampler = next((nid for nid, n in prompt.items() if "Sampler" in n["class_type"]), None)
        step = 0
        while step < self.steps or self.hold:
            if self.interrupted.is_set() or self._stopping:
                say("execution_interrupted", {"node_id": sampler, "node_type": "KSampler",
                                              "executed": []})
                return self._finish(item, messages, {}, "error")
            time.sleep(self.step_seconds)
            if step < self.steps:
                step += 1
                self._send(client, "progress", {"value": step, "max": self.steps,
                                                "prompt_id": prompt_id, "node": sampler})
        with self.lock:
            self.executed.append(prompt_id)
        if self.fail_next:
            reason, self.fail_next = self.fail_next, None
            say("execution_error", {"node_id": sampler, "node_type": "KSampler",
                                    "exception_message": reason,
                                    "exception_type": "torch.OutOfMemoryError",
                                    "traceback": ["  File \"execution.py\", line 496\n"],
                                    "executed": [], "current_inputs": {},
                                    "current_outputs": {}})
            return self._finish(item, messages, {}, "error")
        results = {}
        for out in outputs:
            say("executing", {"node": out, "display_node": out})
            results[out] = self._save(prompt, out)
            say("executed", {"node": out, "display_node": out, "output": results[out]})
        say("execution_success", {})
        self._send(client, "executing", {"node": None, "prompt_id": prompt_id})
        return self._finish(item, messages, results, "success")

    def _finish(self, item: list[Any], messages: list[list[Any]], outputs: dict[str, Any],
                status: str) -> None:
        with self.lock:
            self.history[item[1]] = {
                "prompt": item, "outputs": outputs, "meta": {},
                "status": {"status_str": status, "completed": status == "success",
                           "messages": messages}}

    def _save(self, prompt: dict[str, Any], out: str) -> dict[str, Any]:
        """Write the output node's video (or image sequence) as ComfyUI saves it."""
        latent = next(n["inputs"] for n in prompt.values()
                      if {"width", "height", "length"} <= set(n.get("inputs") or {}))
        fps = next((n["inputs"]["fps"] for n in prompt.values()
                    if n["class_type"] == "CreateVideo"), 24)
        width, height, frames = int(latent["width"]), int(latent["height"]), int(latent["length"])
        if self.wrong_size:
            width, height = height, width
        node = prompt[out]
        prefix = str(node["inputs"].get("filename_prefix") or "ComfyUI")
        subfolder, _, stem = prefix.rpartition("/")
        folder = self.folder / "output" / subfolder
        folder.mkdir(parents=True, exist_ok=True)
        if node["class_type"] == "SaveImage":
            data = clip(width, height, int(round(float(fps))), frames)
            files = _frames_of(data, folder, f"{stem}_{next(self._files):05d}")
            return {"images": [{"filename": f, "subfolder": subfolder, "type": "output"}
                               for f in files]}
        name = f"{stem}_{next(self._files):05d}_.mp4"
        (folder / name).write_bytes(clip(width, height, int(round(float(fps))), frames))
        return {"images": [{"filename": name, "subfolder": subfolder, "type": "output"}],
                "animated": [True]}


def _frames_of(video: bytes, folder: Path, stem: str) -> list[str]:
    import subprocess
    import tempfile

    from shotcraft.shots.media import ffmpeg_binary

    with tempfile.NamedTemporaryFile(suffix=".mp4") as handle:
        handle.write(video)
        handle.flush()
        subprocess.run([ffmpeg_binary(), "-v", "error", "-i", handle.name,
                        str(folder / f"{stem}_%05d_.png")], check=True, capture_output=True)
    return sorted(p.name for p in folder.glob(f"{stem}_*_.png"))


def _err(kind: str, message: str, details: str) -> dict[str, Any]:
    return {"type": kind, "message": message, "details": details, "extra_info": {}}


class _Handler(BaseHTTPRequestHandler):
    fake: FakeComfy
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return None

    def _json(self, status: int, payload: Any) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _empty(self, status: int = 200) -> None:
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        path = url.path.removeprefix("/api")
        fake = self.fake
        if path == "/ws":
            return self._websocket(parse_qs(url.query).get("clientId", [""])[0])
        if path == "/object_info":
            return self._json(200, fake.object_info())
        if path.startswith("/history/"):
            with fake.lock:
                entry = fake.history.get(path.split("/", 2)[2])
            return self._json(200, {path.split("/", 2)[2]: entry} if entry else {})
        if path == "/history":
            with fake.lock:
                return self._json(200, dict(fake.history))
        if path == "/queue":
            with fake.lock:
                return self._json(200, {"queue_running": [fake.running] if fake.running else [],
                                        "queue_pending": list(fake.pending)})
        if path == "/view":
            query = parse_qs(url.query)
            kind = query.get("type", ["output"])[0]
            name = query.get("filename", [""])[0]
            sub = query.get("subfolder", [""])[0]
            base = (fake.folder / kind).resolve()
            target = (base / sub / name).resolve()
            if kind not in ("output", "input", "temp") or not target.is_relative_to(base) \
                    or not target.is_file():
                return self._empty(404)
            data = target.read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return None
        if path == "/system_stats":
            return self._json(200, {"system": {"comfyui_version": "0.3.75-stand-in"},
                                    "devices": []})
        return self._empty(404)

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        path = url.path.removeprefix("/api")
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        fake = self.fake
        if path == "/prompt":
            with fake.lock:
                fake.posted += 1
            body = json.loads(raw or b"{}")
            if "prompt" not in body:
                return self._json(400, {"error": _err("no_prompt", "No prompt provided",
                                                      "No prompt provided"), "node_errors": {}})
            error, node_errors, outputs = fake.validate(body["prompt"])
            if error is not None:
                return self._json(400, {"error": error, "node_errors": node_errors})
            return self._json(200, fake.queue_prompt(body, outputs))
        if path == "/queue":
            body = json.loads(raw or b"{}")
            with fake.lock:
                if body.get("clear"):
                    fake.pending.clear()
                for prompt_id in body.get("delete", []):
                    fake.pending = [p for p in fake.pending if p[1] != prompt_id]
            return self._empty()
        if path == "/interrupt":
            fake.interrupted.set()
            return self._empty()
        if path == "/upload/image":
            return self._upload(raw)
        return self._empty(404)

    def _upload(self, raw: bytes) -> None:
        match = re.search(r"boundary=(.+)$", self.headers.get("Content-Type", ""))
        if not match:
            return self._empty(400)
        fields: dict[str, tuple[str | None, bytes]] = {}
        for part in raw.split(b"--" + match[1].strip('"').encode()):
            head, _, body = part.partition(b"\r\n\r\n")
            name = re.search(rb'name="([^"]+)"', head)
            if not name:
                continue
            filename = re.search(rb'filename="([^"]*)"', head)
            fields[name[1].decode()] = (filename[1].decode() if filename else None,
                                        body.removesuffix(b"\r\n"))
        if "image" not in fields or not fields["image"][0]:
            return self._empty(400)
        filename, data = fields["image"]
        assert filename is not None
        safe = Path(filename).name
        target = self.fake.folder / "input" / safe
        if target.exists() and fields.get("overwrite", (None, b"false"))[1] != b"true":
            if hashlib.sha256(target.read_bytes()).digest() != hashlib.sha256(data).digest():
                stem, dot, ext = safe.rpartition(".")
                safe = f"{stem} (1).{ext}" if dot else f"{safe} (1)"
                target = target.with_name(safe)
        target.write_bytes(data)
        with self.fake.lock:
            self.fake.uploads.append(safe)
        return self._json(200, {"name": safe, "subfolder": "", "type": "input"})

    def _websocket(self, client_id: str) -> None:
        """RFC 6455 handshake and server-to-client text frames (unmasked, as servers send)."""
        key = self.headers.get("Sec-WebSocket-Key", "")
        accept = base64.b64encode(hashlib.sha1(
            (key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
        self.send_response(101, "Switching Protocols")
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", accept)
        self.end_headers()
        self.wfile.flush()
        channel: queue.Queue[bytes | None] = queue.Queue()
        client_id = client_id or f"anon-{id(channel)}"
        with self.fake.lock:
            self.fake.sockets[client_id] = channel
            remaining = len(self.fake.pending) + (1 if self.fake.running else 0)
        channel.put(json.dumps({"type": "status", "data": {
            "status": {"exec_info": {"queue_remaining": remaining}}, "sid": client_id}}).encode())
        try:
            while True:
                message = channel.get()
                if message is None:
                    break
                header = bytes([0x81])
                size = len(message)
                header += (bytes([size]) if size < 126 else
                           bytes([126]) + struct.pack(">H", size) if size < 65536 else
                           bytes([127]) + struct.pack(">Q", size))
                self.wfile.write(header + message)
                self.wfile.flush()
        except OSError:
            pass
        finally:
            with self.fake.lock:
                if self.fake.sockets.get(client_id) is channel:
                    del self.fake.sockets[client_id]
            self.close_connection = True
