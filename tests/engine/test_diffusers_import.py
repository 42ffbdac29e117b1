"""Without the diffusers extra, shotcraft still starts and says how to install it."""

from __future__ import annotations

import subprocess
import sys

_NO_TORCH = """
import sys
sys.modules["torch"] = None  # as if torch were not installed: importing it raises ImportError
import importlib.util
real_find_spec = importlib.util.find_spec
importlib.util.find_spec = lambda name, *a: None if name == "torch" else real_find_spec(name, *a)
import shotcraft.engine.registry
import shotcraft.engine.diffusers_settings
assert "torch" not in {m for m in sys.modules if sys.modules[m] is not None}
from shotcraft.shots.errors import ConfigError
try:
    shotcraft.engine.registry.get_engine("diffusers")
except ConfigError as exc:
    print(exc)
"""


def test_choosing_diffusers_without_torch_says_how_to_install_it() -> None:
    out = subprocess.run([sys.executable, "-c", _NO_TORCH], capture_output=True, text=True, check=True)
    assert "engine 'diffusers' needs 'torch'; install it with: pip install 'shotcraft[diffusers]'" in out.stdout


def test_importing_the_registry_and_settings_loads_no_torch() -> None:
    code = ("import sys, shotcraft.engine.registry, shotcraft.engine.diffusers_settings, shotcraft.engine.diffusers_common; "
            "print('torch' in sys.modules, 'diffusers' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
