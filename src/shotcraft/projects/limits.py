"""Bounds on the numbers a director types, checked before anything is queried or queued.

A number out of range is one sentence naming what was asked, never an OverflowError from the
SQLite driver (its INTEGER is 64-bit signed: a Python int over 2**63-1 cannot even be bound).
"""

from __future__ import annotations

from shotcraft.shots.errors import ProjectError, SpecError
from shotcraft.shots.models import MAX_TAKES_WANTED

# One run draws at most this many takes per shot: a director draws up to ~100 cards for one
# hard shot; more than that is a typo that would queue hours of rendering.
MAX_TAKES_PER_RUN = MAX_TAKES_WANTED
# Seeds are stored modulo SEED_SPACE (2**31-1, within what numpy, torch and Kling accept), so
# a larger seed would silently become another one.
SEED_SPACE = 2**31 - 1
MAX_SEED = SEED_SPACE - 1
SQLITE_MAX_INT = 2**63 - 1


def check_takes(takes: int | None) -> None:
    if takes is not None and not 1 <= takes <= MAX_TAKES_PER_RUN:
        raise SpecError(
            f"draw between 1 and {MAX_TAKES_PER_RUN} takes per shot in one run, not {takes}.",
            field="takes",
        )


def check_seed(seed: int | None) -> None:
    if seed is not None and not 0 <= seed <= MAX_SEED:
        raise SpecError(f"must be between 0 and {MAX_SEED:,}, not {seed}.", field="seed")


def check_episode(episode: int | None) -> None:
    """An episode number that cannot exist (below 1, or beyond what the database can hold)."""
    if episode is not None and not 1 <= episode <= SQLITE_MAX_INT:
        raise ProjectError(f"there is no episode {episode} in this project (episodes are numbered from 1).")


def check_take_number(shot_id: str, take: int) -> None:
    if not 1 <= take <= SQLITE_MAX_INT:
        raise ProjectError(f"shot {shot_id} has no take {take}.")


def check_until(until: float) -> None:
    """A score to draw until: the totals run from 0 to 1 (NaN is refused too)."""
    if not 0.0 <= until <= 1.0:
        raise SpecError(f"the score to draw until must be between 0 and 1, not {until:g}.",
                        field="until")


def check_max_takes(max_takes: int) -> None:
    if not 1 <= max_takes <= MAX_TAKES_PER_RUN:
        raise SpecError(f"must be between 1 and {MAX_TAKES_PER_RUN} takes per shot, not "
                        f"{max_takes}.", field="max-takes")
