"""`fit` and `import --fit-voices` with the real espeak-ng: lines that run past their shot are
flagged (saying what of them is cut), fitting lengthens exactly those shots within the pace the
director keeps (`max_stretch`), in one transaction, keeping their takes; default voices speak at
the short-drama pace, so an imported script's lines are not cut at all."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from shotcraft.assembly.speech import speak, treatment_for
from shotcraft.projects import Project
from shotcraft.projects import fit as fit_module
from shotcraft.projects.db import ShotRow
from shotcraft.projects.draw import Draw
from shotcraft.projects.voices import speaker_voices
from tests.projects.conftest import write_script

SENTENCE = re.compile(r"^(E\d\d-S\d\d-\d{3}): (\S+)'s line runs (\d+\.\d) s, the shot is "
                      r"(\d+\.\d) s: (\d+\.\d) s of it is cut where the next line starts or the "
                      r"episode ends$")


def _frames(project: Project) -> dict[str, int]:
    return {shot.id: shot.duration_frames for shot in project.store.shots(episode=1)}


def _lengthen(project: Project, shot_id: str, frames: int) -> None:
    with project.store.db.write() as session:
        row = session.get(ShotRow, shot_id)
        row.duration_frames = frames
        session.add(row)


@pytest.fixture
def slow(project: Project) -> Project:
    """顾言 speaks slowly: the director set his voice to 0.6 of its normal speed."""
    project.set_voice("顾言", speed=0.6)
    return project


def test_default_voices_speak_an_imported_script_without_cutting_a_line(project: Project) -> None:
    report = project.fit(dry_run=True)
    assert report.cut_before == [] and report.lines == []


def test_a_line_longer_than_its_shot_is_flagged_with_the_seconds_cut(slow: Project) -> None:
    _lengthen(slow, "E01-S01-004", 150)  # 林晚's line has room here: not flagged
    _lengthen(slow, "E01-S01-000", 150)  # nor in the hook that repeats it
    report = slow.fit(episode=1, dry_run=True)
    flagged = [SENTENCE.match(line) for line in report.lines]
    assert all(flagged), report.lines
    assert [(m[1], m[2]) for m in flagged] == [("E01-S01-003", "顾言"), ("E01-S02-003", "顾言")]
    spoken = speak("你迟到了。", speaker_voices(slow.store)["顾言"], treatment_for(None),
                   slow.store.layout.cache)
    assert spoken.cached  # fit spoke it into the cache export uses
    assert float(flagged[0][3]) == round(spoken.seconds, 1) and float(flagged[0][4]) == 1.5
    lost = float(flagged[0][5])
    assert lost == pytest.approx(spoken.seconds - 1.5, abs=0.06)  # heard until the next line
    assert [(c.shot_id, c.lost_seconds) for c in report.cut_before][0] == (
        "E01-S01-003", pytest.approx(lost, abs=0.06))


def test_a_dry_run_lists_the_new_lengths_and_changes_nothing(slow: Project) -> None:
    before = _frames(slow)
    report = slow.fit(episode=1, dry_run=True, max_stretch=10)
    assert report.dry_run and {c.shot_id for c in report.changes} >= {"E01-S01-003", "E01-S02-003"}
    assert all(c.new_frames > c.old_frames for c in report.changes)
    assert report.cut_after == [] and report.cut_before
    assert _frames(slow) == before


def test_fit_lengthens_exactly_the_flagged_shots_and_keeps_their_takes(
    slow: Project, small_previz: None,
) -> None:
    _lengthen(slow, "E01-S01-004", 150)
    _lengthen(slow, "E01-S01-000", 150)
    slow.draw(Draw(shots=["E01-S01-003"], takes=1))
    before = _frames(slow)
    report = slow.fit(episode=1, max_stretch=10)
    after = _frames(slow)
    changed = {shot for shot in after if after[shot] != before[shot]}
    assert changed == {"E01-S01-003", "E01-S02-003"} == {c.shot_id for c in report.changes}
    assert all(after[c.shot_id] == c.new_frames for c in report.changes)
    assert [t.take.number for t in slow.takes("E01-S01-003")] == [1]
    assert slow.fit(episode=1).lines == []  # every line fits now
    assert slow.store.shot("E02-S01-004").duration_frames == 45  # episode 2 untouched
    with slow.store.db.read() as session:  # re-import keeps a fitted length
        assert "duration_frames" in session.get(ShotRow, "E01-S01-003").edited


def test_max_stretch_keeps_the_pace_and_says_what_is_still_cut(slow: Project) -> None:
    """A shot grows at most by the factor the director keeps; what its line still needs is
    said, with the seconds the next line will cut off."""
    slow.set_voice("顾言", speed=0.5)
    report = slow.fit(episode=1, max_stretch=1.2)
    first = next(c for c in report.changes if c.shot_id == "E01-S01-003")
    assert first.new_frames == int(first.old_frames * 1.2) and first.capped
    assert first.needed_frames is not None and first.needed_frames > first.new_frames
    still = [c for c in report.cut_after if c.shot_id == "E01-S01-003"]
    assert still and 0 < still[0].lost_seconds < next(
        c.lost_seconds for c in report.cut_before if c.shot_id == "E01-S01-003")
    with pytest.raises(Exception, match="max_stretch: must be at least 1"):
        slow.fit(episode=1, max_stretch=0.9)


def test_import_fit_voices_times_dialogue_shots_by_the_voices(
    project: Project, tmp_path: Path,
) -> None:
    """Re-imported with --fit-voices, each dialogue shot lasts what its line takes to say (plus
    the subtitle's tail), shorter or longer than the breakdown's estimate; a length the
    director set stays."""
    _lengthen(project, "E01-S01-004", 150)
    with project.store.db.write() as session:  # the director set this one by hand
        row = session.get(ShotRow, "E01-S01-004")
        row.edited = sorted(set(row.edited) | {"duration_frames"})
        session.add(row)
    from tests.projects.conftest import SCRIPT

    long_line = SCRIPT.replace("签字吧。", "签字吧，你别再拖了，这件事今天必须有个结果。")
    report = project.import_script(write_script(tmp_path, long_line, "v2.txt"), fit_voices=True)
    assert report.fitted is not None
    by_shot = {c.shot_id: c for c in report.fitted.changes}
    assert "E01-S01-004" not in by_shot  # the director's length
    assert project.store.shot("E01-S01-004").duration_frames == 150
    assert report.fitted.cut_after == []
    voices = speaker_voices(project.store)
    for shot in project.store.shots():
        if not shot.dialogue or shot.id == "E01-S01-004":
            continue
        line = shot.dialogue[0]
        spoken = speak(line.text, voices[line.speaker], treatment_for(
            line.mode.value if line.mode else None), project.store.layout.cache)
        need = spoken.seconds + 0.2
        seconds = shot.duration_frames / project.fps
        # what the line needs, or the breakdown's shortest shot (1.5 s) for a short line
        assert need <= seconds <= max(1.5, need + 2 / project.fps), (shot.id, need, seconds)


def test_a_failure_while_writing_lengthens_no_shot(
    slow: Project, monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = _frames(slow)
    calls = []

    real = fit_module.utcnow

    def failing() -> object:
        calls.append(1)
        if len(calls) == 2:
            raise OSError("disk went away")
        return real()

    monkeypatch.setattr(fit_module, "utcnow", failing)
    with pytest.raises(OSError):
        slow.fit(episode=1, max_stretch=10)
    assert len(calls) == 2 and _frames(slow) == before  # the first shot's change rolled back
