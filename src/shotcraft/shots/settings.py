"""Settings in one place: every section read the same way, from the same files.

Each part of shotcraft declares its settings as a `Section` (pydantic-settings): a table of the
config files (`[kling]`, `[engine]`, …) and an environment prefix (`SHOTCRAFT_KLING_`, …).
A value comes from, in rising order:

1. the default in the section's declaration;
2. the user config file, `config.toml` in the platform's config folder (platformdirs:
   `~/.config/shotcraft/config.toml` on Linux) — the only file that may hold keys, and then
   only when no one else can read it (mode 0600);
3. `shotcraft.toml` in the project folder — never keys: a project is shared and exported;
4. `SHOTCRAFT_*` environment variables, which win.

A file with a key where it may not be, a key others can read, a setting that does not exist or
TOML that does not parse is a ConfigError in one sentence naming the file. `explain` says, for
each setting, its effective value (keys masked) and where it came from: `shotcraft config`.
The tree of every section is `shotcraft.projects.settings`.
"""

from __future__ import annotations

import os
import stat
import threading
import tomllib
from pathlib import Path
from typing import Any, ClassVar, Literal

from platformdirs import user_config_path
from pydantic import BaseModel, SecretStr, ValidationError
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from shotcraft.shots.errors import ConfigError

PROJECT_FILE = "shotcraft.toml"
USER_FILE = "config.toml"
MASK = "********"

_lock = threading.Lock()
_project: Path | None = None  # the folder whose shotcraft.toml is read
_parsed: dict[Path, tuple[tuple[int, int], dict[str, Any]]] = {}  # file → (mtime, size), tables


def user_config_file() -> Path:
    """The user's config file, in the platform's config folder."""
    return user_config_path("shotcraft", appauthor=False) / USER_FILE


def use_project(root: Path | None) -> None:
    """Read `root`'s shotcraft.toml from now on (None: no project's); the project a process
    opened last is the one its settings come from (`Project.open`, `Project.create`)."""
    global _project  # noqa: PLW0603 - one project's settings per process, as documented
    with _lock:
        _project = Path(root) if root is not None else None


def project_file() -> Path | None:
    """The shotcraft.toml of the project in use, if a project is."""
    with _lock:
        return _project / PROJECT_FILE if _project is not None else None


def _tables(path: Path | None) -> dict[str, Any]:
    """The file's tables, parsed once per change of the file; {} when there is none."""
    if path is None:
        return {}
    try:
        info = path.stat()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"{path} cannot be read ({exc.strerror}).", title="Settings") from exc
    key = (info.st_mtime_ns, info.st_size)
    with _lock:
        cached = _parsed.get(path)
    if cached is not None and cached[0] == key:
        return cached[1]
    try:
        tables = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}.", title="Settings") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} cannot be read ({exc}).", title="Settings") from exc
    with _lock:
        _parsed[path] = (key, tables)
    return tables


def user_file_values() -> list[tuple[str, str, Any]]:
    """(section, key, value) of every setting in the user's config file — the one file keys may
    be kept in — for masking them wherever text from outside is shown (shots/redact.py); none
    when the file is missing or does not read (that error is said where the settings are)."""
    try:
        tables = _tables(user_config_file())
    except ConfigError:
        return []
    return [(section, key, value) for section, table in tables.items() if isinstance(table, dict)
            for key, value in table.items()]


def is_secret(field: FieldInfo) -> bool:
    """A key: a field declared as SecretStr (masked, and never kept in a project)."""
    annotation = field.annotation
    return annotation is SecretStr or SecretStr in getattr(annotation, "__args__", ())


class _FileSource(PydanticBaseSettingsSource):
    """One config file's table for one section, checked as it is read."""

    def __init__(self, settings_cls: type[BaseSettings], where: Literal["user", "project"]):
        super().__init__(settings_cls)
        self.where = where

    @property
    def path(self) -> Path | None:
        return user_config_file() if self.where == "user" else project_file()

    def table(self) -> dict[str, Any]:
        section: str = getattr(self.settings_cls, "section", "")
        path = self.path
        table = _tables(path).get(section, {})
        if not table:
            return {}
        assert path is not None
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: [{section}] must be a table of settings.",
                              title="Settings")
        fields = self.settings_cls.model_fields
        for key in table:
            if key not in fields:
                raise ConfigError(f"{path}: [{section}] has no setting {key!r}; its settings are "
                                  f"{', '.join(sorted(fields))}.", title="Settings")
        keys = [key for key in table if is_secret(fields[key])]
        if keys and self.where == "project":
            raise ConfigError(
                f"{path}: [{section}] {keys[0]} is a key, and keys are never kept in a project; "
                f"set {env_name(self.settings_cls, keys[0])} or put it in {user_config_file()} "
                "(mode 0600).", title="Settings")
        if keys and _others_can_read(path):
            raise ConfigError(f"{path} holds keys ([{section}] {keys[0]}) but others can read it; "
                              f"make it yours alone with: chmod 600 {path}", title="Settings")
        return dict(table)

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self.table().get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return self.table()


