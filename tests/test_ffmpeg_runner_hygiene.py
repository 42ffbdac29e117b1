"""Every ffmpeg and ffprobe process starts in shots/ffmpeg.py, so every failure reads the same."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "shotcraft"
RUNNER = PACKAGE / "shots" / "ffmpeg.py"
# files whose owners switch them over separately; engine/previz.py and engine/kling.py start
# no process today, so nothing is listed (add "engine/previz…" here only with a reason)
ALLOWED: set[str] = set()
_SPAWN = {"run", "Popen", "call", "check_call", "check_output", "getoutput", "getstatusoutput"}
_FFMPEG_NAMES = ("ffmpeg_binary", "ffprobe_binary", "'ffmpeg'", "'ffprobe'", '"ffmpeg"', '"ffprobe"')


def _spawns(function: ast.AST) -> bool:
    for node in ast.walk(function):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name) and node.func.value.id == "subprocess"
                and node.func.attr in _SPAWN):
            return True
    return False


def ffmpeg_spawns(path: Path) -> list[str]:
    """`file:function` for each function that starts a process and names an ffmpeg binary."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and _spawns(node):
            source = ast.unparse(node)
            if any(name in source for name in _FFMPEG_NAMES):
                where = path.relative_to(PACKAGE) if path.is_relative_to(PACKAGE) else path.name
                found.append(f"{where}:{node.name}")
    return found


def test_only_the_runner_starts_ffmpeg() -> None:
    offenders = [
        spot
        for path in sorted(PACKAGE.rglob("*.py"))
        if path != RUNNER and str(path.relative_to(PACKAGE)) not in ALLOWED
        for spot in ffmpeg_spawns(path)
    ]
    assert offenders == []


def test_the_scan_sees_a_direct_call(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import subprocess\nfrom shotcraft.shots.media import ffmpeg_binary\n"
        "def decode(path):\n    args = [ffmpeg_binary(), '-i', path]\n"
        "    return subprocess.run(args, check=False)\n", encoding="utf-8")
    assert ffmpeg_spawns(sample) == ["sample.py:decode"]
    assert ffmpeg_spawns(RUNNER)  # the runner itself is what the scan would flag
