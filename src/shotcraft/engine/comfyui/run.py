"""One ComfyUI render call: each take a prompt, queued once under an id chosen here.

The prompt id is checkpointed ("queueing") before `POST /prompt`. A resumed take looks its id
up: in /history (finished: fetch, or say why it failed), in /queue (still waiting or running:
wait for it), or nowhere — then the server never got it, or lost it in a restart, and it is
queued again under the same id (on the director's own GPU nothing is paid; the take says so).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Protocol

from shotcraft.engine.comfyui.plan import ComfyPlan
from shotcraft.engine.protocol import (
    CheckpointFn,
    Progress,
    ProgressFn,
    RenderedTake,
    RenderRequest,
)
from shotcraft.providers.comfyui.client import ComfyClient, ComfyRefused, ComfyUnreachable
from shotcraft.providers.comfyui.settings import ComfyUISettings
from shotcraft.shots import ffmpeg
from shotcraft.shots.errors import EngineError

log = logging.getLogger(__name__)
VIDEO_SUFFIXES = (".mp4", ".webm", ".mov", ".mkv", ".gif")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")


class Server(Protocol):
    """What a take run uses of the engine: its settings (the server, the waits)."""

    settings: ComfyUISettings


class _Stop(Exception):
    pass


class _Cancelled(Exception):
    pass


def refusal(error: ComfyRefused, where: str) -> str:
    """ComfyUI's /prompt refusal as one sentence naming the node."""
    for node_id, entry in (error.node_errors or {}).items():
        first = (entry.get("errors") or [{}])[0]
        return (f"ComfyUI refused the workflow {where}: node {node_id} ({entry.get('class_type')})"
                f": {first.get('message')}: {first.get('details')}.")
    err = error.error if isinstance(error.error, dict) else {"message": error.error}
    return f"ComfyUI refused the workflow {where}: {err.get('message')} {err.get('details') or ''}".strip() + "."


