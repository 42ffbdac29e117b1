"""What every test shares, loaded before any test module.

- A config folder of its own, so a developer's ~/.config/shotcraft never changes what the tests
  see (shots/settings.py reads the user's config file from the platform's config folder, which
  XDG_CONFIG_HOME moves on Linux).
- pytest-xdist's workers start with COLUMNS=80 in their environment, and Rich fixes a console's
  width from COLUMNS when the console is made (the CLI makes its consoles at import): a worker's
  CLI tables would then be cut to 80 columns whatever width a test asks for, where a plain run
  follows each test's own COLUMNS. Dropping the inherited value makes both runs print alike.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator

import pytest

for _name in ("COLUMNS", "LINES"):
    os.environ.pop(_name, None)


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
