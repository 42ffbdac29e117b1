"""Lip-sync takes: a video take of a dialogue shot, re-animated so its mouths speak the shot's lines.

`lipsync_source` resolves what one is made of, before anything is queued or paid:
- the parent: `--from-take N` (a done video take), else the shot's picked take (the parent of a
  picked lip-sync take), else its best-ranked done video take;
- the audio: the shot's on-screen lines (not OS inner voice or VO narration, which no mouth
  speaks) in the characters' bible voices, each laid where the subtitles place it in the shot
  (shifted by the shot's trim), padded with silence to the parent take's length, written as a
  48 kHz mono WAV to `cache/lipsync/<sha256>.wav` (content-addressed; the hash is the take's
  `audio_hash`).

The source goes into the job's options with project-relative paths, so a resumed render sends
exactly what was planned; `request_for` turns it back into the engine's `LipsyncSource`.
"""

from __future__ import annotations

import hashlib
import wave
from pathlib import Path
from typing import Any

import numpy as np
from sqlmodel import col, select

from shotcraft.assembly import subtitles
from shotcraft.assembly.speech.cache import RATE, read_samples
from shotcraft.assembly.speech.timing import spoken_lines
from shotcraft.assembly.timeline import Timeline
from shotcraft.engine.protocol import Engine, LipsyncSource, RenderRequest
from shotcraft.projects.db import ShotRow, TakeRow
from shotcraft.projects.export import build_timeline
from shotcraft.projects.store import Store
from shotcraft.projects.takes import take_views
from shotcraft.projects.voices import speaker_voices
from shotcraft.shots.errors import ProjectError, ShotcraftError
from shotcraft.shots.files import atomic_target
from shotcraft.shots.models import Shot, TakeKind, TakeStatus

UNSPOKEN = ("OS", "VO")  # inner voice and narration: heard, but no mouth on screen says them


def on_screen(mode: str | None) -> bool:
    """A line of this mode is said by a mouth in the picture (not OS or VO)."""
    return (mode or "").upper() not in UNSPOKEN


def lipsync_source(store: Store, shot_id: str, *, from_take: int | None = None,
                   timeline: Timeline | None = None) -> dict[str, Any]:
    """The job options' `lipsync` entry for a lip-sync take of `shot_id` (paths relative to the
    project), or ProjectError in one sentence naming the shot. `timeline` is the shot's
    episode's (`build_timeline`), when the caller has it already."""
    shot = store.shot(shot_id)
    parent = _parent(store, shot, from_take)
    path = store.layout.resolve(parent.media_path or "", what=f"take {parent.number} of {shot.id}")
    fps = float(parent.fps or store.fps)
    frames = int(parent.duration_frames or 0)
    audio, digest, seconds, speech = _dialogue_audio(
        store, shot, frames / fps if fps else 0.0,
        timeline if timeline is not None else build_timeline(store, shot.episode))
    return {
        "parent_take": parent.number,
        "video": store.layout.relative(path),
        "video_engine": parent.engine,
        "video_id": (parent.provider or {}).get("video_id"),
        "video_expires": (parent.provider or {}).get("url_expires_hint"),
        "width": int(parent.width or 0), "height": int(parent.height or 0), "fps": fps,
        "frames": frames,
        "audio": store.layout.relative(audio), "audio_hash": digest,
        "audio_seconds": round(seconds, 4), "speech": speech,
    }


def lipsync_shots(store: Store, episode: int,
                  engine: Engine) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """The shots of an episode to lip-sync, each with its `lipsync_source` entry, and one
    sentence for each dialogue shot left out:
    every shot with a line spoken on screen whose video take `engine` can lip-sync (the checks
    of `lipsync_source` and the engine's), except one that already has a done lip-sync take of
    that take speaking the same audio."""
    if episode not in store.episodes():
        raise ProjectError(f"there is no episode {episode} in this project.")
    chosen: dict[str, dict[str, Any]] = {}
    skipped: list[str] = []
    timeline = build_timeline(store, episode)  # once: every shot's audio is placed on it
    for shot in store.shots(episode=episode):
        if not any(on_screen(line.mode) for line in shot.dialogue):
            continue  # no mouth to move: not a lip-sync shot, and nothing to say about it
        try:
            source = lipsync_source(store, shot.id, timeline=timeline)
            engine.check(lipsync_request(store, shot, seeds=[0], take_numbers=[1],
                                         options={"lipsync": source}))
        except ShotcraftError as exc:
            skipped.append(f"{shot.id}: {exc.message}" if shot.id not in exc.message
                           else exc.message)
            continue
        with store.db.read() as session:
            done = session.exec(select(TakeRow).where(
                TakeRow.shot_id == shot.id, TakeRow.kind == TakeKind.LIPSYNC.value,
                TakeRow.status == TakeStatus.DONE.value,
                TakeRow.parent_take == source["parent_take"],
                TakeRow.audio_hash == source["audio_hash"])).first()
        if done is not None:
            skipped.append(f"{shot.id}: take {done.number} already lip-syncs take "
                           f"{source['parent_take']} to these lines.")
            continue
        chosen[shot.id] = source
    return chosen, skipped


