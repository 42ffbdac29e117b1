"""One client per outside service, shared by every part of shotcraft that talks to it.

A provider's package or module holds how to reach the service (hosts, keys and their signing),
what its answers mean (error codes, envelopes) and how to call it safely (bounded retries, tasks
never paid for twice); engines, speech engines and LLM assists build their requests on it:
`kling` (Kling's video, stills, elements, lip-sync and speech), `ark` (Volcengine / BytePlus Ark,
Seedance's task API), `comfyui` (a self-hosted ComfyUI server, HTTP and websocket) and
`openai_compat` (any OpenAI-compatible chat endpoint). No domain logic lives here: a provider
knows nothing of shots, takes or projects, and imports only `shots` (the foundation). Each
provider is imported by name (`shotcraft.providers.kling`); this file imports none of them, so
importing the package never loads an optional dependency.
"""
