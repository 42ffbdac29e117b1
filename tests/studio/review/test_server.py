"""The review server over HTTP: who gets in, what is served, ranges, renditions, escaping."""

from __future__ import annotations

import http.client
import os
import socket
import time
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from shotcraft.projects import Project
from shotcraft.studio.review import Access, make_app
from shotcraft.studio.review.serve import ReviewServer
from tests.studio.hostile import HOSTILE_LINES, hostile_project
from tests.studio.review.conftest import TWO_TAKES, serving

SECRET = "top-secret-outside-the-project"


def _client(folder: Path, **access: object) -> tuple[TestClient, Project]:
    project = Project.open(folder)
    app = make_app(project, Access(**access))  # type: ignore[arg-type]
    return TestClient(app, base_url="http://127.0.0.1:8765"), project


def _raw_get(port: int, target: str) -> tuple[int, bytes]:
    """GET `target` exactly as written (no client normalises `..` or `%2f` away)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                     "Connection: close\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def test_pages_and_media_need_nothing_on_this_machine(example_dir: Path) -> None:
    client, project = _client(example_dir)
    try:
        with client:
            assert client.get("/").status_code == 200
            grid = client.get("/")
            assert grid.headers["content-security-policy"].startswith("default-src 'self'")
            assert grid.headers["referrer-policy"] == "no-referrer"
            assert client.get(f"/shot/{TWO_TAKES}").status_code == 200
            assert client.get("/episode/1").status_code == 200
            # a page named by another host (DNS rebinding) is refused
            assert client.get("/", headers={"host": "evil.example:8765"}).status_code == 403
    finally:
        project.close()


def test_writes_need_the_pages_token_and_a_writable_link(project_dir: Path) -> None:
    client, project = _client(project_dir)
    try:
        with client:
            body = {"shot": TWO_TAKES, "take": 2}
            # another site in the same browser can send a form, never this header
            assert client.post("/api/pick", json=body).status_code == 403
            token = client.app.state.review.access.token  # type: ignore[attr-defined]
            picked = client.post("/api/pick", json=body, headers={"x-shotcraft-token": token})
            assert picked.status_code == 200, picked.text
            assert picked.json()["message"] == f"Picked take 2 of {TWO_TAKES}."
            assert project.shot(TWO_TAKES).picked_take == 2
            missing = client.post("/api/pick", json={"shot": TWO_TAKES, "take": 9},
                                  headers={"x-shotcraft-token": token})
            assert missing.status_code == 400 and "take 9" in missing.json()["error"]
    finally:
        project.close()
    client, project = _client(project_dir, read_only=True)
    try:
        with client:
            token = client.app.state.review.access.token  # type: ignore[attr-defined]
            refused = client.post("/api/unpick", json={"shot": TWO_TAKES},
                                  headers={"x-shotcraft-token": token})
            assert refused.status_code == 403 and "read-only" in refused.text
            assert project.shot(TWO_TAKES).picked_take == 2
            assert 'name="shotcraft-token" content=""' in client.get(f"/shot/{TWO_TAKES}").text
    finally:
        project.close()


def test_off_this_machine_every_request_needs_the_token(example_dir: Path) -> None:
    client, project = _client(example_dir, host="0.0.0.0")
    access = client.app.state.review.access  # type: ignore[attr-defined]
    try:
        with client:
            for path in ("/", f"/shot/{TWO_TAKES}", f"/media/{TWO_TAKES}/1/original",
                         "/static/review.js", "/events"):
                assert client.get(path).status_code == 401, path
            first = client.get(f"/shot/{TWO_TAKES}?token={access.token}", follow_redirects=False)
            assert first.status_code == 303 and first.headers["location"] == f"/shot/{TWO_TAKES}"
            cookie = first.headers["set-cookie"]
            assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
            assert client.get(f"/shot/{TWO_TAKES}").status_code == 200  # by the cookie now
            client.cookies.clear()
            client.cookies.set(access.cookie, "guessed")
            assert client.get("/").status_code == 401
    finally:
        project.close()


def test_media_answers_ranges_and_renditions_are_made_once(project_dir: Path) -> None:
    client, project = _client(project_dir)
    try:
        with client:
            whole = client.get(f"/media/{TWO_TAKES}/1/original")
            assert whole.status_code == 200 and whole.headers["accept-ranges"] == "bytes"
            part = client.get(f"/media/{TWO_TAKES}/1/original", headers={"range": "bytes=100-199"})
            assert part.status_code == 206
            assert part.headers["content-range"] == f"bytes 100-199/{len(whole.content)}"
            assert part.content == whole.content[100:200]
            poster = client.get(f"/media/{TWO_TAKES}/1/poster")
            assert poster.status_code == 200 and poster.content[:2] == b"\xff\xd8"  # a JPEG
            made = sorted((project_dir / "cache" / "review").glob("*-poster.jpg"))
            assert len(made) == 1
            stamp = made[0].stat().st_mtime_ns
            assert client.get(f"/media/{TWO_TAKES}/1/poster").content == poster.content
            assert made[0].stat().st_mtime_ns == stamp  # served from the cache, not made again
            # the proxy: the original until it exists (made in the background), then itself
            first = client.get(f"/media/{TWO_TAKES}/1/proxy")
            assert first.content == whole.content
            proxy = project_dir / "cache" / "review" / f"{made[0].name[:-len('-poster.jpg')]}-proxy.mp4"
            deadline = time.monotonic() + 60
            while not proxy.is_file() and time.monotonic() < deadline:
                time.sleep(0.1)
            assert proxy.is_file()
            assert client.get(f"/media/{TWO_TAKES}/1/proxy").content == proxy.read_bytes()
    finally:
        project.close()


def test_script_text_is_data_in_the_html(tmp_path: Path) -> None:
    folder = hostile_project(tmp_path)
    client, project = _client(folder)
    try:
        with client:
            html = "".join(client.get(f"/shot/{shot.id}").text for shot in project.shots())
            assert "<i>斜体</i>" not in html
            assert "&lt;i&gt;斜体&lt;/i&gt; 🦄" in html
            grid = client.get("/").text
            assert "[red]剧" in grid  # the title as written, markup-looking or not
            for line in HOSTILE_LINES:
                if "<" not in line:
                    assert line in html, line
    finally:
        project.close()


TRAVERSALS = [
    "/static/../app.py",
    "/static/..%2f..%2fapp.py",
    "/static/%2e%2e%2f%2e%2e%2fshotcraft.db",
    "/static/%2e%2e/%2e%2e/shotcraft.db",
    "/static/..%5c..%5capp.py",
    "/../shotcraft.db",
    "/%2e%2e/shotcraft.db",
    "//etc/passwd",
    "/media/..%2f..%2fshotcraft.db/1/original",
    "/media/%2e%2e/1/original",
    f"/media/{TWO_TAKES}/1/..%2f..%2f..%2fshotcraft.db",
    f"/media/{TWO_TAKES}%2f..%2f..%2fshotcraft.db/1/original",
    "/shot/..%2F..%2Fshotcraft.db",
    "/shot/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/episode/..%2f1",
]


def test_traversal_attempts_get_404_with_nothing_read(project_dir: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.mp4").write_text(SECRET)
    # a FIFO: opening it for reading would block, so a prompt 404 proves nothing opened it
    os.mkfifo(outside / "pipe.mp4")
    project = Project.open(project_dir)
    takes = [v.take for v in project.takes(TWO_TAKES)]
    first, second = (project.take_path(t) for t in takes)
    project.close()
    assert first is not None and second is not None
    first.unlink()
    first.symlink_to(outside / "secret.mp4")
    second.unlink()
    second.symlink_to(outside / "pipe.mp4")
    (project_dir / "media" / "escape").symlink_to(outside, target_is_directory=True)
    with serving(project_dir) as server:
        for target in [*TRAVERSALS, f"/media/{TWO_TAKES}/1/original",
                       f"/media/{TWO_TAKES}/1/poster", f"/media/{TWO_TAKES}/2/original",
                       f"/media/{TWO_TAKES}/2/proxy", "/static/escape"]:
            status, body = _raw_get(server.port, target)
            assert status in (404, 400), (target, status)
            assert SECRET.encode() not in body and b"SQLite format" not in body, target
        assert not list((project_dir / "cache").glob("review/*"))  # no rendition of them made


def test_a_port_in_use_is_one_sentence(example_dir: Path) -> None:
    project = Project.open(example_dir)
    try:
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen(1)
            port = taken.getsockname()[1]
            from shotcraft.shots.errors import ConfigError

            with pytest.raises(ConfigError, match=f"port {port} on 127.0.0.1 is already in use"):
                ReviewServer(project, port=port)
    finally:
        project.close()


def test_the_events_stream_says_when_another_process_changes_the_project(project_dir: Path) -> None:
    with serving(project_dir) as server:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        connection.request("GET", "/events")
        stream = connection.getresponse()
        assert stream.headers["content-type"].startswith("text/event-stream")
        assert b"event: hello" in stream.readline() + stream.readline()
        other = Project.open(project_dir)  # another connection: as the CLI would
        try:
            other.pick(TWO_TAKES, 1)
        finally:
            other.close()
        seen = b""
        deadline = time.monotonic() + 10
        while b"event: change" not in seen and time.monotonic() < deadline:
            seen += stream.readline()
        assert b"event: change" in seen
        connection.close()
