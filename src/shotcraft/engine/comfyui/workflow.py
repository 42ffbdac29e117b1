"""A director's ComfyUI workflow: loaded (API or UI graph format), converted, mapped, checked.

The mapping says which node input takes what from the shot. Nodes titled `shotcraft.<role>`
(several roles joined with `+`, e.g. `shotcraft.width+height+frames`) win; otherwise the
mapping shipped for the official template the workflow is (Wan, LTX, HunyuanVideo) is used.
Roles: prompt, negative, seed, width, height, frames, fps, first_frame, last_frame, reference.

A UI (graph) workflow is converted with the server's `/object_info`: each node's
`widgets_values` are matched, in `input_order`, to the inputs that are widgets (a seed's
"randomize" control value and LoadImage's upload button value are skipped); links become
`[origin id, slot]`; notes are dropped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shotcraft.shots.errors import EngineError

ROLES = ("prompt", "negative", "seed", "width", "height", "frames", "fps", "first_frame",
         "last_frame", "reference")
ROLE_INPUTS: dict[str, tuple[str, ...]] = {
    "prompt": ("text",), "negative": ("text",), "seed": ("seed", "noise_seed"),
    "width": ("width",), "height": ("height",),
    "frames": ("length", "frames", "num_frames", "video_length"),
    "fps": ("fps", "frame_rate"), "first_frame": ("image",), "last_frame": ("image",),
    "reference": ("image",),
}
WIDGET_TYPES = ("INT", "FLOAT", "STRING", "BOOLEAN", "COMBO")
CONTROL_VALUES = ("fixed", "increment", "decrement", "randomize")
FRONTEND_ONLY = ("Note", "MarkdownNote", "PrimitiveNode", "Reroute")


@dataclass(frozen=True)
class Template:
    """A shipped mapping for one official template (comfyui-workflow-templates-json)."""

    name: str
    nodes: dict[str, str]  # node id → class_type, all of which must be in the workflow
    roles: dict[str, tuple[str, str]]  # role → (node id, input)
    frame_step: int  # frames must be frame_step × n + 1


TEMPLATES = (
    Template("text_to_video_wan (Wan 2.1 T2V)",
             {"6": "CLIPTextEncode", "7": "CLIPTextEncode", "3": "KSampler",
              "40": "EmptyHunyuanLatentVideo", "49": "CreateVideo"},
             {"prompt": ("6", "text"), "negative": ("7", "text"), "seed": ("3", "seed"),
              "width": ("40", "width"), "height": ("40", "height"),
              "frames": ("40", "length"), "fps": ("49", "fps")}, 4),
    Template("image_to_video_wan (Wan 2.1 I2V)",
             {"6": "CLIPTextEncode", "7": "CLIPTextEncode", "3": "KSampler",
              "50": "WanImageToVideo", "52": "LoadImage", "55": "CreateVideo"},
             {"prompt": ("6", "text"), "negative": ("7", "text"), "seed": ("3", "seed"),
              "width": ("50", "width"), "height": ("50", "height"),
              "frames": ("50", "length"), "fps": ("55", "fps"),
              "first_frame": ("52", "image")}, 4),
    Template("wan2.1_flf2v_720_f16 (Wan 2.1 first-last frame)",
             {"6": "CLIPTextEncode", "7": "CLIPTextEncode", "90": "KSampler",
              "83": "WanFirstLastFrameToVideo", "52": "LoadImage", "72": "LoadImage",
              "91": "CreateVideo"},
             {"prompt": ("6", "text"), "negative": ("7", "text"), "seed": ("90", "seed"),
              "width": ("83", "width"), "height": ("83", "height"),
              "frames": ("83", "length"), "fps": ("91", "fps"),
              "first_frame": ("52", "image"), "last_frame": ("72", "image")}, 4),
    Template("ltxv_text_to_video (LTX-Video T2V)",
             {"6": "CLIPTextEncode", "7": "CLIPTextEncode", "72": "SamplerCustom",
              "70": "EmptyLTXVLatentVideo", "69": "LTXVConditioning", "78": "CreateVideo"},
             {"prompt": ("6", "text"), "negative": ("7", "text"),
              "seed": ("72", "noise_seed"), "width": ("70", "width"),
              "height": ("70", "height"), "frames": ("70", "length"), "fps": ("78", "fps")}, 8),
    Template("hunyuan_video_text_to_video (HunyuanVideo T2V)",
             {"44": "CLIPTextEncode", "25": "RandomNoise", "45": "EmptyHunyuanLatentVideo",
              "79": "CreateVideo"},
             {"prompt": ("44", "text"), "seed": ("25", "noise_seed"),
              "width": ("45", "width"), "height": ("45", "height"),
              "frames": ("45", "length"), "fps": ("79", "fps")}, 4),
)
# LTX's conditioning frame rate follows the video's (set together with the fps role)
LINKED_FPS = {"69": "frame_rate"}


@dataclass
class Workflow:
    path: Path
    data: dict[str, Any]
    graph: bool  # UI (graph) format; else API format

    def nodes(self) -> list[tuple[str, str, str]]:
        """(id, class_type, title) of every node, in either format."""
        if self.graph:
            return [(str(n["id"]), str(n.get("type")), str(n.get("title") or ""))
                    for n in self.data.get("nodes") or []]
        return [(str(k), str(v.get("class_type")), str((v.get("_meta") or {}).get("title") or ""))
                for k, v in self.data.items()]


@dataclass
class Mapping:
    roles: dict[str, tuple[str, str]] = field(default_factory=dict)
    template: str = "titled nodes"
    frame_step: int = 1
    linked_fps: dict[str, str] = field(default_factory=dict)


def load_workflow(path: str | Path) -> Workflow:
    """Read a workflow file; EngineError naming the file when it is not one shotcraft can use."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise EngineError(f"ComfyUI workflow {path} does not exist.") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise EngineError(f"ComfyUI workflow {path.name} is not JSON ({exc}).") from None
    if not isinstance(data, dict):
        raise EngineError(f"ComfyUI workflow {path.name} is not a workflow object.")
    if isinstance(data.get("nodes"), list):
        if (data.get("definitions") or {}).get("subgraphs"):
            raise EngineError(f"ComfyUI workflow {path.name} is built of subgraphs; unpack them "
                              "in ComfyUI or export it with Workflow → Export (API).")
        return Workflow(path, data, graph=True)
    if data and all(isinstance(v, dict) and "class_type" in v for v in data.values()):
        return Workflow(path, data, graph=False)
    raise EngineError(f"ComfyUI workflow {path.name} is neither an API-format prompt nor a UI "
                      "graph with nodes.")


