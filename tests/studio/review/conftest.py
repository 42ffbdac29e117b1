"""The example project drawn on previz, a review server on it, and the system's Chromium.

The browser is Debian's `chromium` (scripts/setup-system.sh installs it), driven by
Playwright's Python package through `executable_path`; nothing is ever downloaded.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from shotcraft.projects import Project
from shotcraft.projects.draw import Draw
from shotcraft.studio.demo import example_path
from shotcraft.studio.review import ReviewServer

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--autoplay-policy=no-user-gesture-required"]
TWO_TAKES = "E01-S01-002"  # drawn twice: compare and pick
ONE_TAKE = "E01-S01-003"


@pytest.fixture(scope="session")
def example_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled example (契约新娘) imported, episode 1 drawn on previz (one take a shot, two
    of TWO_TAKES), nothing picked. Tests that write use `project_dir`, a copy."""
    folder = tmp_path_factory.mktemp("example") / "contract-bride"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SHOTCRAFT_PREVIZ_SCALE", "0.1")
        project = Project.create(folder, title="契约新娘")
        try:
            project.import_script(example_path())
            assert project.draw(Draw(episode=1, takes=1)).failed == 0
            assert project.draw(Draw(shots=[TWO_TAKES], takes=1)).failed == 0
        finally:
            project.close()
    return folder


@pytest.fixture
def project_dir(example_dir: Path, tmp_path: Path) -> Path:
    target = tmp_path / "contract-bride"
    # without the renditions other tests' pages made in the shared example: each test sees
    # only the posters and proxies it made itself
    shutil.copytree(example_dir, target, ignore=shutil.ignore_patterns("review"))
    return target


@contextlib.contextmanager
def serving(folder: Path, **options: Any) -> Iterator[ReviewServer]:
    """A review server on `folder` at a free port, in a thread, for the block."""
    project = Project.open(folder)
    try:
        server = ReviewServer(project, port=0, **options)
        with server.running():
            yield server
    finally:
        project.close()


def wait_until(page: Any, expression: str, timeout: float = 15.0) -> Any:
    """Poll a JavaScript expression until it is truthy (Playwright's own wait_for_function
    evaluates strings, which the page's Content-Security-Policy rightly forbids)."""
    deadline = time.monotonic() + timeout
    while True:
        value = page.evaluate(expression)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout} s: {expression}")
        page.wait_for_timeout(50)


def base_url(server: ReviewServer) -> str:
    return f"http://127.0.0.1:{server.port}"


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """A headless Chromium context with a fresh profile (Debian's binary, never a download).

    Module-scoped: Playwright's sync API runs an event loop while it is open, so it must close
    before another module's asyncio tests (the studio's Pilot tests) run in the same process."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make system` (scripts/setup-system.sh installs "
                    "Debian's chromium).")
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="shotcraft-chromium-")
    try:
        with sync_playwright() as driver:
            context = driver.chromium.launch_persistent_context(
                profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
                viewport={"width": 1366, "height": 768})
            try:
                yield context
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    chromium.clear_cookies()
    tab = chromium.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.set_default_timeout(15_000)
    yield tab
    tab.close()
    assert errors == [], f"the page raised: {errors}"
