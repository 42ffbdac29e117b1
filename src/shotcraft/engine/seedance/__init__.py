"""Seedance (ByteDance, on Volcengine Ark or BytePlus ModelArk): video takes and multi-shot
sequences through Ark's content generation task API, never paid twice.

- `settings`: `SeedanceSettings` (`SHOTCRAFT_SEEDANCE_*`; the key is a SecretStr).
- `models`: what each model does, its frame sizes, its prices.
- `planner`: a request as one create body, refusing in one sentence what the model cannot do.
- `run`: create / find again / poll / download for each take (providers/ark.py is the client).
- `engine`: `SeedanceEngine`, the Engine contract over the above.

Sources and what was assumed: docs/engines/seedance.md.
"""

from shotcraft.engine.seedance.engine import SeedanceEngine, __version__
from shotcraft.engine.seedance.settings import SeedanceSettings

__all__ = ["SeedanceEngine", "SeedanceSettings", "__version__"]
