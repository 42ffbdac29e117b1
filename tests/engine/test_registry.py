"""The engine registry and the shared engine settings."""

from __future__ import annotations

import importlib
import subprocess
import sys
from importlib.metadata import EntryPoint

import pytest

import shotcraft.engine.registry as registry
import shotcraft.shots.plugins as plugins
from shotcraft.engine.previz import PrevizEngine
from shotcraft.engine.registry import engine_names, get_engine
from shotcraft.engine.settings import EngineSettings, render_size, scaled_size
from shotcraft.shots.errors import ConfigError, SpecError


def test_unknown_engine_names_the_known_ones() -> None:
    with pytest.raises(ConfigError) as err:
        get_engine("sora")
    message = str(err.value)
    assert message.startswith("unknown engine 'sora'; installed:")
    for name in ("previz", "kling", "diffusers"):
        assert name in message


def test_builtins_are_listed_and_previz_loads() -> None:
    assert {"previz", "kling", "diffusers"} <= set(engine_names())
    engine = get_engine("previz")
    assert isinstance(engine, PrevizEngine)
    assert engine.name == "previz" and engine.version == "1.0"


def test_settings_reach_the_engine_constructor() -> None:
    assert get_engine("previz", resample="bilinear").resample == "bilinear"
    with pytest.raises(ConfigError, match="does not accept these settings"):
        get_engine("previz", warp_drive=True)


def test_importing_the_registry_loads_no_engine_and_no_heavy_dependency() -> None:
    code = (
        "import sys, shotcraft.engine, shotcraft.engine.registry; shotcraft.engine.registry.engine_names(); "
        "print(sorted(m for m in ('torch', 'diffusers', 'httpx', 'shotcraft.engine.previz', 'shotcraft.engine.kling', "
        "'shotcraft.engine.diffusers_engine') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_missing_optional_dependency_says_how_to_install_it(monkeypatch) -> None:
    """The entry point names its extra (`diffusers = "…:DiffusersEngine [diffusers]"`): a
    dependency of it that is missing is said with the pip line that brings it."""
    real = importlib.import_module

    def without_it(name: str, *args, **kwargs):  # noqa: ANN202
        if name == "shotcraft.engine.diffusers_engine":
            raise ModuleNotFoundError("No module named 'shotcraft_missing_dependency_xyz'",
                                      name="shotcraft_missing_dependency_xyz")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(plugins.importlib, "import_module", without_it)
    monkeypatch.setattr(registry.ENGINES, "_loaded", {})
    with pytest.raises(ConfigError) as err:
        get_engine("diffusers")
    assert "pip install 'shotcraft[diffusers]'" in str(err.value)
    assert "shotcraft_missing_dependency_xyz" in str(err.value)


@pytest.fixture
def entry_points_of(monkeypatch):  # noqa: ANN201
    """Make the installed entry points these, for one test."""
    def use(found: list[EntryPoint]) -> None:
        monkeypatch.setattr(plugins, "entry_points", lambda group: [
            ep for ep in found if ep.group == group])
        plugins.refresh()

    yield use
    monkeypatch.undo()
    plugins.refresh()


def test_entry_point_engines_are_found(entry_points_of) -> None:
    entry_points_of([EntryPoint(name="plugin-previz", value="shotcraft.engine.previz:PrevizEngine",
                                group=registry.ENTRY_POINT_GROUP)])
    assert "plugin-previz" in engine_names()
    assert isinstance(get_engine("plugin-previz"), PrevizEngine)


def test_entry_point_that_is_not_an_engine_is_refused(entry_points_of) -> None:
    entry_points_of([EntryPoint(name="bogus", value="pathlib:Path",
                                group=registry.ENTRY_POINT_GROUP)])
    with pytest.raises(ConfigError, match="points at pathlib:Path, which is not a subclass of Engine"):
        get_engine("bogus")


@pytest.mark.parametrize(
    ("aspect", "size"),
    [("9:16", (1080, 1920)), ("16:9", (1920, 1080)), ("1:1", (1080, 1080)), ("4:3", (1920, 1440)),
     ("2.39:1", (1920, 804)), ("3:4", (1440, 1920))],
)
def test_render_size_by_aspect(aspect: str, size: tuple[int, int]) -> None:
    assert render_size(aspect) == size


def test_render_size_is_always_even() -> None:
    width, height = render_size("7:5", long_side=1001)
    assert width % 2 == 0 and height % 2 == 0


@pytest.mark.parametrize("bad", ["", "916", "9:0", "wide", "-9:16", "9/16"])
def test_bad_aspect_is_a_spec_error_on_the_aspect_field(bad: str) -> None:
    with pytest.raises(SpecError) as err:
        render_size(bad)
    assert err.value.field == "aspect"


def test_previz_scale_halves_the_project_size_and_keeps_it_even(monkeypatch) -> None:
    settings = EngineSettings()
    assert settings.default_engine == "previz" and settings.takes_default == 3
    assert scaled_size(*render_size("9:16"), settings.previz_scale) == (540, 960)
    assert scaled_size(1080, 1920, 0.33) == (356, 634)
    monkeypatch.setenv("SHOTCRAFT_DEFAULT_ENGINE", "kling")
    monkeypatch.setenv("SHOTCRAFT_PREVIZ_SCALE", "1")
    settings = EngineSettings()
    assert settings.default_engine == "kling" and settings.previz_scale == 1.0
