"""Settings every test process shares, loaded before any test module.

pytest-xdist's workers start with COLUMNS=80 in their environment, and Rich fixes a console's
width from COLUMNS when the console is made (the CLI makes its consoles at import): a worker's
CLI tables would then be cut to 80 columns whatever width a test asks for, where a plain run
follows each test's own COLUMNS. Dropping the inherited value makes both runs print alike.
"""

from __future__ import annotations

import os

for _name in ("COLUMNS", "LINES"):
    os.environ.pop(_name, None)
