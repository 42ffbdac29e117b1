"""`shotcraft board DIR --web`: the studio itself served to a browser through textual-serve.

The command runs as a user starts it (a real process on a free port); the test speaks to it as a
browser does — the page over HTTP, then the terminal's websocket, from which the studio's own
screen arrives (the shots of the imported script). Off this machine the token gates every request.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from shotcraft.projects import Project

SCRIPT = """\
第1集

1-1 咖啡馆 日 内

林晚：你来晚了。
陈默：路上堵车。
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("board") / "cafe"
    script = target.parent / "cafe.txt"
    script.write_text(SCRIPT, encoding="utf-8")
    project = Project.create(target, title="咖啡馆")
    try:
        project.import_script(script)
    finally:
        project.close()
    return target


@contextlib.contextmanager
def board_web(folder: Path, *extra: str) -> Iterator[tuple[int, str]]:
    """`shotcraft board FOLDER --web` on a free port; yields the port and the first line it
    printed (the link). The whole process group is stopped afterwards: textual-serve runs one
    studio process per tab, and none may outlive the test."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "shotcraft.studio.cli", "board", str(folder), "--web",
         "--port", str(port), *extra],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            if process.poll() is not None or time.monotonic() > deadline:
                rest = process.stdout.read() if process.poll() is not None else ""
                raise AssertionError(f"board --web did not start: {first}{rest}")
            time.sleep(0.1)
        yield port, first
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


async def screen_text(url: str, cookies: dict[str, str], want: str, timeout: float = 40) -> str:
    """What the studio paints through the page's websocket until `want` appears in it."""
    import aiohttp

    seen = b""
    async with aiohttp.ClientSession(cookies=cookies) as session, \
            session.ws_connect(url) as socket_:
        await socket_.send_json(["resize", {"width": 120, "height": 40}])
        deadline = time.monotonic() + timeout
        while want.encode() not in re.sub(rb"\x1b\[[0-9;?]*[A-Za-z]", b"", seen):
            left = deadline - time.monotonic()
            if left <= 0:
                break
            with contextlib.suppress(asyncio.TimeoutError):
                message = await socket_.receive(timeout=left)
                if message.type == aiohttp.WSMsgType.BINARY:
                    seen += message.data
                elif message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED,
                                      aiohttp.WSMsgType.ERROR):
                    break
    return re.sub(rb"\x1b\[[0-9;?]*[A-Za-z]", b"", seen).decode("utf-8", "replace")


def test_the_studio_opens_in_a_browser_on_this_machine(folder: Path) -> None:
    with board_web(folder) as (port, first):
        assert first.strip() == f"studio of {folder}: http://127.0.0.1:{port}/"
        page = httpx.get(f"http://127.0.0.1:{port}/", timeout=10)
        assert page.status_code == 200
        assert f"ws://127.0.0.1:{port}/ws" in page.text  # the page connects to its own terminal
        # the studio itself runs behind the page: its screen lists the imported shots
        text = asyncio.run(screen_text(f"ws://127.0.0.1:{port}/ws?width=120&height=40", {},
                                       "E01-S01-001"))
        assert "E01-S01-001" in text
        # a page from another site renaming itself to 127.0.0.1 is refused
        rebound = httpx.get(f"http://127.0.0.1:{port}/", headers={"Host": "evil.example:80"},
                            timeout=10)
        assert rebound.status_code == 403


def test_off_this_machine_every_request_needs_the_token(folder: Path) -> None:
    with board_web(folder, "--host", "0.0.0.0") as (port, first):
        link = first.split(": ", 1)[1].strip()
        token = link.split("token=", 1)[1]
        base = f"http://127.0.0.1:{port}"
        assert httpx.get(f"{base}/", timeout=10).status_code == 401
        assert httpx.get(f"{base}/?token=wrong", timeout=10).status_code == 401
        assert httpx.get(f"{base}/ws", timeout=10).status_code == 401
        with httpx.Client(base_url=base, timeout=10) as browser:
            first_visit = browser.get(f"/?token={token}")
            assert first_visit.status_code == 303  # the token becomes a cookie, the address loses it
            assert "token" not in first_visit.headers["location"]
            assert browser.get("/").status_code == 200
            cookies = dict(browser.cookies)
        text = asyncio.run(screen_text(f"ws://127.0.0.1:{port}/ws?width=120&height=40",
                                       cookies, "E01-S01-001"))
        assert "E01-S01-001" in text


def test_a_folder_that_is_no_project_is_one_sentence(tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, "-m", "shotcraft.studio.cli", "board", str(tmp_path),
                          "--web", "--port", str(free_port())],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 1
    assert run.stderr.strip().startswith("error:")
    assert len(run.stderr.strip().splitlines()) == 1