class ComfyRun:
    def __init__(self, engine: Server, request: RenderRequest, plan: ComfyPlan,
                 out_dir: Path, progress: ProgressFn, cancel: threading.Event,
                 checkpoint: CheckpointFn, client: ComfyClient) -> None:
        self.engine, self.s = engine, engine.settings
        self.request, self.plan, self.out_dir = request, plan, out_dir
        self.progress, self.cancel, self.checkpoint = progress, cancel, checkpoint
        self.client = client
        self.client_id = f"shotcraft-{uuid.uuid4().hex[:12]}"

    def take(self, take_number: int, seed: int) -> RenderedTake | None:
        result = RenderedTake(take_number=take_number, seed=seed,
                              params={**self.plan.params, "seed": seed},
                              downgrades=list(self.plan.downgrades))
        state = dict(self.request.resume.get(take_number) or {})
        started = time.monotonic()
        try:
            if self.cancel.is_set():
                raise _Cancelled
            self._draw(take_number, seed, state, result)
        except _Cancelled:
            return None
        except _Stop as stop:
            result.failed = str(stop)
        except (ComfyUnreachable, EngineError) as exc:
            result.failed = (f"The ComfyUI server at {self.s.url} stopped answering ({exc}); "
                             "draw again to resume the take.")
        except Exception as exc:  # a broken take is a failed take
            log.warning("comfyui take %s broke: %s", take_number, type(exc).__name__)
            result.failed = f"ComfyUI take {take_number} broke: {type(exc).__name__}: {exc}"
        result.cost_seconds = time.monotonic() - started
        return result

    def _save(self, take_number: int, state: dict[str, Any]) -> None:
        self.checkpoint(take_number, dict(state))

    def _draw(self, take_number: int, seed: int, state: dict[str, Any],
              result: RenderedTake) -> None:
        entry = None
        if state.get("prompt_id"):
            entry = self.client.history(state["prompt_id"])
            if entry is None:
                running, pending = self.client.queue()
                if state["prompt_id"] not in running + pending:
                    if state.get("state") == "queued":
                        result.downgrades.append(
                            f"prompt {state['prompt_id']} was lost by the server (restarted?) "
                            "and queued again")
                    self._queue(take_number, seed, state)
        else:
            state.update(prompt_id=str(uuid.uuid4()), client_id=self.client_id)
            self._queue(take_number, seed, state)
        result.provider = {"prompt_id": state["prompt_id"], "server": self.s.url}
        if entry is None:
            entry = self._wait(take_number, state)
        status = entry.get("status") or {}
        if status.get("status_str") != "success":
            raise _Stop(self._failure(take_number, status))
        result.path = self._fetch(take_number, entry.get("outputs") or {})
        self.progress(Progress(take_number=take_number, done=1.0, message="comfyui: fetched"))

    def _queue(self, take_number: int, seed: int, state: dict[str, Any]) -> None:
        images = self._upload()
        prompt = self.plan.prompt_for(seed, images)
        state.update(state="queueing", client_id=self.client_id)
        self._save(take_number, state)  # before the POST: a restart looks this id up
        try:
            answer = self.client.queue_prompt(prompt, prompt_id=state["prompt_id"],
                                              client_id=self.client_id)
        except ComfyRefused as exc:
            state.clear()
            self._save(take_number, state)
            raise _Stop(refusal(exc, self.plan.params["workflow"])) from None
        state.update(state="queued", number=answer.get("number"))
        self._save(take_number, state)
        self.progress(Progress(take_number=take_number, done=0.02, message="comfyui: queued"))

    def _upload(self) -> dict[str, str]:
        """Keyframes and references up to the server's input folder, named by content."""
        wanted = {"first_frame": self.request.first_frame, "last_frame": self.request.last_frame}
        refs = [p for c in self.request.characters for p in c.references]
        if refs:
            wanted["reference"] = refs[0]
        out = {}
        for role, path in wanted.items():
            if path is None or role not in self.plan.inputs:
                continue
            digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]
            out[role] = self.client.upload_image(Path(path), f"shotcraft-{digest}{Path(path).suffix}")
        return out

    def _wait(self, take_number: int, state: dict[str, Any]) -> dict[str, Any]:
        """Follow the prompt on the websocket (progress), with /history as the word on its end."""
        prompt_id = state["prompt_id"]
        deadline = time.monotonic() + self.s.max_run_seconds
        last_poll = 0.0
        try:
            events = self.client.events(self.client_id, timeout=self.s.event_timeout)
            socket = events.__enter__()
        except Exception:  # noqa: BLE001 - no websocket: history polls alone
            events, socket = None, iter(())
        try:
            while True:
                if self.cancel.is_set():
                    self._withdraw(take_number, state)
                    raise _Cancelled
                message = next(socket, None)
                if message is not None:
                    data = message.get("data") or {}
                    if data.get("prompt_id") == prompt_id and message.get("type") == "progress":
                        done = data.get("value", 0) / max(1, data.get("max", 1))
                        self.progress(Progress(take_number=take_number, done=0.05 + 0.9 * done,
                                               message=f"comfyui: step {data.get('value')}/"
                                                       f"{data.get('max')}"))
                    if not (data.get("prompt_id") == prompt_id and message.get("type") in (
                            "execution_success", "execution_error", "execution_interrupted")):
                        continue
                elif time.monotonic() - last_poll < self.s.poll_interval:
                    socket = iter(())  # the socket is gone: poll
                    if self.cancel.wait(min(self.s.poll_interval, 0.2)):
                        continue
                last_poll = time.monotonic()
                entry = self.client.history(prompt_id)
                if entry is not None and (entry.get("status") or {}).get("status_str"):
                    return entry
                self._say_place(take_number, prompt_id)
                if time.monotonic() > deadline:
                    raise _Stop(f"ComfyUI prompt {prompt_id} was still running after "
                                f"{self.s.max_run_seconds:.0f} s; draw again later to resume it.")
        finally:
            if events is not None:
                events.__exit__(None, None, None)

    def _say_place(self, take_number: int, prompt_id: str) -> None:
        """While the prompt waits behind others in the server's queue, say how many."""
        running, pending = self.client.queue()
        if prompt_id in pending:
            ahead = len(running) + pending.index(prompt_id)
            self.progress(Progress(take_number=take_number, done=0.02,
                                   message=f"comfyui: queued, {ahead} ahead"))

    def _withdraw(self, take_number: int, state: dict[str, Any]) -> None:
        """Cancel: a pending prompt leaves the queue, the running one is interrupted (only if it
        is ours); nothing is left to resume."""
        try:
            running, pending = self.client.queue()
            if state["prompt_id"] in pending:
                self.client.delete_queued([state["prompt_id"]])
            elif state["prompt_id"] in running:
                self.client.interrupt()
        except (ComfyUnreachable, ComfyRefused):
            return
        state.clear()
        self._save(take_number, state)

    def _failure(self, take_number: int, status: dict[str, Any]) -> str:
        for kind, data in status.get("messages") or []:
            if kind == "execution_error":
                return (f"ComfyUI failed take {take_number} at node {data.get('node_id')} "
                        f"({data.get('node_type')}): {data.get('exception_type')}: "
                        f"{str(data.get('exception_message')).strip()}")
            if kind == "execution_interrupted":
                return f"ComfyUI take {take_number} was interrupted on the server."
        return f"ComfyUI ended take {take_number} with status {status.get('status_str')}."

    def _fetch(self, take_number: int, outputs: dict[str, Any]) -> Path:
        """The take's video from the history outputs: a saved video, or an image sequence."""
        files: list[dict[str, Any]] = []
        for node_output in outputs.values():
            for key in ("videos", "gifs", "images"):
                files += [f for f in node_output.get(key) or [] if isinstance(f, dict)]
        videos = [f for f in files if str(f.get("filename", "")).lower().endswith(VIDEO_SUFFIXES)]
        final = self.out_dir / f"{self.request.shot_id}-t{take_number}.mp4"
        if videos:
            part = final.with_suffix(".part")
            self.client.view(videos[0], part)
            part.replace(final)
            return final
        frames = sorted((f for f in files if str(f.get("filename", "")).lower().endswith(
            IMAGE_SUFFIXES) and f.get("type", "output") == "output"),
            key=lambda f: (f.get("subfolder") or "", f["filename"]))
        if len(frames) < 2:
            raise _Stop(f"ComfyUI finished take {take_number} but saved no video or image "
                        "sequence; end the workflow in SaveVideo or SaveImage.")
        folder = self.out_dir / f"t{take_number}-frames"
        folder.mkdir(exist_ok=True)
        for index, item in enumerate(frames):
            self.client.view(item, folder / f"{index:06d}{Path(item['filename']).suffix.lower()}")
        suffix = Path(frames[0]["filename"]).suffix.lower()
        ffmpeg.run(["-v", "error", "-y", "-framerate", f"{self.plan.fps:g}", "-i",
                    str(folder / f"%06d{suffix}"), "-c:v", "libx264", "-preset", "veryfast",
                    "-crf", "18", "-pix_fmt", "yuv420p", "-r", f"{self.plan.fps:g}",
                    str(final)], what=f"joining take {take_number}'s frames", error=EngineError)
        return final
