"""The review page: a Starlette app over one project (`shotcraft review DIR`).

Pages are rendered on the server (Jinja2, autoescaped: script text is data), take media is
served by id (`/media/SHOT/TAKE/KIND`, never by a path from the address) with HTTP ranges, and
`/events` streams live updates. Every answer passes `AccessMiddleware` first (access.py).
"""

from __future__ import annotations

import contextlib
import logging
import mimetypes
import threading
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from sse_starlette.sse import EventSourceResponse
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from shotcraft.projects import Project
from shotcraft.shots.errors import ProjectError, ShotcraftError, user_error
from shotcraft.shots.models import Take
from shotcraft.studio.review import pages
from shotcraft.studio.review.access import Access, AccessMiddleware
from shotcraft.studio.review.drawing import draw_more
from shotcraft.studio.review.live import Changes
from shotcraft.studio.views import plan_json

log = logging.getLogger("shotcraft.review")
STATIC = {"review.css": "text/css", "review.js": "text/javascript", "icon.svg": "image/svg+xml"}
MEDIA_KINDS = ("original", "proxy", "poster")
MAX_DRAW = 20  # takes one press of "draw" may ask for


class Review:
    """One running review: the project, its access rules, live updates and background work."""

    def __init__(self, project: Project, access: Access) -> None:
        self.project = project
        self.access = access
        self.changes = Changes(project)
        self.templates = Environment(
            loader=PackageLoader("shotcraft.studio.review", "templates"),
            autoescape=select_autoescape(default=True, default_for_string=True),
        )
        self.static = {name: resources.files("shotcraft.studio.review").joinpath("static", name)
                       .read_bytes() for name in STATIC}
        self.proxies = ThreadPoolExecutor(max_workers=1, thread_name_prefix="review-proxy")
        self._queued: set[str] = set()
        self._queued_lock = threading.Lock()
        self.drawing: threading.Thread | None = None
        self.draw_cancel = threading.Event()

    @property
    def writable(self) -> bool:
        return not (self.access.read_only or self.project.read_only)

    # -- pages -------------------------------------------------------------------------

    def page(self, request: Request, template: str, **context: Any) -> HTMLResponse:
        html = self.templates.get_template(template).render(
            request=request, writable=self.writable, token=self.access.token,
            project_title=self.project.title,
            aspect=self.project.aspect.replace(":", "x"), **context)
        return HTMLResponse(html, headers={"cache-control": "no-store"})

    def grid(self, request: Request) -> Response:
        episodes = self.project.episodes()
        if not episodes:
            return self.page(request, "empty.html", episodes=[])
        try:
            episode = int(request.query_params.get("episode", episodes[0]))
        except ValueError:
            raise HTTPException(404) from None
        if episode not in episodes:
            raise HTTPException(404)
        return self.page(request, "grid.html", **pages.grid(self.project, episode))

    def shot(self, request: Request) -> Response:
        context = _found(pages.shot_page, self.project, request.path_params["shot"])
        return self.page(request, "shot.html", **context)

    def compare(self, request: Request) -> Response:
        try:
            numbers = [int(n) for n in request.query_params.get("takes", "").split(",") if n][:4]
        except ValueError:
            raise HTTPException(404) from None
        context = _found(pages.compare_page, self.project, request.path_params["shot"], numbers)
        if len(context["compared"]) < 2:
            return RedirectResponse(f"/shot/{pages.quote(context['shot'].id, safe='')}", 303)
        return self.page(request, "compare.html", **context)

    def episode(self, request: Request) -> Response:
        episode = request.path_params["episode"]
        if episode not in self.project.episodes():
            raise HTTPException(404)
        return self.page(request, "episode.html", **pages.episode_page(self.project, episode))

    # -- media -------------------------------------------------------------------------

    def media(self, request: Request) -> Response:
        kind = request.path_params["kind"]
        if kind not in MEDIA_KINDS:
            raise HTTPException(404)
        take = self._take(request.path_params["shot"], request.path_params["take"])
        try:  # a take whose file (or a folder on the way) is a link out of the project: refused
            original = self._inside(self.project.take_path(take))
            if original is None:
                raise HTTPException(404)
            if kind == "poster":
                path = self._rendition(take, "poster")
            elif kind == "proxy":
                path = self._inside(self.project.rendition(take, "proxy", make=False)) or original
                if path == original:
                    self.make_proxy(take)
            else:
                path = original
        except ShotcraftError:
            raise HTTPException(404) from None
        if path is None:
            raise HTTPException(404)
        media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        # content-addressed: a take's file (and its renditions) never change under one address
        cache = "private, max-age=86400" if path != original or kind == "original" else "no-store"
        return FileResponse(path, media_type=media_type, headers={"cache-control": cache})

    def _take(self, shot_id: str, number: int) -> Take:
        try:
            views = self.project.takes(shot_id)
        except ShotcraftError:
            raise HTTPException(404) from None
        take = next((v.take for v in views if v.take.number == number), None)
        if take is None or not take.media_path:
            raise HTTPException(404)
        return take

    def _inside(self, path: Path | None) -> Path | None:
        """`path` if it is a file inside the project (links resolved), else None."""
        if path is None:
            return None
        real = path.resolve()
        root = self.project.root.resolve()
        if root not in real.parents or not real.is_file():
            return None
        return real

    def _rendition(self, take: Take, kind: str) -> Path | None:
        try:
            return self._inside(self.project.rendition(take, kind))
        except ShotcraftError as exc:
            log.warning("%s", exc)
            return None

    def make_proxy(self, take: Take) -> None:
        """Make the take's proxy in the background (once); pages hear of it when it is there."""
        key = take.media_path or ""
        with self._queued_lock:
            if key in self._queued:
                return
            self._queued.add(key)

        def make() -> None:
            try:
                self.project.rendition(take, "proxy")
                self.changes.announce("change")
            except (ShotcraftError, OSError) as exc:
                log.warning("%s", exc)
            finally:
                with self._queued_lock:
                    self._queued.discard(key)

        self.proxies.submit(make)

    def static_file(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in STATIC:
            raise HTTPException(404)
        return Response(self.static[name], media_type=STATIC[name],
                        headers={"cache-control": "no-cache"})

    # -- changes -----------------------------------------------------------------------

    async def write(self, request: Request) -> Response:
        """POST /api/ACTION with a JSON body: pick, unpick, reject, unreject, plan, draw."""
        action = request.path_params["action"]
        try:
            body = await request.json()
            if not isinstance(body, dict):
                raise ValueError
        except ValueError:
            return _sentence(400, "The request's body is not a JSON object.")
        handler = getattr(self, f"_{action}", None)
        if action not in ("pick", "unpick", "reject", "unreject", "plan", "draw") or handler is None:
            raise HTTPException(404)
        try:
            answer = await run_in_threadpool(handler, body)
        except (ShotcraftError, OSError) as exc:
            error = user_error(exc, project=self.project.root)
            if error is None:
                raise
            return _sentence(409 if "already" in error.message else 400, error.message)
        except (KeyError, TypeError, ValueError):
            return _sentence(400, f"{action} needs the shot and the take.")
        if action not in ("plan",):
            self.changes.announce("change")
        return JSONResponse(answer)

    def _pick(self, body: dict[str, Any]) -> dict[str, Any]:
        shot_id, number = str(body["shot"]), int(body["take"])
        self.project.pick(shot_id, number)
        return {"message": f"Picked take {number} of {shot_id}."}

    def _unpick(self, body: dict[str, Any]) -> dict[str, Any]:
        self.project.unpick(str(body["shot"]))
        return {"message": f"{body['shot']} has no pick now."}

    def _reject(self, body: dict[str, Any]) -> dict[str, Any]:
        shot_id, number = str(body["shot"]), int(body["take"])
        reason = body.get("reason") or None
        self.project.reject(shot_id, number, reason)
        why = f" ({reason})" if reason else ""
        return {"message": f"Rejected take {number} of {shot_id}{why}."}

    def _unreject(self, body: dict[str, Any]) -> dict[str, Any]:
        shot_id, number = str(body["shot"]), int(body["take"])
        self.project.unreject(shot_id, number)
        return {"message": f"Took back the reject of take {number} of {shot_id}."}

    def _draw_count(self, body: dict[str, Any]) -> tuple[str, int]:
        count = int(body.get("takes", 3))
        if not 1 <= count <= MAX_DRAW:
            raise ValueError
        return str(body["shot"]), count

    def _plan(self, body: dict[str, Any]) -> dict[str, Any]:
        shot_id, count = self._draw_count(body)
        plan = draw_more(self.project, shot_id, count, dry_run=True)
        cost = ("no credits (drawn on this machine)" if plan.credits is None
                else f"{plan.credits:g} credits")
        notes = [n for entry in plan.shots for n in (*entry.downgrades, *entry.notes)]
        sentence = f"{plan.takes} takes of {shot_id} on {plan.engine}: {cost}."
        return {"plan": plan_json(plan), "sentence": " ".join([sentence, *notes])}

    def _draw(self, body: dict[str, Any]) -> dict[str, Any]:
        shot_id, count = self._draw_count(body)
        if self.drawing is not None and self.drawing.is_alive():
            raise ProjectError("takes are already drawing from this page; wait for them.")
        draw_more(self.project, shot_id, count, dry_run=True)  # a refusal says so now

        def on_event(event: Any) -> None:
            self.changes.announce("draw", event.model_dump())

        def run() -> None:
            try:
                summary = draw_more(self.project, shot_id, count, dry_run=False,
                                    on_event=on_event, cancel=self.draw_cancel)
                message = f"drew {summary.done} takes of {shot_id}, {summary.failed} failed"
            except Exception as exc:  # noqa: BLE001 - said on the page, the server stays up
                error = user_error(exc, project=self.project.root)
                message = error.message if error else f"the draw hit a bug: {exc}"
                log.exception("draw of %s failed", shot_id)
            self.changes.announce("draw", {"kind": "finished", "message": message,
                                           "shot_id": shot_id})
            self.changes.announce("change")

        self.drawing = threading.Thread(target=run, name="review-draw", daemon=True)
        self.drawing.start()
        return {"message": f"Drawing {count} takes of {shot_id}…"}

    async def events(self, request: Request) -> Response:
        return EventSourceResponse(self.changes.stream(), ping=15)

    # -- lifecycle -----------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Starlette) -> AsyncIterator[None]:
        await self.changes.start()
        try:
            yield
        finally:
            self.draw_cancel.set()
            await self.changes.stop()
            self.proxies.shutdown(wait=False, cancel_futures=True)


def _found(build: Any, *args: Any) -> dict[str, Any]:
    try:
        return build(*args)
    except ProjectError:
        raise HTTPException(404) from None


def _sentence(status: int, sentence: str) -> JSONResponse:
    return JSONResponse({"error": sentence}, status_code=status)


async def _not_found(request: Request, exc: Exception) -> Response:
    status = getattr(exc, "status_code", 404)
    return Response("Not found." if status == 404 else "Refused.", status_code=status,
                    media_type="text/plain")


def make_app(project: Project, access: Access | None = None) -> Starlette:
    """The review app over an open project (the caller closes it)."""
    review = Review(project, access or Access())
    routes = [
        Route("/", review.grid),
        Route("/shot/{shot}", review.shot),
        Route("/shot/{shot}/compare", review.compare),
        Route("/episode/{episode:int}", review.episode),
        Route("/media/{shot}/{take:int}/{kind}", review.media),
        Route("/static/{name}", review.static_file),
        Route("/events", review.events),
        Route("/api/{action}", review.write, methods=["POST"]),
    ]
    app = Starlette(routes=routes, lifespan=review.lifespan,
                    middleware=[Middleware(AccessMiddleware, access=review.access)],
                    exception_handlers={HTTPException: _not_found})
    app.state.review = review
    return app
