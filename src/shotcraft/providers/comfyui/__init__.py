"""A self-hosted ComfyUI server: one client, its settings.

- `settings`: `ComfyUISettings` (`[comfyui]`, `SHOTCRAFT_COMFYUI_*`): the server and the
  workflow shotcraft fills from each shot;
- `client`: `ComfyClient`, the server's HTTP routes and its websocket.

This file imports neither, so reading the settings never loads httpx.
"""
