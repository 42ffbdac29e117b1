"""Clients for outside services, one module each, no domain logic: `ark` (Volcengine / BytePlus
Ark, Seedance's task API) and `comfyui` (a self-hosted ComfyUI server, HTTP and websocket)."""
