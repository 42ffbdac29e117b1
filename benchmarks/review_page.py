"""How fast the review page shows a 60-shot episode's grid and starts a take, in the browser.

Builds a 60-shot episode (a generated 剧本, one previz take a shot, posters made), serves it with
`shotcraft review`'s server and opens it in Debian's headless Chromium (Playwright through
`executable_path`). Measured in the browser:

- first paint: the Performance API's `first-contentful-paint` of the storyboard grid;
- play start: from `video.play()` to the `playing` event, on a shot page's take.

The baseline, in the same run: the very same page (HTML, CSS, JS, posters, the same clip) saved
to disk and opened from file://. Goals: grid first paint ≤ 1 s, play start ≤ 300 ms.

    .venv/bin/python benchmarks/review_page.py [shots] [runs]
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from shotcraft.projects import Project
from shotcraft.projects.draw import Draw
from shotcraft.studio.review import ReviewServer

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--autoplay-policy=no-user-gesture-required", "--allow-file-access-from-files"]
PAINT_GOAL_MS = 1000.0
PLAY_GOAL_MS = 300.0
FCP = """() => new Promise(done => {
    const seen = () => performance.getEntriesByName('first-contentful-paint')[0];
    if (seen()) return done(seen().startTime);
    new PerformanceObserver(() => seen() && done(seen().startTime)).observe({type: 'paint', buffered: true});
})"""
PLAY = """async (selector) => {
    const v = document.querySelector(selector);
    v.muted = true;
    if (v.readyState < 1) await new Promise(done => v.addEventListener('loadedmetadata', done, {once: true}));
    const started = performance.now();
    const playing = new Promise(done => v.addEventListener('playing', done, {once: true}));
    v.play();
    await playing;
    return performance.now() - started;
}"""


def script(shots: int) -> str:
    """One episode whose breakdown gives about `shots` shots (each scene gives four)."""
    lines = ["《千镜》", "", "第1集 第一回", ""]
    for index in range(max(1, shots // 4)):
        lines += [f"1-{index + 1} 日 内 办公室{index}", "人物：林晚、顾言",
                  f"△林晚把第{index}份文件摔在桌上。", f"顾言：这是第{index}次了。",
                  "林晚（冷笑）：你数得真清楚。", ""]
    return "\n".join(lines)


def build(folder: Path, shots: int) -> tuple[Project, list[str]]:
    text = folder.parent / "bench.txt"
    text.write_text(script(shots), encoding="utf-8")
    project = Project.create(folder, title="千镜")
    project.import_script(text)
    ids = [shot.id for shot in project.shots(episode=1)]
    print(f"episode 1: {len(ids)} shots; drawing one previz take each…", flush=True)
    started = time.perf_counter()
    project.draw(Draw(episode=1, takes=1))
    for views in project.takes_by_shot(episode=1).values():
        for view in views:
            project.rendition(view.take, "poster")  # made once, as a first visit would
    print(f"drawn and postered in {time.perf_counter() - started:.1f} s", flush=True)
    return project, ids


def save_to_disk(base: str, path: str, into: Path) -> Path:
    """The page at `path` with its CSS, JS and media, as files under `into` (paths made
    relative so file:// finds them)."""
    html = urllib.request.urlopen(base + path).read().decode()  # noqa: S310 - our own loopback server
    for name in ("review.css", "review.js", "icon.svg"):
        target = into / "static" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(urllib.request.urlopen(f"{base}/static/{name}").read())  # noqa: S310
    for url in set(re.findall(r'(?:src|poster)="(/media/[^"]+)"', html)):
        target = into / url.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(urllib.request.urlopen(base + url).read())  # noqa: S310
    html = html.replace('"/static/', '"static/').replace('"/media/', '"media/')
    page = into / "page.html"
    page.write_text(html, encoding="utf-8")
    return page


def measure(browser: Any, url: str, runs: int, action: Any) -> list[float]:
    values = []
    for _ in range(runs):
        context = browser.new_context(viewport={"width": 1366, "height": 768})  # a cold cache
        page = context.new_page()
        page.goto(url, wait_until="domcontentloaded")
        values.append(float(action(page)))
        context.close()
    return values


def report(label: str, served: list[float], disk: list[float], goal: float) -> bool:
    s, d = statistics.median(served), statistics.median(disk)
    ok = s <= goal
    print(f"{label}: served {s:.0f} ms (median of {len(served)}: {min(served):.0f}–{max(served):.0f}), "
          f"from disk {d:.0f} ms; ratio {s / d:.2f}; goal ≤ {goal:.0f} ms: {'met' if ok else 'MISSED'}")
    return ok


def main() -> int:
    from playwright.sync_api import sync_playwright

    shots = int(sys.argv[1]) if len(sys.argv) > 1 else 60
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    os.environ.setdefault("SHOTCRAFT_PREVIZ_SCALE", "0.2")
    with tempfile.TemporaryDirectory() as tmp:
        project, ids = build(Path(tmp) / "bench", shots)
        server = ReviewServer(project, port=0)
        try:
            with server.running(), sync_playwright() as driver:
                base = f"http://127.0.0.1:{server.port}"
                grid_file = save_to_disk(base, "/", Path(tmp) / "disk-grid")
                shot_file = save_to_disk(base, f"/shot/{ids[0]}", Path(tmp) / "disk-shot")
                browser = driver.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
                try:
                    cards = measure(browser, base + "/", 1, lambda p: p.locator(".card").count())[0]
                    print(f"grid: {int(cards)} cards", flush=True)
                    paint = [measure(browser, u, runs, lambda p: p.evaluate(FCP))
                             for u in (base + "/", grid_file.as_uri())]
                    selector = '.take[data-take="1"] video'
                    play = [measure(browser, u, runs, lambda p: p.evaluate(PLAY, selector))
                            for u in (f"{base}/shot/{ids[0]}", shot_file.as_uri())]
                finally:
                    browser.close()
        finally:
            project.close()
            shutil.rmtree(Path(tmp) / "disk-grid", ignore_errors=True)
    ok = report("grid first paint", *paint, PAINT_GOAL_MS)
    ok = report("take play start", *play, PLAY_GOAL_MS) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
