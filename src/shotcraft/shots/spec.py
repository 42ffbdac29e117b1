"""What a take is drawn from, so a take can tell when its shot or its faces changed since.

`drawn_from(shot, references)` is recorded on every take when it is drawn (and on a take added
from a file): one fingerprint per part of the spec an engine draws from — kind, size, camera,
duration, characters, action, dialogue, prompt, negative prompt, keyframes — and one per
character in frame of the content of its reference images. Long texts are kept as short
hashes. `changes(recorded, now)` names what differs, in the director's words ("size",
"camera", "林晚晚's references"); an empty list means the take still matches its shot.

Takes drawn before this was recorded have nothing to compare and are never called outdated.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from shotcraft.shots.models import Keyframe, Shot

SPEC_FIELDS = ("kind", "size", "camera", "angle", "duration", "characters", "action", "dialogue",
               "prompt", "negative_prompt", "first_keyframe", "last_keyframe")
# how a changed field is said ("camera" rather than "camera move and intensity")
FIELD_WORDS = {"duration": "duration", "negative_prompt": "negative prompt",
               "first_keyframe": "first keyframe", "last_keyframe": "last keyframe"}


def _short(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


def _keyframe(keyframe: Keyframe | None) -> str:
    if keyframe is None:
        return ""
    return f"{keyframe.path or ''}|{'chain' if keyframe.chain_previous else ''}"


def spec_fingerprint(shot: Shot) -> dict[str, str]:
    """The parts of a shot an engine draws from, each as a short comparable string."""
    dialogue = json.dumps([line.model_dump(mode="json") for line in shot.dialogue],
                          sort_keys=True, ensure_ascii=False)
    return {
        "kind": shot.kind.value,
        "size": shot.size.value,
        "camera": f"{shot.camera.move.value}:{shot.camera.intensity:g}",
        "angle": shot.angle.value if shot.angle else "",
        "duration": str(shot.duration_frames),
        "characters": ",".join(shot.characters),
        "action": _short(shot.action or ""),
        "dialogue": _short(dialogue),
        "prompt": _short(shot.prompt),
        "negative_prompt": _short(shot.negative_prompt),
        "first_keyframe": _keyframe(shot.first_keyframe),
        "last_keyframe": _keyframe(shot.last_keyframe),
    }


def references_digest(hashes: list[str]) -> str:
    """One digest for a character's reference images (their content hashes, in order)."""
    return _short(",".join(hashes)) if hashes else ""


def drawn_from(shot: Shot, references: Mapping[str, list[str]]) -> dict[str, Any]:
    """What a take of `shot` is drawn from: the spec fingerprint and, per character in frame,
    a digest of its reference images' content hashes (`references`: name → sha256 list)."""
    return {
        "spec": spec_fingerprint(shot),
        "references": {name: references_digest(list(references.get(name, [])))
                       for name in dict.fromkeys(shot.characters)},
    }


def spec_hash(recorded: Mapping[str, Any]) -> str:
    """One hash of a `drawn_from` record: equal hashes, nothing changed."""
    canonical = json.dumps(recorded, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha1(canonical.encode("utf-8")).hexdigest()


def changes(recorded: Mapping[str, Any] | None, now: Mapping[str, Any]) -> list[str]:
    """What differs between a take's record and the shot now, in words; [] when nothing
    (or when the take has no record to compare)."""
    if not recorded:
        return []
    said: list[str] = []
    spec_then, spec_now = recorded.get("spec") or {}, now.get("spec") or {}
    for field in SPEC_FIELDS:
        if field in spec_then and spec_then.get(field) != spec_now.get(field):
            said.append(FIELD_WORDS.get(field, field))
    refs_then, refs_now = recorded.get("references") or {}, now.get("references") or {}
    for name in sorted(set(refs_then) & set(refs_now)):
        if refs_then[name] != refs_now[name]:
            said.append(f"{name}'s references")
    return said