def _invalid(section: type[BaseSettings], exc: ValidationError, given: dict[str, Any]) -> str:
    """One sentence for a setting with a value it cannot take, naming where that value is."""
    error = exc.errors()[0]
    field = str(error["loc"][0]) if error.get("loc") else ""
    why = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    value = error.get("input")
    shown = MASK if field in section.model_fields and is_secret(section.model_fields[field]) \
        else repr(value)
    variable = env_name(section, field)
    if field in given:
        where = f"{getattr(section, 'section', '')} setting {field}"
    elif any(name.upper() == variable for name in os.environ):
        where = variable
    else:
        where = f"[{getattr(section, 'section', '')}] {field}"
        for source in (_FileSource(section, "project"), _FileSource(section, "user")):
            if field in _tables(source.path).get(getattr(section, "section", ""), {}):
                where = f"{source.path}: {where}"
                break
    return f"{where} is {shown}: {why[0].lower() + why[1:] if why else 'invalid'}."


def missing_key(what: str, section: type[BaseSettings], field: str) -> ConfigError:
    """The sentence for a key that is not set: where it may be set (never in a project)."""
    return ConfigError(
        f"{what} needs {env_name(section, field)}: set it in the environment, or {field} under "
        f"[{getattr(section, 'section', '')}] in {user_config_file()} (mode 0600); it is never "
        "stored in a project.", title="Settings")


def _others_can_read(path: Path) -> bool:
    if os.name != "posix":  # pragma: no cover - Windows keeps its own ACLs
        return False
    return bool(path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO))


def env_name(section: type[BaseSettings], field: str) -> str:
    """The environment variable that sets `field` of `section`."""
    return f"{section.model_config.get('env_prefix', '')}{field}".upper()


class Section(BaseSettings):
    """A part of the settings tree: `section` names its table in the config files, its
    `env_prefix` its environment variables (see the module docstring)."""

    section: ClassVar[str] = ""
    model_config = SettingsConfigDict(env_prefix="SHOTCRAFT_", extra="ignore")

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise ConfigError(_invalid(type(self), exc, values), title="Settings") from None

    @classmethod
    def settings_customise_sources(
        cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # first wins: arguments, then the environment, the project's file, the user's file
        return (init_settings, env_settings, _FileSource(settings_cls, "project"),
                _FileSource(settings_cls, "user"))


class Setting(BaseModel):
    """One setting as `shotcraft config` shows it."""

    section: str
    key: str
    value: Any  # the effective value, a key masked
    source: Literal["default", "user", "project", "environment"]
    where: str  # the file or the variable it came from ("" for a default)
    env: str  # the variable that would set it
    secret: bool = False


def explain(section: type[Section]) -> list[Setting]:
    """Each setting of `section`: its effective value (keys masked) and where it came from."""
    current = section()
    environment = EnvSettingsSource(section)()
    project = _FileSource(section, "project")
    user = _FileSource(section, "user")
    from_project, from_user = project.table(), user.table()
    rows = []
    for name, field in section.model_fields.items():
        secret = is_secret(field)
        value = getattr(current, name)
        if isinstance(value, SecretStr):
            value = MASK if value.get_secret_value() else ""
        elif isinstance(value, Path):
            value = str(value)
        variable = env_name(section, name)
        source: Literal["default", "user", "project", "environment"]
        if name in environment:
            source, where = "environment", variable
        elif name in from_project:
            source, where = "project", str(project.path)
        elif name in from_user:
            source, where = "user", str(user.path)
        else:
            source, where = "default", ""
        rows.append(Setting(section=section.section, key=name, value=value, source=source,
                            where=where, env=variable, secret=secret))
    return rows


class GeneralSettings(Section):
    """What every part shares: the tools shotcraft runs, and how it shows and tells."""

    section: ClassVar[str] = "general"
    model_config = SettingsConfigDict(env_prefix="SHOTCRAFT_", extra="ignore")

    ffmpeg: str | None = None  # the ffmpeg to run (default: PATH, then imageio-ffmpeg's)
    ffprobe: str | None = None  # the ffprobe to run (default: PATH, then beside ffmpeg)
    font: str | None = None  # a font file that renders Chinese (default: fontconfig's)
    max_script_mb: float = 8.0  # scripts over this are refused (a 100-episode series is ~1 MB)
    images: str = "auto"  # the studio's pictures: auto, kitty, sixel, iterm or halfblock
    debug: str = ""  # anything but empty: tracebacks with errors, for a report
