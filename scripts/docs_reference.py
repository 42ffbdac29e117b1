"""The generated parts of the documentation site, written by cog blocks in docs/.

`make docs` runs `cog -r` over the pages that hold such blocks; CI runs `cog --check`, which fails
when a page no longer says what the code says. Each function prints Markdown with `cog.outl`:

- `commands_table()` / `commands_help()`: every CLI command, from the Typer app, and the output of
  `shotcraft COMMAND --help` as a user sees it (run as a real subprocess, at a fixed width);
- `settings()`: every settings class (pydantic-settings) with its environment variables, types,
  defaults and the comment its field carries in the source, then every other `SHOTCRAFT_*`
  variable the source reads directly;
- `migrations()`: the Alembic revisions, from their own docstrings.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import cog  # type: ignore[import-not-found]

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
WIDTH = "100"

# the guide page that explains each command; a new command must be given one here (the reference
# page is generated and fails to generate until it is)
GUIDES: dict[str, tuple[str, str]] = {
    "new": ("Getting started", "../getting-started.md"),
    "import": ("Scripts", "../guide/scripts.md"),
    "shots": ("Breakdown", "../guide/breakdown.md"),
    "shot": ("Editing a shot", "../guide/breakdown.md#editing-a-shot"),
    "characters": ("The character bible", "../guide/bible.md"),
    "character": ("The character bible", "../guide/bible.md"),
    "voice": ("Voices", "../guide/voices.md"),
    "fit": ("Pace", "../guide/pace.md#shots-that-follow-the-speech"),
    "add-ref": ("The character bible", "../guide/bible.md#the-character-bible"),
    "remove-ref": ("The character bible", "../guide/bible.md#the-character-bible"),
    "render": ("Card draw", "../guide/card-draw.md"),
    "add-take": ("Card draw", "../guide/card-draw.md#picking-and-rejecting"),
    "takes": ("Card draw", "../guide/card-draw.md#ranking"),
    "rescore": ("Identity", "../guide/bible.md#identity-are-these-the-bibles-people"),
    "pick": ("Card draw", "../guide/card-draw.md#picking-and-rejecting"),
    "reject": ("Card draw", "../guide/card-draw.md#picking-and-rejecting"),
    "ranker": ("The ranker", "../guide/card-draw.md#the-ranker-learning-the-directors-eye"),
    "stats": ("Statistics", "../guide/card-draw.md#statistics"),
    "export": ("Export and the mix", "../guide/export.md"),
    "import-edit": ("Reading the edit back", "../guide/editors.md#reading-the-edit-back"),
    "board": ("The studio", "../guide/studio.md"),
    "demo": ("Getting started", "../getting-started.md#the-demo"),
    "review": ("Reviewing takes in a browser", "../guide/review.md"),
    "play": ("Reviewing takes in a browser", "../guide/review.md"),
    "doctor": ("Reliability", "../guide/reliability.md#damaged-values-and-shotcraft-doctor"),
    "config": ("Settings", "../guide/settings.md#shotcraft-config"),
}

# what the variables read straight from the environment (not through a settings class) do
DIRECT: dict[str, str] = {
    "SHOTCRAFT_DEBUG": "any value: print ffmpeg's last lines and the traceback after an error's sentence",
    "SHOTCRAFT_FFMPEG": "the ffmpeg binary (default: the one on PATH, else imageio-ffmpeg's)",
    "SHOTCRAFT_FFPROBE": "the ffprobe binary (default: the one on PATH)",
    "SHOTCRAFT_FONT": "the font file for captions and burned subtitles (default: fontconfig's CJK font)",
    "SHOTCRAFT_IMAGES": "how the studio draws frames: auto, kitty, sixel, iterm, halfblock",
    "SHOTCRAFT_MAX_SCRIPT_MB": "the largest script `import` reads, in MB (default 8)",
    "SHOTCRAFT_TTS_API_KEY": "the key of the OpenAI-compatible speech server (environment only)",
    "SHOTCRAFT_TTS_BASE_URL": "the OpenAI-compatible speech server, e.g. https://api.openai.com/v1",
    "SHOTCRAFT_TTS_MODEL": "its model (default tts-1)",
    "SHOTCRAFT_TTS_REQUEST_TIMEOUT": "seconds a speech request may take",
    "SHOTCRAFT_TTS_RETRIES": "retries for rate limits and server errors",
    "SHOTCRAFT_TTS_RETRY_DELAY": "first back-off, seconds (doubled each time)",
    "SHOTCRAFT_KLING_TTS_POLL_INTERVAL": "seconds between polls of a Kling speech task (default 1)",
    "SHOTCRAFT_LLM_CHUNK_CHARS": "characters of script sent to the LLM assist per request (default 6000, at least 400)",
}


# what the settings fields without a comment in the source do; a field with neither fails the
# generation, so a new setting cannot reach the reference without a meaning
MEANINGS: dict[str, str] = {
    "SHOTCRAFT_DIFFUSERS_KEYFRAME_MODEL": "folder (or hub id, when online) of the text-to-image pipeline",
    "SHOTCRAFT_DIFFUSERS_KEYFRAME_STEPS": "denoising steps of stills",
    "SHOTCRAFT_DIFFUSERS_KEYFRAME_GUIDANCE": "CFG of stills",
    "SHOTCRAFT_DIFFUSERS_IP_ADAPTER_SUBFOLDER": "where the weights are inside IP_ADAPTER",
    "SHOTCRAFT_DIFFUSERS_IP_ADAPTER_WEIGHT_NAME": "the weights file inside that subfolder",
    "SHOTCRAFT_DIFFUSERS_IP_ADAPTER_SCALE": "reference strength; per shot `params={\"ip_adapter_scale\": x}`, per character `shotcraft character DIR NAME --ip-adapter-scale x` (wins over both)",
    "SHOTCRAFT_DIFFUSERS_VIDEO_MODEL": "folder of the motion pipeline",
    "SHOTCRAFT_DIFFUSERS_VIDEO_STEPS": "denoising steps of video takes",
    "SHOTCRAFT_DIFFUSERS_VIDEO_GUIDANCE": "CFG of video takes",
    "SHOTCRAFT_DIFFUSERS_VIDEO_BUCKETS": "aspect → \"WxH\", multiples of the family's size multiple; empty: the family's defaults",
    "SHOTCRAFT_DIFFUSERS_DEVICE": "auto: cuda when present",
    "SHOTCRAFT_DIFFUSERS_DTYPE": "auto: bf16 on a GPU, fp32 on the CPU",
    "SHOTCRAFT_DIFFUSERS_CPU_OFFLOAD": "memory saver for big models",
    "SHOTCRAFT_DIFFUSERS_VAE_TILING": "memory saver for big models",
    "SHOTCRAFT_DIFFUSERS_VAE_SLICING": "memory saver for big models",
    "SHOTCRAFT_EXECUTOR": "where takes are drawn: `local` (threads of this process) or `ray`",
    "SHOTCRAFT_KLING_ACCESS_KEY": "the Access Key half of a Kling API key pair (environment only: never stored, printed or logged)",
    "SHOTCRAFT_KLING_SECRET_KEY": "the Secret Key half (environment only)",
    "SHOTCRAFT_KLING_MODEL_NAME": "the video model",
    "SHOTCRAFT_KLING_MODE": "standard or professional mode (size, price, what the model can do)",
    "SHOTCRAFT_KLING_CFG_SCALE": "how closely the take follows the prompt, 0-1 (models that take it)",
    "SHOTCRAFT_KLING_MAX_POLL_SECONDS": "how long one task is polled before the take fails",
    "SHOTCRAFT_KLING_REQUEST_TIMEOUT": "seconds one HTTP request may take",
    "SHOTCRAFT_KLING_MAX_DOWNLOAD_BYTES": "the largest result file downloaded",
    "SHOTCRAFT_KLING_CALLBACK_URL": "sent as the tasks' `callback_url` (shotcraft polls either way)",
    "SHOTCRAFT_DEFAULT_ENGINE": "the engine `render` uses without `--engine`",
    "SHOTCRAFT_TAKES_DEFAULT": "declared but not read by anything at present: a shot's takes wanted is its own field (default 3)",
    "SHOTCRAFT_IDENTITY_THRESHOLD": "`pick --auto` passes over a take whose identity is under this when another take of the shot reaches it (0-1)",
}


def _shotcraft() -> list[str]:
    """The installed `shotcraft` command beside this Python (the venv's), else the one on PATH."""
    beside = Path(sys.executable).with_name("shotcraft")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("shotcraft")
    if found is None:
        raise SystemExit("docs_reference: no shotcraft command; install the package first")
    return [found]


def _help(*args: str) -> str:
    env = {**os.environ, "TERMINAL_WIDTH": WIDTH, "COLUMNS": WIDTH, "NO_COLOR": "1",
           "TERM": "dumb", "_TYPER_FORCE_DISABLE_TERMINAL": "1"}
    env.pop("FORCE_COLOR", None)
    env.pop("GITHUB_ACTIONS", None)
    result = subprocess.run([*_shotcraft(), *args, "--help"], capture_output=True, text=True,
                            env=env, check=True, cwd=ROOT)
    return "\n".join(line.rstrip() for line in result.stdout.splitlines()).strip("\n")


def _commands() -> list[tuple[str, str]]:
    """(name, first line of its help) for every command, in the order `shotcraft --help` lists."""
    import typer.main

    from shotcraft.studio.cli import app

    group: Any = typer.main.get_command(app)
    listed = []
    for name in group.list_commands(None):  # type: ignore[arg-type]
        command = group.commands[name]
        summary = (command.help or "").strip().split("\n")[0]
        listed.append((name, summary))
    return listed


def commands_table() -> None:
    """The commands at a glance: what each does, and the guide that explains it."""
    cog.outl("| command | what it does | guide |")
    cog.outl("|---|---|---|")
    for name, summary in _commands():
        if name not in GUIDES:
            raise SystemExit(f"docs_reference: command {name!r} has no guide page in GUIDES")
        title, link = GUIDES[name]
        cog.outl(f"| [`{name}`](#shotcraft-{name}) | {summary} | [{title}]({link}) |")


def commands_help() -> None:
    """`shotcraft --help`, then each command's own help (run two at a time: each is a process
    start of about half a second)."""
    from concurrent.futures import ThreadPoolExecutor

    names = [name for name, _ in _commands()]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        helps = list(pool.map(lambda args: _help(*args), [(), *[(name,) for name in names]]))
    for title, text in zip(["shotcraft", *[f"shotcraft {name}" for name in names]], helps, strict=True):
        cog.outl(f"## {title}\n")
        cog.outl("```text")
        cog.outl(text)
        cog.outl("```\n")


def _settings_classes() -> list[type]:
    """Every section of the settings tree, in the order `shotcraft config` shows them."""
    from shotcraft.projects.settings import SECTIONS

    return list(SECTIONS)


def _field_comments(cls: type) -> dict[str, str]:
    """The comment on each field's line, or the comment lines just above it."""
    import inspect

    lines = inspect.getsource(cls).splitlines()
    comments: dict[str, str] = {}
    above: list[str] = []
    heading = False  # a comment block after a blank line heads a group of fields: not one field's
    previous = ""
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("#"):
            if not above:
                heading = not previous.strip()
            above.append(stripped.lstrip("# ").strip())
            previous = line
            continue
        previous = line
        match = re.match(r"\s{4}(\w+)\s*:", line)
        if match and not stripped.startswith(("def ", "model_config")):
            trailing = line.split("  # ", 1)[1].strip() if "  # " in line else ""
            comments[match[1]] = trailing or ("" if heading else " ".join(above))
        above = []
    return comments


def _type_name(annotation: Any) -> str:
    """`int`, `sd`, `sdxl` or `flux`, `str` or unset, … as a reader would say it."""
    import types
    import typing

    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Literal:
        return " or ".join(f"`{arg}`" for arg in args)
    if origin in (typing.Union, types.UnionType):
        named = [_type_name(arg) for arg in args if arg is not type(None)]
        return " or ".join(named) + (" or unset" if type(None) in args else "")
    if isinstance(annotation, type) and not args:
        return annotation.__name__
    return str(annotation).replace("typing.", "")


def _default(field: Any) -> str:
    if field.is_required():
        return "required"
    value = field.get_default(call_default_factory=True)
    if value is None:
        return "—"
    if value in ({}, [], ""):
        return "empty"
    return f"`{value}`".replace("|", "\\|")


def settings() -> None:
    """One table per settings class, then the variables read directly."""
    classes = _settings_classes()
    covered: set[str] = set()
    for cls in classes:
        config: Any = cls.model_config  # type: ignore[attr-defined]
        prefix = config.get("env_prefix", "")
        comments = _field_comments(cls)
        doc = (cls.__doc__ or "").strip().split("\n")[0]
        section = getattr(cls, "section", "")
        cog.outl(f"## `[{section}]`\n")
        cog.outl(f"{doc} Declared in `{cls.__module__}` (`{cls.__name__}`).\n")
        cog.outl("| variable | type | default | meaning |")
        cog.outl("|---|---|---|---|")
        for name, field in cls.model_fields.items():  # type: ignore[attr-defined]
            variable = (prefix + name).upper()
            covered.add(variable)
            meaning = (comments.get(name, "") or MEANINGS.get(variable, "")
                       or DIRECT.get(variable, ""))
            if not meaning:
                raise SystemExit(f"docs_reference: {variable} ({cls.__name__}.{name}) has no "
                                 "comment in the source and no meaning in MEANINGS")
            meaning = meaning.replace("|", "\\|")
            cog.outl(f"| `{variable}` | {_type_name(field.annotation)} | {_default(field)} | {meaning} |")
        cog.outl("")
    direct: dict[str, set[str]] = {}
    for path in sorted((SRC / "shotcraft").rglob("*.py")):
        for variable in re.findall(r"[\"'](SHOTCRAFT_[A-Z0-9_]*[A-Z0-9])[\"']", path.read_text(encoding="utf-8")):
            if variable not in covered:
                module = ".".join(path.relative_to(SRC).with_suffix("").parts)
                direct.setdefault(variable, set()).add(module)
    cog.outl("## Read directly from the environment\n")
    if not direct:
        cog.outl("None: every `SHOTCRAFT_*` variable the code names is a setting above.\n")
        return
    cog.outl("| variable | meaning | read by |")
    cog.outl("|---|---|---|")
    for variable in sorted(direct):
        if variable not in DIRECT:
            raise SystemExit(f"docs_reference: {variable} is read in {sorted(direct[variable])} "
                             "but has no meaning in DIRECT")
        modules = ", ".join(f"`{m}`" for m in sorted(direct[variable]))
        cog.outl(f"| `{variable}` | {DIRECT[variable]} | {modules} |")
    cog.outl("")


def migrations() -> None:
    """The revisions in order, each with the first line of its docstring."""
    folder = SRC / "shotcraft" / "projects" / "migrations" / "versions"
    cog.outl("| revision | what it changes |")
    cog.outl("|---|---|")
    for path in sorted(folder.glob("[0-9]*.py")):
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
        cog.outl(f"| `{path.stem}` | {doc.strip().splitlines()[0] if doc else ''} |")
