"""`fit` with the real espeak-ng: lines that run past their shot are flagged, and fitting
lengthens exactly those shots, in one transaction, keeping their takes."""

from __future__ import annotations

import re

import pytest

from shotcraft.assembly.speech import speak, treatment_for
from shotcraft.projects import Project
from shotcraft.projects import fit as fit_module
from shotcraft.projects.db import ShotRow
from shotcraft.projects.draw import Draw
from shotcraft.projects.voices import speaker_voices

SENTENCE = re.compile(r"^(E\d\d-S\d\d-\d{3}): (\S+)'s line runs (\d+\.\d) s, the shot is (\d+\.\d) s$")


def _frames(project: Project) -> dict[str, int]:
    return {shot.id: shot.duration_frames for shot in project.store.shots(episode=1)}


def _lengthen(project: Project, shot_id: str, frames: int) -> None:
    with project.store.db.write() as session:
        row = session.get(ShotRow, shot_id)
        row.duration_frames = frames
        session.add(row)


def test_a_line_longer_than_its_shot_is_flagged_in_one_sentence_with_its_spoken_length(
    project: Project,
) -> None:
    _lengthen(project, "E01-S01-004", 150)  # 林晚's line has room here: not flagged
    _lengthen(project, "E01-S01-000", 150)  # nor in the hook that repeats it
    report = project.fit(episode=1, dry_run=True)
    flagged = [SENTENCE.match(line) for line in report.lines]
    assert all(flagged), report.lines
    assert [(m[1], m[2]) for m in flagged] == [("E01-S01-003", "顾言"), ("E01-S02-003", "顾言")]
    spoken = speak("你迟到了。", speaker_voices(project.store)["顾言"], treatment_for(None),
                   project.store.layout.cache)
    assert spoken.cached  # fit spoke it into the cache export uses
    assert float(flagged[0][3]) == round(spoken.seconds, 1) and float(flagged[0][4]) == 1.5


def test_a_dry_run_lists_the_new_lengths_and_changes_nothing(project: Project) -> None:
    before = _frames(project)
    report = project.fit(episode=1, dry_run=True)
    # E01-S01-000 is the episode's hook: a flash-forward of 林晚's line, which must fit too
    assert report.dry_run and {c.shot_id for c in report.changes} == {
        "E01-S01-000", "E01-S01-003", "E01-S01-004", "E01-S02-003"}
    assert all(c.new_frames > c.old_frames for c in report.changes)
    assert _frames(project) == before


def test_fit_lengthens_exactly_the_flagged_shots_and_keeps_their_takes(
    project: Project, small_previz: None,
) -> None:
    _lengthen(project, "E01-S01-004", 150)
    _lengthen(project, "E01-S01-000", 150)
    project.draw(Draw(shots=["E01-S01-003"], takes=1))
    before = _frames(project)
    report = project.fit(episode=1)
    after = _frames(project)
    changed = {shot for shot in after if after[shot] != before[shot]}
    assert changed == {"E01-S01-003", "E01-S02-003"} == {c.shot_id for c in report.changes}
    assert all(after[c.shot_id] == c.new_frames for c in report.changes)
    assert [t.take.number for t in project.takes("E01-S01-003")] == [1]
    assert project.fit(episode=1).lines == []  # every line fits now
    assert project.store.shot("E02-S01-004").duration_frames == 45  # episode 2 untouched
    with project.store.db.read() as session:  # re-import keeps a fitted length
        assert "duration_frames" in session.get(ShotRow, "E01-S01-003").edited


def test_a_failure_while_writing_lengthens_no_shot(
    project: Project, monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = _frames(project)
    calls = []

    real = fit_module.utcnow

    def failing() -> object:
        calls.append(1)
        if len(calls) == 2:
            raise OSError("disk went away")
        return real()

    monkeypatch.setattr(fit_module, "utcnow", failing)
    with pytest.raises(OSError):
        project.fit(episode=1)
    assert len(calls) == 2 and _frames(project) == before  # the first shot's change rolled back
