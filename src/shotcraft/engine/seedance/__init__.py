"""Seedance (ByteDance, on Volcengine Ark or BytePlus ModelArk): video takes and multi-shot
sequences through Ark's content generation task API, never paid twice.

- `models`: what each model does, its frame sizes, its prices.
- `planner`: a request as one create body, refusing in one sentence what the model cannot do.
- `run`: create / find again / poll / download for each take.
- `engine`: `SeedanceEngine`, the Engine contract over the above.

The Ark account's client and its settings (`SeedanceSettings`: `[seedance]`,
`SHOTCRAFT_SEEDANCE_*`; the key a SecretStr) are the provider's: providers/ark/.

Sources and what was assumed: docs/engines/seedance.md.
"""

from shotcraft.engine.seedance.engine import SeedanceEngine, __version__
from shotcraft.providers.ark.settings import SeedanceSettings

__all__ = ["SeedanceEngine", "SeedanceSettings", "__version__"]
