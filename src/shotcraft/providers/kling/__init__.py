"""Kling (可灵): one account, one client, for video, stills, elements, lip-sync and speech.

- `settings`: `KlingSettings` (`[kling]`, `SHOTCRAFT_KLING_*`), the region hosts;
- `auth`: the cached HS256 JWT every call carries;
- `codes`: Kling's answer envelope and what its error codes mean;
- `tasks`: `KlingApi`, signed calls with bounded retries, submits never paid for twice
  (checkpointed before they are sent, looked for before they are sent again), polls and
  downloads; `TaskSlots`, the account's parallel-task limit, process-wide.

The video engine (engine/kling) and the speech engine (assembly/speech/kling.py) build their
tasks on these; neither holds a copy.
"""