def find_mapping(workflow: Workflow) -> Mapping:
    """The shot → input mapping: `shotcraft.*` titles, else a shipped template's."""
    nodes = workflow.nodes()
    mapping = Mapping()
    for node_id, _kind, title in nodes:
        if not title.startswith("shotcraft."):
            continue
        for role in title.removeprefix("shotcraft.").split("+"):
            role = role.strip()
            if role not in ROLES:
                raise EngineError(f"ComfyUI workflow {workflow.path.name}: node {node_id} is "
                                  f"titled {title!r}, but {role!r} is not one of "
                                  f"{', '.join(ROLES)}.")
            mapping.roles[role] = (node_id, "")  # the input is found on conversion
    if mapping.roles:
        return mapping
    kinds = {node_id: kind for node_id, kind, _ in nodes}
    for template in TEMPLATES:
        if all(kinds.get(nid) == kind for nid, kind in template.nodes.items()):
            linked = {k: v for k, v in LINKED_FPS.items() if kinds.get(k) == "LTXVConditioning"}
            return Mapping(dict(template.roles), template.name, template.frame_step, linked)
    raise EngineError(f"ComfyUI workflow {workflow.path.name} has no node titled shotcraft.prompt "
                      "(or another shotcraft.* role) and is none of the shipped templates; title "
                      "the nodes shotcraft should fill.")


