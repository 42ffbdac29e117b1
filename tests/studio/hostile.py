"""A script whose dialogue looks like markup, override tags, emoji and right-to-left text."""

from __future__ import annotations

from pathlib import Path

from shotcraft.projects import Project
from tests.projects.conftest import write_script

# each line must come out of every display exactly as written
HOSTILE_LINES = (
    "[/]",
    "[bold]x[/bold] and [c]",
    r"{\an8}上面 C:\temp\new",
    "<i>斜体</i> 🦄",
    "שלום",
    "مرحبا",
)

HOSTILE_SCRIPT = """《[bold]剧[/bold]》

第1集 [c]初见

1-1 日 内 咖啡馆
人物：林晚、顾言
△林晚推门走进[red]咖啡馆[/]。
顾言：[/]
林晚：[bold]x[/bold] and [c]
顾言：{\\an8}上面 C:\\temp\\new
林晚：<i>斜体</i> 🦄
顾言：שלום
林晚：مرحبا
"""


def hostile_project(folder: Path) -> Path:
    """A project folder titled `[red]剧` with the hostile script imported (and an alias `[/]阿晚`)."""
    project = Project.create(folder / "hostile", title="[red]剧")
    project.import_script(write_script(folder, HOSTILE_SCRIPT, name="hostile.txt"))
    project.update_character("林晚", aliases=["[/]阿晚"], description="[bold]x[/bold] {\\an8}")
    project.close()
    return folder / "hostile"
