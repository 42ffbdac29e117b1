"""Screenshots of the review page for docs/guide/review.md: the storyboard grid and the compare
view at a phone's size (390×844) and a laptop's (1366×768), in Debian's headless Chromium.

    .venv/bin/python scripts/review_screenshots.py PROJECT_DIR SHOT_ID [OUT_DIR]

PROJECT_DIR is a project with takes (e.g. one made by `shotcraft demo`); SHOT_ID a shot with two
takes or more. PNGs go to OUT_DIR (default docs/guide/img/), palette-quantised to stay small.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

from shotcraft.projects import Project
from shotcraft.studio.review import ReviewServer

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--autoplay-policy=no-user-gesture-required"]
SIZES = {"phone": (390, 844), "laptop": (1366, 768)}


def main() -> None:
    folder, shot_id = Path(sys.argv[1]), sys.argv[2]
    out = Path(sys.argv[3]) if len(sys.argv) > 3 else Path("docs/guide/img")
    out.mkdir(parents=True, exist_ok=True)
    project = Project.open(folder)
    takes = [v.take.number for v in project.takes(shot_id) if v.take.media_path][:2]
    server = ReviewServer(project, port=0)
    with server.running(), sync_playwright() as driver, tempfile.TemporaryDirectory() as profile:
        base = f"http://127.0.0.1:{server.port}"
        for size, (width, height) in SIZES.items():
            context = driver.chromium.launch_persistent_context(
                f"{profile}/{size}", executable_path=CHROMIUM, headless=True, args=ARGS,
                viewport={"width": width, "height": height})
            page = context.new_page()
            page.goto(base + "/")
            page.wait_for_timeout(1500)  # posters in
            _save(page, out / f"review-grid-{size}.png")
            page.goto(f"{base}/shot/{shot_id}/compare?takes={','.join(map(str, takes))}")
            page.wait_for_timeout(800)
            page.keyboard.press("Space")
            page.wait_for_timeout(1200)  # mid-play, on one play head
            page.keyboard.press("Space")
            page.wait_for_timeout(300)
            _save(page, out / f"review-compare-{size}.png")
            context.close()
    project.close()


def _save(page: object, path: Path) -> None:
    page.screenshot(path=str(path))  # type: ignore[attr-defined]
    with Image.open(path) as image:
        image.convert("RGB").quantize(colors=96, method=Image.Quantize.MEDIANCUT).save(
            path, optimize=True)
    print(f"{path}: {path.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
