"""Kling (可灵) cloud engine: card-drawn video takes through Kling's REST API, never paid twice.

The account — settings (`KlingSettings`, `SHOTCRAFT_KLING_*`; keys are `SecretStr`, never
stored in a project, printed or logged), the JWT, hosts, error codes, retries and the
never-pay-twice task calls — is the provider's (`shotcraft.providers.kling`), shared with
Kling's speech engine. Modules here, top to bottom:
- `limits`: what a task may be sent (prompt length, image size, references, aspects).
- `models`: `MODELS` / `COST_TABLE`, what each model+mode can do and what one task costs.
- `camera`: `camera_control_for`, a shot's camera move → Kling `camera_control`.
- `planner`: `plan_task`, refuse what the model cannot do, resolve mutually exclusive inputs
  (keyframes win over the camera move), build the request body.
- `tasks`: a take as Kling tasks on the provider's machinery (slots, checkpointed submit, a
  lost answer looked for before sending again, polling, download); `client`: video takes on it:
  each task's `external_task_id` is checkpointed before it is
  submitted and its `task_id` right after, so a crashed render resumes polling (or finds the
  task by its external id) instead of submitting — and paying — again.
- `extend`: a shot longer than one task is a clip plus `video-extend` tasks; Kling returns
  the whole extended video, so the last one is the take (each step saved, resumable).
- `elements`: make a Kling element (a reusable subject) from a character's references.
- `omni`: a shot whose characters are elements, as one omni-video task (kling-video-o1).
- `stills`: keyframe stills through image generation, the character's face as the reference.
- `engine`: `KlingEngine`, the Engine contract over the above.

See the README's "kling (cloud)" section ("Sources, and what was assumed") for the sources of
the field names, the capability and cost tables, and what had to be assumed.
"""

from shotcraft.engine.kling.camera import camera_control_for
from shotcraft.engine.kling.engine import KlingEngine, __version__
from shotcraft.engine.kling.models import COST_TABLE, MODELS, ModelCaps
from shotcraft.engine.kling.planner import TaskPlan, plan_task, trim_prompt
from shotcraft.providers.kling.settings import KlingSettings

__all__ = [
    "COST_TABLE",
    "MODELS",
    "KlingEngine",
    "KlingSettings",
    "ModelCaps",
    "TaskPlan",
    "__version__",
    "camera_control_for",
    "plan_task",
    "trim_prompt",
]
