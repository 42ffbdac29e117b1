"""ComfyUI (self-hosted): takes drawn by the director's own workflow on their own GPU.

- `workflow`: load a workflow (API or UI graph), convert a graph with /object_info, map it
  (`shotcraft.*` titles or a shipped template's mapping), check it against the server.
- `plan`: a request filled into the workflow, each take's prompt made from it.
- `run`: one prompt per take, queued once under an id saved before /prompt.
- `engine`: `ComfyUIEngine`, the Engine contract over the above.

The server's client and its settings (`ComfyUISettings`: `[comfyui]`, `SHOTCRAFT_COMFYUI_URL`,
`SHOTCRAFT_COMFYUI_WORKFLOW`, ...) are the provider's: providers/comfyui/.

See docs/engines/comfyui.md.
"""

from shotcraft.engine.comfyui.engine import ComfyUIEngine, __version__
from shotcraft.providers.comfyui.settings import ComfyUISettings

__all__ = ["ComfyUIEngine", "ComfyUISettings", "__version__"]