def to_api(workflow: Workflow, object_info: dict[str, Any]) -> dict[str, Any]:
    """The workflow in API format (a graph is converted with the server's node definitions)."""
    if not workflow.graph:
        return json.loads(json.dumps(workflow.data))
    name = workflow.path.name
    links = {int(link[0]): (str(link[1]), int(link[2])) for link in workflow.data.get("links") or []}
    by_id = {str(n["id"]): n for n in workflow.data.get("nodes") or []}

    def origin(link_id: int) -> list[Any] | None:
        source = links.get(int(link_id))
        while source is not None and (by_id.get(source[0]) or {}).get("type") == "Reroute":
            upstream = [i.get("link") for i in by_id[source[0]].get("inputs") or []]
            source = links.get(int(upstream[0])) if upstream and upstream[0] is not None else None
        return [source[0], source[1]] if source else None

    api: dict[str, Any] = {}
    for node in workflow.data.get("nodes") or []:
        kind, node_id = str(node.get("type")), str(node["id"])
        if kind in FRONTEND_ONLY or node.get("mode") == 2:  # notes, reroutes; muted nodes
            continue
        if node.get("mode") == 4:
            raise EngineError(f"ComfyUI workflow {name}: node {node_id} ({kind}) is bypassed; "
                              "enable or remove it, or export the workflow in API format.")
        if kind not in object_info:
            raise EngineError(f"ComfyUI workflow {name}: node {node_id} ({kind}) is not installed "
                              "on the ComfyUI server.")
        spec = object_info[kind]
        order = spec.get("input_order") or {
            part: list((spec.get("input") or {}).get(part) or {}) for part in ("required",
                                                                               "optional")}
        specs = {**((spec.get("input") or {}).get("optional") or {}),
                 **((spec.get("input") or {}).get("required") or {})}
        linked = {i["name"]: i["link"] for i in node.get("inputs") or []
                  if i.get("link") is not None}
        values = node.get("widgets_values")
        values = list(values.values()) if isinstance(values, dict) else list(values or [])
        inputs: dict[str, Any] = {}
        at = 0
        for input_name in [*order.get("required", []), *order.get("optional", [])]:
            entry = specs.get(input_name) or ["*"]
            kind_of = entry[0]
            options = entry[1] if len(entry) > 1 and isinstance(entry[1], dict) else {}
            widget = isinstance(kind_of, list) or kind_of in WIDGET_TYPES
            if widget and at < len(values):
                if input_name not in linked:
                    inputs[input_name] = values[at]
                at += 1
                control = options.get("control_after_generate") or input_name in ("seed",
                                                                                  "noise_seed")
                if (control and at < len(values) and values[at] in CONTROL_VALUES) or (
                        options.get("image_upload") and at < len(values)
                        and values[at] in ("image", "upload")):
                    at += 1
            if input_name in linked:
                source = origin(linked[input_name])
                if source is not None:
                    inputs[input_name] = source
        api[node_id] = {"class_type": kind, "inputs": inputs,
                        "_meta": {"title": node.get("title") or kind}}
    return api


def resolve_inputs(api: dict[str, Any], mapping: Mapping) -> dict[str, tuple[str, str]]:
    """Each role's (node id, input name) in `api`; a titled node's input is found by role."""
    out: dict[str, tuple[str, str]] = {}
    for role, (node_id, input_name) in mapping.roles.items():
        node = api.get(node_id)
        if node is None:
            raise EngineError(f"the mapped node {node_id} ({role}) is not in the workflow.")
        if not input_name:
            input_name = next((n for n in ROLE_INPUTS[role] if n in node["inputs"]), "")
            if not input_name:
                raise EngineError(f"node {node_id} ({node['class_type']}) is titled for {role} "
                                  f"but has no {' or '.join(ROLE_INPUTS[role])} input.")
        out[role] = (node_id, input_name)
    return out


def check_against(api: dict[str, Any], object_info: dict[str, Any], where: str) -> None:
    """Refuse, in one sentence naming the node, what the server would refuse: a node type it
    does not have, a required input without a value, a model file it does not have."""
    for node_id, node in api.items():
        kind = node["class_type"]
        if kind not in object_info:
            raise EngineError(f"ComfyUI workflow {where}: node {node_id} ({kind}) is not installed "
                              "on the server.")
        required = ((object_info[kind].get("input") or {}).get("required") or {})
        for name, entry in required.items():
            value = node["inputs"].get(name)
            if value is None:
                raise EngineError(f"ComfyUI workflow {where}: node {node_id} ({kind}) has no value "
                                  f"for its required input {name!r}.")
            if isinstance(entry[0], list) and not isinstance(value, list) and \
                    value not in entry[0] and name != "image":
                have = ", ".join(map(str, entry[0][:6])) or "none"
                raise EngineError(f"ComfyUI workflow {where}: node {node_id} ({kind}) asks for "
                                  f"{name} {value!r}, which the server does not have (it has: "
                                  f"{have}).")
