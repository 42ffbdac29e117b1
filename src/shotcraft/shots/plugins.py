"""One loader for every extension point: entry points, by group, loaded lazily by name.

Each extension point is an entry-point group; shotcraft declares its own engines, executors,
formats, speech engines, script formats and metrics there exactly as another distribution
would (pyproject.toml `[project.entry-points."shotcraft.engines"]`, …), so a plugin installed
beside shotcraft works without editing it:

    [project.entry-points."shotcraft.engines"]
    solid = "my_plugin.solid:SolidEngine"

| group                 | what it names                                   | base class                |
|-----------------------|-------------------------------------------------|---------------------------|
| `shotcraft.engines`   | render engines                                  | `engine.protocol.Engine`  |
| `shotcraft.executors` | where batches run                               | `engine.executors.Executor` |
| `shotcraft.formats`   | export (+ import-edit) adapters                 | `assembly.formats.ExportFormat` |
| `shotcraft.speech`    | speech engines                                  | `assembly.speech.SpeechEngine` |
| `shotcraft.scripts`   | script formats                                  | `storyboard.formats.ScriptReader` |
| `shotcraft.metrics`   | ranking metrics                                 | `ranking.plugin.Metric`   |

Nothing is imported until a name is asked for, so listing what is installed (the CLI's choices
and help) costs no heavy import. An unknown name is a ConfigError listing what is installed;
a plugin whose own dependencies are missing is a ConfigError naming the pip extra that brings
them (the entry point's `[extra]`). Where two distributions declare one name, shotcraft's own
wins and the other is ignored.
"""

from __future__ import annotations

import functools
import importlib
from dataclasses import dataclass
from importlib.metadata import EntryPoint, distributions
from typing import Any, Generic, TypeVar

from shotcraft.shots.errors import ConfigError

T = TypeVar("T")
OWN = "shotcraft"  # this distribution: its entry points win a clash of names


# entry points declared in code (`PluginKind.add`): a test's stand-in, a program embedding
# shotcraft; by group, then name
_added: dict[str, dict[str, EntryPoint]] = {}


def entry_points(group: str) -> list[EntryPoint]:
    """Every installed distribution's entry points of `group`, in `sys.path` order, *not* one
    distribution per name: a stale copy of shotcraft's own metadata (an old `*.egg-info` left in
    a source folder that is on the path) must not hide the entry points of the one installed."""
    return list(_scanned().get(group, ()))


@functools.cache
def _scanned() -> dict[str, tuple[EntryPoint, ...]]:
    """shotcraft's groups of every installed distribution, read in one pass over them."""
    found: dict[str, list[EntryPoint]] = {}
    for dist in distributions():
        for ep in dist.entry_points:
            if ep.group.startswith("shotcraft."):
                found.setdefault(ep.group, []).append(ep)
    return {group: tuple(eps) for group, eps in found.items()}


@functools.cache
def _group(group: str) -> tuple[EntryPoint, ...]:
    """The group's entry points, shotcraft's own first, then those added in code, then the
    other distributions', one per name (the first found on the path)."""
    found = list(entry_points(group=group))
    own = [ep for ep in found if _dist_name(ep) == OWN]
    others = sorted((ep for ep in found if _dist_name(ep) != OWN), key=lambda ep: ep.name)
    chosen: dict[str, EntryPoint] = {}
    for ep in [*own, *_added.get(group, {}).values(), *others]:
        chosen.setdefault(ep.name, ep)
    return tuple(chosen.values())