def lipsync_request(store: Store, shot: Shot, *, seeds: list[int], take_numbers: list[int],
                    options: dict[str, Any]) -> RenderRequest:
    """The engine's request for lip-sync takes planned with `options["lipsync"]`."""
    saved = dict(options.get("lipsync") or {})
    if not saved:
        raise ProjectError(f"a lip-sync take of {shot.id} was queued without its video take and "
                           "audio; draw it again with `shotcraft render DIR --shot ID --lipsync`.")
    video = store.layout.resolve(saved["video"], what=f"take {saved['parent_take']} of {shot.id}")
    audio = store.layout.resolve(saved["audio"], what=f"the dialogue audio of {shot.id}")
    if not video.is_file():
        raise ProjectError(f"take {saved['parent_take']} of {shot.id} has no file any more.")
    if not audio.is_file():  # the cache was cleared: the same lines make the same file again
        again = lipsync_source(store, shot.id, from_take=saved["parent_take"])
        if again["audio_hash"] != saved["audio_hash"]:
            raise ProjectError(f"the dialogue of {shot.id} changed since its lip-sync take was "
                               "queued; draw the lip-sync take again.")
    source = LipsyncSource.model_validate({**saved, "video": video, "audio": audio})
    return RenderRequest(
        shot_id=shot.id, kind=TakeKind.LIPSYNC, prompt=shot.prompt,
        width=source.width, height=source.height, fps=round(source.fps) or store.fps,
        num_frames=source.frames, aspect=store.aspect, size=shot.size, seeds=seeds,
        take_numbers=take_numbers, dialogue=list(shot.dialogue), lipsync=source)


def _parent(store: Store, shot: Shot, from_take: int | None) -> TakeRow:
    with store.db.read() as session:
        rows = {row.number: row for row in session.exec(
            select(TakeRow).where(TakeRow.shot_id == shot.id).order_by(col(TakeRow.number)))}
        picked = session.get(ShotRow, shot.id)
    if from_take is not None:
        row = rows.get(from_take)
        if row is None:
            raise ProjectError(f"shot {shot.id} has no take {from_take}.")
        if row.kind == TakeKind.LIPSYNC.value:
            raise ProjectError(f"take {from_take} of {shot.id} is itself a lip-sync take (of take "
                               f"{row.parent_take}); name a video take.")
        if row.kind != TakeKind.VIDEO.value:
            raise ProjectError(f"take {from_take} of {shot.id} is a still; lip-sync needs a video take.")
        if row.status != TakeStatus.DONE.value or not row.media_path:
            raise ProjectError(f"take {from_take} of {shot.id} is {row.status}; lip-sync needs a "
                               "done video take.")
        return row
    pick = rows.get(picked.picked_take) if picked is not None and picked.picked_take else None
    if pick is not None and pick.kind == TakeKind.LIPSYNC.value and pick.parent_take:
        pick = rows.get(pick.parent_take)
    if pick is not None and pick.kind == TakeKind.VIDEO.value and pick.status == TakeStatus.DONE.value:
        return pick
    ranked = sorted((v for v in take_views(store, shot.id, kind=TakeKind.VIDEO) if v.rank),
                    key=lambda v: v.rank or 0)
    if not ranked:
        raise ProjectError(f"{shot.id} has no done video take to lip-sync; draw one first "
                           f"(`shotcraft render DIR --shot {shot.id}`).")
    return rows[ranked[0].take.number]


def _dialogue_audio(store: Store, shot: Shot, video_seconds: float,
                    timeline: Timeline) -> tuple[Path, str, float, list[tuple[float, float]]]:
    """The shot's on-screen lines as one WAV as long as the video (or as the lines, if they run
    longer: the engine refuses that in one sentence), its hash, length and spoken spans."""
    clip = next((c for c in timeline.clips if c.shot_id == shot.id), None)
    if clip is None:
        raise ProjectError(f"shot {shot.id} is not in episode {shot.episode}'s cut.")
    one = timeline.model_copy(update={"clips": [clip]})
    cues = [c for c in subtitles.build_cues(one, [0], language=store.language)
            if c.text.strip() and on_screen(c.mode)]
    if not cues:
        raise ProjectError(f"{shot.id} has no line spoken on screen (inner voice and voice-over "
                           "move no mouth); there is nothing to lip-sync.")
    spoken = spoken_lines(cues, speaker_voices(store), store.layout.cache, store.language)
    offset = (shot.trim_in or 0) / timeline.fps  # the take's frames shown start at the trim
    placed: list[tuple[int, np.ndarray]] = []
    speech: list[tuple[float, float]] = []
    for cue in cues:
        line = spoken.get(cue.index)
        if line is None:
            continue
        samples = read_samples(line.path)
        start = offset + cue.start_frame / timeline.fps
        placed.append((round(start * RATE), samples))
        speech.append((round(start, 4), round(start + len(samples) / RATE, 4)))
    length = max([round(video_seconds * RATE)] + [at + len(s) for at, s in placed])
    mix = np.zeros(length, dtype=np.int32)
    for at, samples in placed:
        mix[at:at + len(samples)] += samples.astype(np.int32)
    pcm = np.clip(mix, -32768, 32767).astype("<i2").tobytes()
    digest = hashlib.sha256(pcm).hexdigest()
    target = store.layout.cache / "lipsync" / f"{digest}.wav"
    if not target.is_file():
        with atomic_target(target) as temp, wave.open(str(temp), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(RATE)
            out.writeframes(pcm)
    return target, digest, length / RATE, speech
