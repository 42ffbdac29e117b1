"""`import --assist llm`: a text the rules cannot read is rewritten by an OpenAI-compatible chat
model into the canonical 剧本 layout, part by part, and the rules read the rewrite.

- Each part's answer is cached in the project's `cache/llm/` under the hash of (model, prompt,
  part): a re-import, or the import after a `--dry-run`, asks nothing again.
- An answer cut off at the model's length limit (`finish_reason: "length"`) is asked again as
  two halves, down to `MIN_HALF` characters; an answer that is not a 剧本 (`storyboard.assist.
  answer_problem`) is asked again up to `ANSWER_TRIES` times; after that, one sentence says
  which part of the script (its lines) could not be rewritten and why.
- Timeouts, 429 (honouring Retry-After) and 5xx are retried by the `openai` client itself.
- The key comes from SHOTCRAFT_LLM_API_KEY only; it is never written to the cache, the
  rewritten script, the database or a message.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from shotcraft.providers.openai_compat import ChatClient, LLMError, LLMSettings
from shotcraft.shots.files import atomic_target
from shotcraft.storyboard import assist

MIN_HALF = 100  # a part whose answer is cut off is asked again in halves, down to this size
ANSWER_TRIES = 3

AssistProgress = Callable[[int, int], None]  # (parts done, parts)


@dataclass
class Rewrite:
    """What the assist made of a script."""

    text: str  # the rewritten script
    parts: int
    asked: int = 0  # requests sent (0 when every part came from the cache)
    cached: int = 0  # parts answered from the cache
    model: str = ""
    server: str = ""
    notes: list[str] = field(default_factory=list)


def chunk_chars() -> int:
    """Characters of script sent in one request: `chunk_chars` of `[llm]`
    (SHOTCRAFT_LLM_CHUNK_CHARS), at least 400."""
    return LLMSettings().chunk_chars


def rewrite(text: str, *, cache_dir: Path, client: ChatClient | None = None,
            progress: AssistProgress | None = None, source: str = "the script") -> Rewrite:
    """`text` rewritten into the 剧本 layout, part by part, with answers cached in `cache_dir`."""
    client = client or ChatClient(LLMSettings())  # from the settings (environment, user file)
    size = chunk_chars()
    parts = assist.chunks(text, size)
    result = Rewrite(text="", parts=len(parts), model=client.model, server=client.settings.host)
    answers: list[str] = []
    starts = _line_starts(text, parts)
    for number, part in enumerate(parts, start=1):
        answers.extend(_answer(client, part, number, len(parts), cache_dir, result,
                               where=f"part {number} of {len(parts)} of {source} (from line "
                                     f"{starts[number - 1]})"))
        if progress is not None:
            progress(number, len(parts))
    result.text = assist.join_answers(answers)
    return result


def _answer(client: ChatClient, part: str, number: int, parts: int, cache_dir: Path,
            result: Rewrite, *, where: str) -> list[str]:
    """The answers for one part: one, or more when a cut-off answer made us ask in halves."""
    key = assist.cache_key(client.model, part, part=number, parts=parts)
    cached = _read_cache(cache_dir, key)
    if cached is not None:
        result.cached += 1
        return cached
    problem = ""
    for _ in range(ANSWER_TRIES):
        reply = client.complete(assist.messages(part, part=number, parts=parts))
        result.asked += 1
        if reply.finish_reason == "length":
            if len(part) // 2 < MIN_HALF:
                raise LLMError(f"the model {client.model} cut its answer off at its length limit "
                               f"for {where}, even for a part of {len(part)} characters; use a model "
                               f"with a longer output or lower SHOTCRAFT_LLM_CHUNK_CHARS")
            answers: list[str] = []
            for half in assist.halves(part):
                answers.extend(_answer(client, half, number, parts, cache_dir, result,
                                       where=where + " (a half)"))
            _write_cache(cache_dir, key, answers, client.model)
            return answers
        problem = assist.answer_problem(reply.text) or ""
        if not problem:
            answers = [assist.clean_answer(reply.text)]
            _write_cache(cache_dir, key, answers, client.model)
            return answers
    raise LLMError(f"the model {client.model} did not rewrite {where} as a script after "
                   f"{ANSWER_TRIES} tries: {problem}")


def _line_starts(text: str, parts: list[str]) -> list[int]:
    starts, at = [], 0
    for part in parts:
        found = text.find(part[:40], at)
        at = found if found >= 0 else at
        starts.append(text.count("\n", 0, at) + 1)
    return starts


def _read_cache(cache_dir: Path, key: str) -> list[str] | None:
    path = cache_dir / f"{key}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    answers = data.get("answers") if isinstance(data, dict) else None
    if not isinstance(answers, list) or not all(isinstance(a, str) for a in answers):
        return None
    return answers


def _write_cache(cache_dir: Path, key: str, answers: list[str], model: str) -> None:
    cache_dir.mkdir(parents=True, exist_ok=True)
    with atomic_target(cache_dir / f"{key}.json") as temp:
        temp.write_text(json.dumps({"model": model, "prompt": assist.PROMPT_VERSION,
                                    "answers": answers}, ensure_ascii=False), encoding="utf-8")