def _dist_name(ep: EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    name = getattr(dist, "name", None) or getattr(getattr(dist, "metadata", None), "get",
                                                  lambda _k: None)("Name")
    return (name or "").lower().replace("_", "-")


def refresh() -> None:
    """Forget what was found (after installing a plugin into a running process, and in tests)."""
    _scanned.cache_clear()
    _group.cache_clear()
    for kind in _KINDS:
        kind._loaded.clear()


@dataclass
class PluginKind(Generic[T]):
    """One extension point: its entry-point group, what the CLI calls one, and the class every
    plugin of it must be (or subclass)."""

    group: str
    what: str  # "engine", "export format", … (for sentences)
    base: Any  # the class every plugin of the kind is (or subclasses), often abstract
    # shotcraft's own names in the order they are listed (the CLI's help, the studio); entry
    # points carry no order, and any other name follows these, alphabetically
    order: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        self._loaded: dict[str, type[T]] = {}
        self._classes: dict[str, type[T]] = {}  # added in code as classes (`add`)
        _KINDS.append(self)

    def add(self, name: str, target: str | type[T]) -> None:
        """Declare `name` → "module:Class" (or the class itself) in code, as an entry point
        would: for stand-ins in tests and programs that embed shotcraft. An installed name
        wins over it; `remove` takes it back."""
        if isinstance(target, type):
            self._classes[name] = target
            target = f"{target.__module__}:{target.__qualname__}"
        _added.setdefault(self.group, {})[name] = EntryPoint(name=name, value=target,
                                                             group=self.group)
        _group.cache_clear()
        self._loaded.pop(name, None)

    def remove(self, name: str) -> None:
        """Forget a name `add` declared."""
        _added.get(self.group, {}).pop(name, None)
        self._classes.pop(name, None)
        self._loaded.pop(name, None)
        _group.cache_clear()

    def names(self) -> list[str]:
        """What is installed: shotcraft's own in their listing order, then the others'."""
        found = [ep.name for ep in _group(self.group)]
        first = [name for name in self.order if name in found]
        return first + [name for name in found if name not in first]

    def target(self, name: str) -> str:
        """"module:attribute" of `name` (ConfigError when it is not installed)."""
        return self._entry(name).value

    def distribution(self, name: str) -> str:
        return _dist_name(self._entry(name)) or "unknown"

    def _entry(self, name: str) -> EntryPoint:
        for ep in _group(self.group):
            if ep.name == name:
                return ep
        installed = ", ".join(self.names()) or "none"
        raise ConfigError(f"unknown {self.what} {name!r}; installed: {installed}.")

    def load(self, name: str) -> type[T]:
        """The class registered as `name`, imported now (once)."""
        if name in self._loaded:
            return self._loaded[name]
        ep = self._entry(name)
        if name in self._classes and ep.value == _target(self._classes[name]):
            self._loaded[name] = self._classes[name]
            return self._classes[name]
        module_name, _, attribute = ep.value.partition(":")
        attribute = attribute.split("[")[0].strip()
        try:
            module = importlib.import_module(module_name.strip())
        except ImportError as exc:
            raise ConfigError(self._missing(ep, exc)) from exc
        loaded: Any = module
        for part in attribute.split(".") if attribute else ():
            loaded = getattr(loaded, part, None)
        if not (isinstance(loaded, type) and issubclass(loaded, self.base)):
            raise ConfigError(f"{self.what} {name!r} points at {ep.value}, which is not a "
                              f"subclass of {self.base.__name__}.")
        self._loaded[name] = loaded
        return loaded

    def make(self, name: str, *args: Any, **kwargs: Any) -> T:
        """An instance of the plugin `name`, made with these arguments; ConfigError when it
        needs a dependency that is not installed (some import theirs when made)."""
        cls = self.load(name)
        try:
            return cls(*args, **kwargs)
        except ImportError as exc:
            raise ConfigError(self._missing(self._entry(name), exc)) from exc

    def available(self, name: str) -> bool:
        """Whether `name` is installed and loads (its own dependencies present)."""
        try:
            self.load(name)
        except ConfigError:
            return False
        return True

    def _missing(self, ep: EntryPoint, exc: ImportError) -> str:
        missing = getattr(exc, "name", None)
        what = f"'{missing}'" if missing else "an optional dependency"
        extras = list(getattr(ep, "extras", []) or [])
        dist = _dist_name(ep)
        if extras and dist:
            return (f"{self.what} '{ep.name}' needs {what}; install it with: "
                    f"pip install '{dist}[{','.join(extras)}]'.")
        return f"{self.what} '{ep.name}' needs {what}, which is not installed; install it with pip."


def _target(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


_KINDS: list[PluginKind[Any]] = []
