"""ComfyUI (self-hosted): takes drawn by the director's own workflow on their own GPU.

- `settings`: `ComfyUISettings` (`SHOTCRAFT_COMFYUI_URL`, `SHOTCRAFT_COMFYUI_WORKFLOW`, ...).
- `workflow`: load a workflow (API or UI graph), convert a graph with /object_info, map it
  (`shotcraft.*` titles or a shipped template's mapping), check it against the server.
- `run`: one prompt per take, queued once under an id saved before /prompt.
- `engine`: `ComfyUIEngine`, the Engine contract over the above (providers/comfyui.py is the
  client).

See docs/engines/comfyui.md.
"""

from shotcraft.engine.comfyui.engine import ComfyUIEngine, __version__
from shotcraft.engine.comfyui.settings import ComfyUISettings

__all__ = ["ComfyUIEngine", "ComfyUISettings", "__version__"]
