"""The review page in a real browser (Debian's headless Chromium): what a director sees and does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from shotcraft.projects import Project
from tests.studio.conftest import invoke
from tests.studio.review.conftest import ONE_TAKE, TWO_TAKES, base_url, serving, wait_until

FPS = 30


def _shot_ids(folder: Path, episode: int) -> list[str]:
    project = Project.open(folder)
    try:
        return [shot.id for shot in project.shots(episode=episode)]
    finally:
        project.close()


def _picked(folder: Path, shot_id: str) -> list[int]:
    result = invoke("takes", folder, shot_id, "--json")
    assert result.exit_code == 0, result.output
    return [row["take"] for row in json.loads(result.output) if row["picked"]]


def test_the_grid_shows_every_shot_of_the_example(example_dir: Path, page: Any) -> None:
    with serving(example_dir) as server:
        page.goto(base_url(server) + "/")
        cards = page.eval_on_selector_all(".card", "cards => cards.map(c => c.dataset.key)")
        assert cards == _shot_ids(example_dir, 1)
        # every drawn shot shows its poster, loaded (not a broken image)
        wait_until(page, "[...document.querySelectorAll('.card img')]"
                               ".every(img => img.complete && img.naturalWidth > 0)")
        assert page.locator(".card img").count() == len(cards)
        # the script's words are on the cards as written
        assert "林晚" in page.inner_text("main")
        page.click("nav.episodes >> text=E02")
        page.wait_for_url("**/?episode=2")
        later = page.eval_on_selector_all(".card", "cards => cards.map(c => c.dataset.key)")
        assert later == _shot_ids(example_dir, 2)
        assert page.locator(".card .slate").count() == len(later)  # nothing drawn there yet


def test_a_take_plays_and_seeks(example_dir: Path, page: Any) -> None:
    with serving(example_dir) as server:
        page.goto(f"{base_url(server)}/shot/{TWO_TAKES}")
        video = '.take[data-take="1"] video'
        page.focus('.take[data-take="1"]')  # focus (or hover) plays it, muted
        wait_until(page, f"document.querySelector('{video}').currentTime > 0.3")
        assert page.evaluate(f"document.querySelector('{video}').muted") is True
        page.keyboard.press("Space")  # pause
        assert page.evaluate(f"document.querySelector('{video}').paused") is True
        page.keyboard.press("m")  # sound on demand: unmuted, playing again
        wait_until(page, f"!document.querySelector('{video}').muted && !document.querySelector('{video}').paused")
        # seek: the play head lands where asked and a frame is drawn there
        landed = page.evaluate(f"""async () => {{
            const v = document.querySelector('{video}');
            v.pause();
            const target = v.duration * 0.75;
            await new Promise(done => {{ v.addEventListener('seeked', done, {{once: true}}); v.currentTime = target; }});
            // a frame is drawn there: presented to the screen (or, headless, decoded)
            await Promise.race([new Promise(done => v.requestVideoFrameCallback(done)),
                                new Promise(done => setTimeout(done, 2000))]);
            const canvas = document.createElement('canvas');
            canvas.width = v.videoWidth; canvas.height = v.videoHeight;
            const ctx = canvas.getContext('2d');
            ctx.drawImage(v, 0, 0);
            const pixels = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
            let lit = 0;
            for (let i = 0; i < pixels.length; i += 4) lit += pixels[i] + pixels[i + 1] + pixels[i + 2] > 60;
            return {{target, at: v.currentTime, lit: lit / (pixels.length / 4), width: v.videoWidth}};
        }}""")
        assert abs(landed["at"] - landed["target"]) < 1 / FPS
        assert landed["width"] > 0 and landed["lit"] > 0.5


def test_compare_keeps_two_players_in_sync_within_one_frame(example_dir: Path, page: Any) -> None:
    with serving(example_dir) as server:
        page.goto(f"{base_url(server)}/shot/{TWO_TAKES}/compare?takes=1,2")
        wait_until(page, "[...document.querySelectorAll('.compare video')]"
                               ".every(v => v.readyState >= 3)")
        page.keyboard.press("Space")
        wait_until(page, "document.querySelector('.compare video').currentTime > 0.2")
        drift = []
        for _ in range(12):
            times = page.eval_on_selector_all(".compare video", "vs => vs.map(v => v.currentTime)")
            drift.append(abs(times[0] - times[1]))
            page.wait_for_timeout(80)
        assert max(drift) < 1 / FPS, drift
        page.keyboard.press("Space")  # pause on one play head
        page.keyboard.press("Period")  # a frame on
        page.wait_for_timeout(300)
        before = page.eval_on_selector_all(".compare video", "vs => vs.map(v => v.currentTime)")
        page.keyboard.press("Period")
        wait_until(page, f"[...document.querySelectorAll('.compare video')]"
                               f".every(v => v.currentTime > {before[0]} + 0.5 / {FPS})")
        after = page.eval_on_selector_all(".compare video", "vs => vs.map(v => v.currentTime)")
        assert abs(after[0] - after[1]) < 1 / FPS
        assert abs((after[0] - before[0]) - 1 / FPS) < 0.5 / FPS  # exactly one frame


def test_pressing_2_picks_take_2_and_the_cli_sees_the_pick(project_dir: Path, page: Any) -> None:
    assert _picked(project_dir, TWO_TAKES) == []
    with serving(project_dir) as server:
        page.goto(f"{base_url(server)}/shot/{TWO_TAKES}")
        page.keyboard.press("2")
        page.wait_for_selector('.take.picked[data-take="2"]')
        assert _picked(project_dir, TWO_TAKES) == [2]
        # x rejects the focused take with a reason chosen by its key
        page.focus('.take[data-take="1"]')
        page.keyboard.press("x")
        page.keyboard.press("5")  # continuity
        page.wait_for_selector('.take.rejected[data-take="1"]')
    rows = json.loads(invoke("takes", project_dir, TWO_TAKES, "--json").output)
    assert [(r["take"], r["reject_reason"]) for r in rows if r["rejected"]] == [(1, "continuity")]


def test_a_draw_started_in_the_cli_appears_on_the_open_page(project_dir: Path, page: Any) -> None:
    with serving(project_dir) as server:
        page.goto(f"{base_url(server)}/shot/{ONE_TAKE}")
        page.evaluate("window.stillThisPage = true")
        assert page.locator(".take[data-take]").count() == 1
        env = {**os.environ, "SHOTCRAFT_PREVIZ_SCALE": "0.1"}
        drawn = subprocess.run(
            [sys.executable, "-m", "shotcraft.studio.cli", "render", str(project_dir),
             "--shot", ONE_TAKE, "--takes", "1"], env=env, capture_output=True, text=True,
            timeout=120, check=False)
        assert drawn.returncode == 0, drawn.stderr
        page.wait_for_selector('.take[data-take="2"] video', timeout=20_000)
        assert page.evaluate("window.stillThisPage") is True  # updated in place, not reloaded


def test_the_draw_on_the_page_shows_its_price_first(project_dir: Path, page: Any) -> None:
    with serving(project_dir) as server:
        page.goto(f"{base_url(server)}/shot/{ONE_TAKE}")
        page.fill('input[name="takes"]', "1")
        page.keyboard.press("Escape")  # leave the field: keys are the page's again
        page.focus('.take[data-take="1"]')
        page.keyboard.press("d")
        page.wait_for_selector("#price[open]")
        assert "1 takes of E01-S01-003 on previz: no credits" in page.inner_text("#price")
        assert page.locator(".take[data-take]").count() == 1  # nothing drawn before yes
        page.keyboard.press("Enter")
        page.wait_for_selector('.take[data-take="2"] video', timeout=30_000)


def test_the_token_is_required_off_localhost(project_dir: Path, page: Any) -> None:
    with serving(project_dir, host="0.0.0.0") as server:
        base = f"http://127.0.0.1:{server.port}"
        denied = page.goto(base + "/")
        assert denied is not None and denied.status == 401
        assert "needs its link with the token" in page.inner_text("body")
        assert page.goto(base + "/?token=not-it").status == 403
        assert page.goto(f"{base}/media/{TWO_TAKES}/1/original").status == 401
        shown = page.goto(f"{base}/?token={server.access.token}")
        assert shown is not None and shown.status == 200
        assert "token" not in page.url  # the cookie carries it from here on
        page.goto(f"{base}/shot/{TWO_TAKES}")
        page.keyboard.press("2")
        page.wait_for_selector('.take.picked[data-take="2"]')
    assert _picked(project_dir, TWO_TAKES) == [2]


def test_a_read_only_link_shows_takes_and_changes_nothing(project_dir: Path, page: Any) -> None:
    with serving(project_dir, host="0.0.0.0", read_only=True) as server:
        base = f"http://127.0.0.1:{server.port}"
        page.goto(f"{base}/shot/{TWO_TAKES}?token={server.access.token}")
        assert page.locator(".take video").count() == 2
        assert page.locator('[data-action="pick"]').count() == 0
        page.keyboard.press("2")
        page.wait_for_selector("#status.error")
        assert "read-only" in page.inner_text("#status")
        # the write itself, sent by hand with the token, is refused too
        status = page.evaluate(f"""async () => (await fetch('/api/pick', {{method: 'POST',
            headers: {{'content-type': 'application/json', 'x-shotcraft-token': '{server.access.token}'}},
            body: JSON.stringify({{shot: '{TWO_TAKES}', take: 2}})}})).status""")
        assert status == 403
    assert _picked(project_dir, TWO_TAKES) == []


def test_traversal_from_the_page_gets_404(example_dir: Path, page: Any) -> None:
    with serving(example_dir) as server:
        page.goto(base_url(server) + "/")
        statuses = page.evaluate("""async () => Promise.all([
            '/static/..%2f..%2fapp.py', '/static/%2e%2e%2f%2e%2e%2fshotcraft.db',
            '/media/..%2f..%2fshotcraft.db/1/original', '/media/E01-S01-001/1/..%2f..%2fshotcraft.db',
        ].map(async path => (await fetch(path)).status))""")
        assert statuses == [404, 404, 404, 404]
