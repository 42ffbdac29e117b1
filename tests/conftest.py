"""What every test shares: a config folder of its own, so a developer's ~/.config/shotcraft
never changes what the tests see (shots/settings.py reads the user's config file from the
platform's config folder, which XDG_CONFIG_HOME moves on Linux)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True, scope="session")
def _own_config_folder() -> Iterator[None]:
    with tempfile.TemporaryDirectory(prefix="shotcraft-config-") as folder:
        before = os.environ.get("XDG_CONFIG_HOME")
        os.environ["XDG_CONFIG_HOME"] = folder  # subprocesses of the tests inherit it
        try:
            yield
        finally:
            if before is None:
                os.environ.pop("XDG_CONFIG_HOME", None)
            else:
                os.environ["XDG_CONFIG_HOME"] = before
