"""What the review page reads through the facade: every shot's takes at once, each shot's cover,
the episode's cut, and a take's poster and proxy made once."""

from __future__ import annotations

import pytest

from shotcraft.projects import Project
from shotcraft.projects.draw import Draw
from shotcraft.shots.media import probe


@pytest.fixture
def drawn(project: Project, small_previz: None) -> Project:
    first, second = (s.id for s in project.shots(episode=1)[:2])
    assert project.draw(Draw(shots=[first], takes=2)).done == 2
    project.pick(first, 2)
    assert project.draw(Draw(shots=[second], takes=1)).done == 1
    return project


def test_takes_by_shot_answers_what_takes_answers_shot_by_shot(drawn: Project) -> None:
    batch = drawn.takes_by_shot(episode=1)
    assert list(batch) == [s.id for s in drawn.shots(episode=1)]
    for shot_id, views in batch.items():
        assert views == drawn.takes(shot_id)


def test_covers_and_the_cut_show_the_pick_else_the_best_else_a_slate(drawn: Project) -> None:
    first, second, third = (s.id for s in drawn.shots(episode=1)[:3])
    covers = drawn.covers(episode=1)
    assert (covers[first][0].take.number, covers[first][1]) == (2, "picked")
    assert (covers[second][0].take.number, covers[second][1]) == (1, "auto")
    assert covers[third] == (None, "slate")
    cut = drawn.cut(1)
    assert [(c.shot_id, c.take, c.source) for c in cut.clips[:3]] == [
        (first, 2, "picked"), (second, 1, "auto"), (third, None, "slate")]
    assert cut.clips[1].start_frame == cut.clips[0].frames
    assert {cue.text for cue in cut.cues} >= {"你迟到了。", "是你来早了。"}
    assert cut.exported is None


def test_a_rendition_is_made_once_small_and_beside_the_takes(drawn: Project) -> None:
    take = drawn.takes(drawn.shots(episode=1)[0].id)[0].take
    assert drawn.rendition(take, "proxy", make=False) is None
    proxy = drawn.rendition(take, "proxy")
    poster = drawn.rendition(take, "poster")
    assert proxy is not None and poster is not None
    assert proxy.parent == drawn.root / "cache" / "review"
    assert proxy.name.startswith(drawn.take_path(take).stem)  # type: ignore[union-attr]
    info = probe(proxy)
    assert info.frames == take.duration_frames and info.height <= 640
    stamp = proxy.stat().st_mtime_ns
    assert drawn.rendition(take, "proxy") == proxy and proxy.stat().st_mtime_ns == stamp
    assert poster.read_bytes()[:2] == b"\xff\xd8"
