"""Import progress: the phases an import reports, in order."""

from __future__ import annotations

from pathlib import Path

import pytest

from shotcraft.projects import Project
from shotcraft.shots.errors import ScriptError


def test_import_reports_its_phases_in_order(tmp_path: Path, script_file: Path) -> None:
    project = Project.create(tmp_path / "proj")
    heard: list[tuple[str, float]] = []
    report = project.import_script(script_file, progress=lambda phase, done: heard.append((phase, done)))
    assert [phase for phase, _ in heard] == ["parse", "breakdown", "write", "done"]
    fractions = [done for _, done in heard]
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0
    assert report.shots == len(project.shots())


def test_a_refused_import_never_reports_done_and_saves_nothing(tmp_path: Path, project: Project,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    before = project.storyboard().model_dump()
    monkeypatch.setenv("SHOTCRAFT_MAX_SCRIPT_MB", "0.0001")
    big = tmp_path / "big.txt"
    big.write_text("第1集\n\n1-1 日 内 咖啡馆\n△林晚推门。\n" * 50, encoding="utf-8")
    heard: list[str] = []
    with pytest.raises(ScriptError, match="scripts over 0.0001 MB are refused"):
        project.import_script(big, progress=lambda phase, _done: heard.append(phase))
    assert heard == ["parse"]
    assert project.storyboard().model_dump() == before
    assert not (project.layout.script / "big.txt").exists()
