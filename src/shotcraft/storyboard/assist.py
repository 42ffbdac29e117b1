"""The LLM assist's pure half: the prompt, the chunks a text is sent in, what counts as an
answer, and how the answers become one 剧本 (the network half is in projects/assist.py).

A model is asked to rewrite a part of a text nobody's rules can read (a novel chapter, a
treatment) into shotcraft's canonical 剧本 layout. Its answer is then read by the same 剧本
reader as any script, so every shot still traces to a line of the rewritten file.

- Chunks: the text is cut at blank lines (else at line ends) into parts of at most
  `max_chars` characters; a part is never cut inside a line unless one line alone is longer.
- An answer conforms when, without a Markdown fence around it, the 剧本 reader finds at least
  one scene heading in it and no line of it is an apology or a question to the user.
- Joining: the answers follow each other; scene numbers are renumbered per episode (1-1, 1-2,
  …) and episode headers numbered in order, so parts written apart never repeat a number.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re

from shotcraft.shots.errors import ScriptError
from shotcraft.storyboard.juben import parse_juben

__all__ = ["PROMPT_VERSION", "SYSTEM_PROMPT", "answer_problem", "cache_key", "chunks", "diff",
           "halves", "join_answers", "messages", "split_chunk"]

PROMPT_VERSION = "1"
SYSTEM_PROMPT = """你是短剧编剧。把用户给出的文字改写成竖屏短剧剧本，只输出剧本本身，不要解释，不要 Markdown。
格式（每个元素单独一行）：
第1集 标题            （只在原文分章或分集处写；没有就不写）
1-1 日 内 地点        （场景头：编号 时间（日/夜/晨/昏） 内/外 地点）
人物：甲、乙           （本场出场人物）
△动作描写             （可拍摄的画面，现在时）
甲：（语气或动作）台词   （对白；内心独白写 甲（OS）：…；旁白写 旁白：…）
【字幕：…】 【音效：…】  （字幕卡、声音提示）
保留原文的人物名、事件顺序和对白原话；不要增加原文没有的情节。
You are a short-drama screenwriter. Rewrite the user's text as a script in exactly this
layout, in the language of the text, and output the script only."""


def messages(chunk: str, *, part: int, parts: int) -> list[dict[str, str]]:
    """The chat messages for one chunk."""
    where = f"（第 {part}/{parts} 部分）" if parts > 1 else ""
    return [{"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": f"改写为剧本{where}：\n\n{chunk}"}]


def cache_key(model: str, chunk: str, *, part: int, parts: int) -> str:
    """The cache key of one request: the model, the prompt (and its version), the chunk."""
    payload = json.dumps([PROMPT_VERSION, model, messages(chunk, part=part, parts=parts)],
                         ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def chunks(text: str, max_chars: int) -> list[str]:
    """`text` in parts of at most `max_chars` characters, cut at blank lines, else line ends."""
    if max_chars < 200:
        raise ValueError("max_chars must be at least 200")
    paragraphs = re.split(r"\n[ \t\u3000]*\n", text.strip())
    parts: list[str] = []
    current = ""
    for paragraph in paragraphs:
        pieces = [paragraph] if len(paragraph) <= max_chars else split_chunk(paragraph, max_chars)
        for piece in pieces:
            joined = f"{current}\n\n{piece}" if current else piece
            if len(joined) <= max_chars:
                current = joined
            else:
                if current:
                    parts.append(current)
                current = piece
    if current:
        parts.append(current)
    return parts


def split_chunk(text: str, max_chars: int) -> list[str]:
    """`text` cut at line ends into parts of at most `max_chars` (a longer line is cut where it
    must): a paragraph too long for one request."""
    lines = text.split("\n")
    parts: list[str] = []
    current = ""
    for line in lines:
        while len(line) > max_chars:
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:max_chars])
            line = line[max_chars:]
        joined = f"{current}\n{line}" if current else line
        if len(joined) <= max_chars:
            current = joined
        else:
            parts.append(current)
            current = line
    if current:
        parts.append(current)
    return [part for part in parts if part.strip()]


def halves(text: str) -> list[str]:
    """`text` in two, cut at the blank line nearest its middle (else the line end, else the
    middle): how a part whose answer was cut off at the model's length limit is asked again."""
    middle = len(text) // 2
    for separator in ("\n\n", "\n"):
        cuts = [m.start() for m in re.finditer(re.escape(separator), text)]
        if cuts:
            cut = min(cuts, key=lambda at: abs(at - middle))
            left, right = text[:cut].strip("\n"), text[cut:].strip("\n")
            if left and right:
                return [left, right]
    return [text[:middle], text[middle:]]


_FENCE = re.compile(r"^\s*```[A-Za-z]*\s*\n(.*?)\n\s*```\s*$", re.DOTALL)
_REFUSAL = re.compile(r"^(?:抱歉|对不起|很抱歉|我无法|我不能|作为(?:一个)?AI|I'm sorry|I am sorry|I cannot|"
                      r"As an AI|Sorry)", re.IGNORECASE | re.MULTILINE)


def clean_answer(text: str) -> str:
    """An answer without the Markdown fence some models put around it."""
    fenced = _FENCE.match(text.strip())
    return (fenced.group(1) if fenced else text).strip()


def answer_problem(text: str) -> str | None:
    """Why an answer is not a 剧本 in the asked layout, or None when it is one."""
    body = clean_answer(text)
    if not body:
        return "the answer is empty"
    if _REFUSAL.search(body):
        return "the answer is a refusal or an apology, not a script"
    try:
        script = parse_juben(body)
    except ScriptError as exc:
        return f"the answer does not read as a 剧本 ({exc.reason})"
    if not any(sc.heading for ep in script.episodes for sc in ep.scenes):
        return "the answer has no scene heading like 1-1 日 内 地点"
    return None


_EPISODE = re.compile(r"^(\s*)第\s*[0-9一二三四五六七八九十百零两]+\s*集(.*)$")
_SCENE = re.compile(r"^(\s*)(?:场\s*)?\d+\s*[-—–]\s*\d+(?=[\s:：，,、]|$)")


def join_answers(answers: list[str]) -> str:
    """The answers as one script, scenes renumbered per episode and episodes in order (a header
    that repeats the episode before its first scene is dropped)."""
    out: list[str] = []
    episode, scene = 1, 0
    for answer in answers:
        for line in clean_answer(answer).split("\n"):
            episode_header = _EPISODE.match(line)
            if episode_header:
                if scene == 0 and any(_EPISODE.match(previous) for previous in out):
                    continue  # the same episode again, before any scene of it
                if scene:
                    episode += 1
                scene = 0
                out.append(f"{episode_header.group(1)}第{episode}集{episode_header.group(2)}")
                continue
            heading = _SCENE.match(line)
            if heading:
                scene += 1
                line = f"{heading.group(1)}{episode}-{scene}{line[heading.end():]}"
            out.append(line)
        out.append("")
    return "\n".join(out).strip() + "\n"


def diff(original: str, rewritten: str, *, original_name: str, rewritten_name: str) -> str:
    """A unified diff of the script as written and as rewritten (what --dry-run shows)."""
    return "".join(difflib.unified_diff(
        original.splitlines(keepends=True), rewritten.splitlines(keepends=True),
        fromfile=original_name, tofile=rewritten_name))
