"""shotcraft: script → storyboard → card-drawn takes → episode.

One distribution, one top-level package: `shotcraft.storyboard`, `shotcraft.shots`,
`shotcraft.engine`, `shotcraft.assembly`, `shotcraft.projects`, `shotcraft.studio`.
"""

__version__ = "0.1.0"
