"""Every action in the command palette: the keys of the app and of the screen on top."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider


def key_map(node: Any) -> list[Binding]:
    """The bindings with a description, as listed in BINDINGS (help screen and palette share it)."""
    found = []
    for binding in getattr(node, "BINDINGS", []):
        # a "-summary" binding only names a group of keys in the footer (e.g. 1-7 reject reasons)
        if isinstance(binding, Binding) and binding.description and not (binding.id or "").endswith("-summary"):
            found.append(binding)
    return found


def key_label(key: str) -> str:
    names = {"question_mark": "?", "slash": "/", "delete": "Del", "escape": "Esc",
             "enter": "Enter", "space": "Space"}
    labels = []
    for k in key.split(","):
        k = names.get(k, k)
        labels.append(k.replace("ctrl+", "Ctrl+").upper() if k.startswith("ctrl+") else k)
    return ", ".join(label.replace("CTRL+", "Ctrl+") for label in labels)


class StudioCommands(Provider):
    """Offers the app's and the current screen's actions by name."""

    def _actions(self) -> Iterator[tuple[str, str, Any]]:
        screen = self.screen
        for binding in key_map(screen):
            yield binding.description, key_label(binding.key), partial(screen.run_action, binding.action)
        for binding in key_map(self.app):
            yield binding.description, key_label(binding.key), partial(self.app.run_action, binding.action)

    async def discover(self) -> Hits:
        for title, key, run in self._actions():
            yield DiscoveryHit(title, run, help=f"key: {key}")

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, key, run in self._actions():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), run, text=title, help=f"key: {key}")
