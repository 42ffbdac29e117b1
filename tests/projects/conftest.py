"""A fresh project in tmp_path with a small two-episode Chinese script imported."""

from __future__ import annotations

from pathlib import Path

import pytest

from shotcraft.projects import Project

SCRIPT = """《测试短剧》

第1集 初见

1-1 日 内 咖啡馆
人物：林晚、顾言
△林晚（25岁，白裙）推门走进咖啡馆。
顾言：你迟到了。
林晚（冷笑）：是你来早了。

1-2 夜 外 街道
人物：顾言
△顾言独自走在雨中。
顾言OS：她到底是谁？

第2集 重逢

2-1 日 内 办公室
人物：林晚、顾言
△林晚把文件摔在桌上。
林晚：签字吧。
"""


def write_script(folder: Path, text: str = SCRIPT, name: str = "drama.txt") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def script_file(tmp_path: Path) -> Path:
    return write_script(tmp_path)


@pytest.fixture
def project(tmp_path: Path, script_file: Path) -> Project:
    project = Project.create(tmp_path / "proj", title="测试")
    project.import_script(script_file)
    return project


@pytest.fixture
def small_previz(monkeypatch: pytest.MonkeyPatch) -> None:
    """Previz at a tiny render size keeps card-draw tests fast."""
    monkeypatch.setenv("SHOTCRAFT_PREVIZ_SCALE", "0.1")


@pytest.fixture
def ceilings_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    """previz as an engine that cannot tell up front what its takes reach (a cloud engine's
    takes differ draw to draw): the loop's own stop rules are what these tests look at."""
    from shotcraft.engine.previz import PrevizEngine

    capabilities = PrevizEngine.capabilities

    def unknown(self, kind=None):  # noqa: ANN001, ANN202
        found = capabilities(self, kind) if kind is not None else capabilities(self)
        return found.model_copy(update={"deterministic": False})

    monkeypatch.setattr(PrevizEngine, "capabilities", unknown)
