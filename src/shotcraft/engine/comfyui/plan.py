"""A request filled into the director's workflow: the API prompt (less per-take values), its
size and what it delivers; each take's prompt sets its seed and its uploaded images."""

from __future__ import annotations

from typing import Any


class ComfyPlan:
    """A request's prompt (less per-take values), its size and what it delivers."""

    def __init__(self, api: dict[str, Any], inputs: dict[str, tuple[str, str]], width: int,
                 height: int, frames: int, fps: float, downgrades: list[str],
                 params: dict[str, Any]) -> None:
        self.api, self.inputs = api, inputs
        self.width, self.height, self.frames, self.fps = width, height, frames, fps
        self.downgrades, self.params = downgrades, params

    def prompt_for(self, seed: int, images: dict[str, str]) -> dict[str, Any]:
        """The API prompt for one take: the seed and the uploaded image names set."""
        api = {k: {**v, "inputs": dict(v["inputs"])} for k, v in self.api.items()}
        if "seed" in self.inputs:
            node, name = self.inputs["seed"]
            api[node]["inputs"][name] = seed
        for role, uploaded in images.items():
            node, name = self.inputs[role]
            api[node]["inputs"][name] = uploaded
        return api
