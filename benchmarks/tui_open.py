"""How long the studio takes to open a 1,000-shot project, ready for keys.

Generates a 剧本 with enough scenes for ~1,000 shots, imports it into a fresh project, then times
make_app → storyboard table populated → a key press answered (Textual Pilot, headless, 160×48).
Prints project.storyboard() alone as the in-run baseline and the ratio. Goal: ≤ 1.0 s.

    .venv/bin/python benchmarks/tui_open.py [shots]
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

from textual.widgets import DataTable

from shotcraft.projects import Project
from shotcraft.studio.tui.app import make_app


def generate_script(scenes: int) -> str:
    lines = ["《千镜》", ""]
    for index in range(scenes):
        episode, number = divmod(index, 10)
        if number == 0:
            lines += [f"第{episode + 1}集 第{episode + 1}回", ""]
        lines += [
            f"{episode + 1}-{number + 1} 日 内 办公室{index}",
            "人物：林晚、顾言",
            f"△林晚把第{index}份文件摔在桌上。",
            f"顾言：这是第{index}次了。",
            "林晚（冷笑）：你数得真清楚。",
            "顾言：签字吧。",
            "",
        ]
    return "\n".join(lines)


async def open_studio(folder: Path, expected: int) -> float:
    started = time.perf_counter()
    app = make_app(folder)
    async with app.run_test(size=(160, 48)) as pilot:
        table = app.screen.query_one("#shots", DataTable)
        while table.row_count < expected:
            await pilot.pause(0.005)
        await pilot.press("down")
        assert table.cursor_row == 1, "the table did not answer the key"
        elapsed = time.perf_counter() - started
    return elapsed


def main() -> None:
    wanted = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "bench"
        script = Path(tmp) / "bench.txt"
        script.write_text(generate_script(wanted // 5), encoding="utf-8")
        project = Project.create(folder, title="bench")
        report = project.import_script(script)
        started = time.perf_counter()
        project.storyboard()
        baseline = time.perf_counter() - started
        project.close()
        opened = asyncio.run(open_studio(folder, report.shots))
    print(f"shots: {report.shots}")
    print(f"studio open → table populated and answering keys: {opened:.3f} s (goal ≤ 1.0 s)")
    print(f"project.storyboard() alone: {baseline:.3f} s; ratio {opened / baseline:.1f}×")


if __name__ == "__main__":
    main()
