"""Clients for outside services, one module each, no domain logic: `ark` (Volcengine / BytePlus
Ark, Seedance's task API), `comfyui` (a self-hosted ComfyUI server, HTTP and websocket) and
`openai_compat` (any OpenAI-compatible chat endpoint).

Nothing is exported here: each client is imported from its own module, so importing this
package never loads an optional dependency.
"""
