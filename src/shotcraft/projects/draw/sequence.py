"""A sequence: consecutive shots of one scene, drawn as one multi-shot task.

Engines that draw several shots as one clip (and so keep faces and light the same across the
cuts) declare it with `Capabilities.sequence`; this module says which shots `FIRST..LAST`
names, and refuses a range that is not consecutive shots of one scene in one sentence.
"""

from __future__ import annotations

from shotcraft.projects.store import Store
from shotcraft.shots.errors import ProjectError
from shotcraft.shots.models import Shot


def sequence_shots(store: Store, first: str, last: str) -> list[Shot]:
    """The shots from `first` to `last`, in order: one scene of one episode, at least two."""
    start, end = store.shot(first), store.shot(last)
    if (start.episode, start.scene_id) != (end.episode, end.scene_id):
        raise ProjectError(f"{first} and {last} are in different scenes; a sequence is shots "
                           "of one scene.")
    if end.order <= start.order:
        raise ProjectError(f"{last} comes before {first} (or is it); name the sequence from its "
                           "first shot to its last.")
    return [shot for shot in store.shots(episode=start.episode)
            if shot.scene_id == start.scene_id and start.order <= shot.order <= end.order]
