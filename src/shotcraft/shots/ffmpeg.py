"""Run ffmpeg and ffprobe: the one place that starts them, reads their output and explains failures.

Every caller (probing, decoding, engine writers, export) goes through `run` or `FramePipe`, so a
failure always reads the same way: what was being done, then the last line ffmpeg printed that
says why ("moov atom not found", "No such filter: 'foo'"), with the raw tail kept on the error
(`stderr_tail`) for SHOTCRAFT_DEBUG and the studio's copy key.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from shotcraft.shots.errors import ConfigError, MediaError, ShotcraftError, disk_full
from shotcraft.shots.settings import GeneralSettings


@functools.cache
def ffmpeg_binary() -> str:
    """`ffmpeg` of the settings (SHOTCRAFT_FFMPEG), then PATH, then imageio-ffmpeg's."""
    configured = GeneralSettings().ffmpeg
    if configured:
        if not Path(configured).is_file():
            raise ConfigError(f"SHOTCRAFT_FFMPEG points at {configured}, which does not exist.")
        return configured
    found = shutil.which("ffmpeg")
    if found:
        return found
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except Exception as exc:  # noqa: BLE001 - any failure means "not available"
        raise ConfigError(
            "ffmpeg was not found: install it (apt-get install ffmpeg) or set SHOTCRAFT_FFMPEG."
        ) from exc


@functools.cache
def ffprobe_binary() -> str | None:
    """`ffprobe` of the settings (SHOTCRAFT_FFPROBE), then PATH, then beside ffmpeg; None
    (imageio's ffmpeg has none)."""
    configured = GeneralSettings().ffprobe
    if configured:
        return configured
    found = shutil.which("ffprobe")
    if found:
        return found
    sibling = Path(ffmpeg_binary()).with_name("ffprobe")
    return str(sibling) if sibling.is_file() else None


_KEPT_LINES = 2000  # the measurement pass of loudnorm needs the end of a long stderr
_TAIL_LINES = 20

# lines that never say why: the banner, stream listings, progress, and ffmpeg's closing words
_NOISE = re.compile(
    r"^(ffmpeg version|ffprobe version|built with|configuration:|lib\w+\s+\d|Input #|Output #|"
    r"Stream mapping|Stream #|Metadata:|Duration:|Side data:|Press \[q\]|\[q\] command|"
    r"frame=|size=|video:|Conversion failed!|Exiting normally|Error while |"
    r".*misdetection possible!$|\w[\w ]*\s+: )"
)
# results of an earlier cause: shown only when ffmpeg printed nothing more specific
_GENERIC = re.compile(
    r"(Invalid data found when processing input|Invalid argument|Error reinitializing filters|"
    r"Failed to inject frame into filter network|Error opening output files?|"
    r"Error initializing output stream|Error opening input files?|Error splitting the argument list|"
    r"Could not open file|Error opening filters!|Failed to set value|Error marking filters as finished)"
)
_CONTEXT = re.compile(r"^\[[^\]]+ @ (0x)?[0-9a-fA-F]+\]\s*")  # "[mov,mp4,... @ 0x55…] "
_FOLDERS = re.compile(r"^/\S*/(?=[^/\s]+: )")  # "/long/path/to/" before "take.mp4: why"


def cause(stderr: str) -> str:
    """The last line of ffmpeg's stderr that says why it failed, without its "[demuxer @ 0x…]"."""
    specific: str | None = None
    generic: str | None = None
    for raw in stderr.splitlines():
        line = _FOLDERS.sub("", _CONTEXT.sub("", raw.strip()))
        if not line or _NOISE.match(line):
            continue
        if _GENERIC.search(line):
            generic = line
        else:
            specific = line
    return specific or generic or "ffmpeg gave no reason"


def tail(stderr: str, lines: int = _TAIL_LINES) -> str:
    """The last `lines` non-blank lines of stderr, as printed."""
    return "\n".join([ln.rstrip() for ln in stderr.splitlines() if ln.strip()][-lines:])


@dataclass(frozen=True)
class Result:
    code: int
    stdout: bytes
    stderr: str


def run(
    args: Sequence[str],
    *,
    what: str,
    error: type[ShotcraftError] = MediaError,
    tool: str = "ffmpeg",
    failed: str | None = None,
    check: bool = True,
    progress: Callable[[float], None] | None = None,
    total_frames: int | None = None,
    cancel: threading.Event | None = None,
    input: bytes | None = None,
) -> Result:
    """Run `tool` ("ffmpeg" or "ffprobe") with `args` (no binary); return its exit code and output.

    With `progress`, stdout is read as ffmpeg's `-progress pipe:1` report and turned into a 0–1
    fraction of `total_frames`; otherwise stdout is returned as bytes. `cancel` kills the process.
    On failure (when `check`) raises `error("<failed>: <cause>")`, where `failed` defaults to
    "ffmpeg failed while <what>"; a cancelled run raises `error("cancelled while <what>.")`.
    """
    if cancel is not None and cancel.is_set():
        raise error(f"cancelled before {what}.")
    binary = ffmpeg_binary() if tool == "ffmpeg" else ffprobe_binary()
    if binary is None:
        raise error(f"{tool} was not found, so {what} is not possible: install ffmpeg.")
    proc = subprocess.Popen(  # noqa: S603 - an argument list, never a shell
        [binary, *args],
        stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    err_lines: deque[str] = deque(maxlen=_KEPT_LINES)
    out_chunks: list[bytes] = []

    def drain_stderr() -> None:
        # its own reader, so a chatty ffmpeg never blocks on a full pipe
        assert proc.stderr is not None
        for raw in proc.stderr:
            err_lines.append(raw.decode(errors="replace").rstrip("\r\n"))

    def feed_stdin() -> None:
        assert proc.stdin is not None and input is not None
        try:
            proc.stdin.write(input)
            proc.stdin.close()
        except (BrokenPipeError, OSError):
            pass  # ffmpeg stopped reading: its stderr says why

    def watch() -> None:
        assert cancel is not None
        while proc.poll() is None:
            if cancel.wait(0.05):
                proc.kill()
                return

    threads = [threading.Thread(target=drain_stderr, daemon=True)]
    if input is not None:
        threads.append(threading.Thread(target=feed_stdin, daemon=True))
    if cancel is not None:
        threads.append(threading.Thread(target=watch, daemon=True))
    for thread in threads:
        thread.start()
    try:
        assert proc.stdout is not None
        if progress is not None:
            for raw in proc.stdout:
                _report(raw, progress, total_frames)
        else:
            out_chunks.append(proc.stdout.read())
    finally:
        code = proc.wait()
        for thread in threads:
            thread.join(timeout=5)
    stderr = "\n".join(err_lines)
    if cancel is not None and cancel.is_set():
        raise error(f"cancelled while {what}.")
    # ffmpeg can exit 0 after "No space left on device", leaving a truncated file: never a success
    if check and (code != 0 or _NO_SPACE in stderr):
        raise failure(error, failed or f"{tool} failed while {what}", stderr, code,
                      output=output_of(args))
    if progress is not None:
        progress(1.0)
    return Result(code, b"".join(out_chunks), stderr)


def failure(
    error: type[ShotcraftError], failed: str, stderr: str, code: int | None = None, *,
    output: Path | None = None,
) -> ShotcraftError:
    """`error("<failed>: <cause>")` carrying the stderr tail (and the exit code) for details.

    A full disk is not the tool's fault: it becomes the one disk-full sentence, naming the
    folder `output` was written to, so every route to a full disk reads the same.
    """
    if _NO_SPACE in stderr:
        exc: ShotcraftError = disk_full(_named_folder(output) if output is not None else Path.cwd())
    else:
        exc = error(f"{failed}: {cause(stderr)}")
    exc.stderr_tail = tail(stderr) + (f"\n(exit code {code})" if code is not None else "")
    return exc


_NO_SPACE = "No space left on device"  # strerror(ENOSPC), as ffmpeg and x264 print it


def _named_folder(output: Path) -> Path:
    """The folder of `output` a person would recognise: above any hidden temp folder."""
    folder = output.parent
    while folder.name.startswith(".") and folder != folder.parent:
        folder = folder.parent
    return folder


def output_of(args: Sequence[str]) -> Path | None:
    """The file an ffmpeg command line writes: its last argument, unless that is a pipe."""
    if not args:
        return None
    last = str(args[-1])
    if last.startswith(("-", "pipe:")):
        return None
    return Path(last)


class FramePipe:
    """ffmpeg reading raw frames from its stdin: `write(bytes)` them, then `close()` to finish.

    `close()` raises `error("<failed>: <cause>")` when ffmpeg failed; `kill()` abandons the run.
    A set `cancel` event kills ffmpeg, so a `write` blocked on a busy encoder ends at once
    (with the error) instead of waiting for it to read.
    """

    def __init__(self, args: Sequence[str], *, what: str, error: type[ShotcraftError] = MediaError,
                 cancel: threading.Event | None = None) -> None:
        self.what, self.error = what, error
        self.output = output_of(args)
        self._proc = subprocess.Popen(  # noqa: S603 - an argument list, never a shell
            [ffmpeg_binary(), *args], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self._stderr = b""
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()
        if cancel is not None:
            threading.Thread(target=self._kill_on, args=(cancel,), daemon=True).start()

    def _kill_on(self, cancel: threading.Event) -> None:
        while self._proc.poll() is None:
            if cancel.wait(0.1):
                self._proc.kill()
                return

    def _drain(self) -> None:
        assert self._proc.stderr is not None
        self._stderr = self._proc.stderr.read()

    def write(self, data: bytes | memoryview) -> None:
        assert self._proc.stdin is not None
        try:
            self._proc.stdin.write(data)
        except BrokenPipeError as exc:
            self._proc.wait()
            self._reader.join()
            raise self._failure("ffmpeg stopped while " + self.what) from exc

    def close(self) -> None:
        """Finish the stream and wait; raise when ffmpeg did not exit cleanly."""
        code = self._finish()
        if code != 0 or _NO_SPACE.encode() in self._stderr:
            raise self._failure(f"ffmpeg failed while {self.what}", code)

    def kill(self) -> None:
        self._proc.kill()
        self._finish()

    def _finish(self) -> int:
        if self._proc.stdin and not self._proc.stdin.closed:
            try:
                self._proc.stdin.close()
            except BrokenPipeError:
                pass
        code = self._proc.wait()
        self._reader.join()
        return code

    def _failure(self, failed: str, code: int | None = None) -> ShotcraftError:
        return failure(self.error, failed, self._stderr.decode(errors="replace"), code,
                       output=self.output)


class FrameReader:
    """ffmpeg writing raw frames to its stdout, handed out one by one as they are decoded, so
    the caller works on frame n while ffmpeg decodes frame n+1.

    Iterating yields `frame_size` bytes per frame; at the end a failed run raises
    `error("<failed>: <cause>")`. Stopping early (closing the iterator) kills ffmpeg.
    """

    def __init__(self, args: Sequence[str], *, frame_size: int, what: str,
                 failed: str | None = None, error: type[ShotcraftError] = MediaError) -> None:
        self.frame_size, self.what, self.error = frame_size, what, error
        self.failed = failed or f"ffmpeg failed while {what}"
        self._args = list(args)

    def __iter__(self) -> Iterator[bytes]:
        proc = subprocess.Popen(  # noqa: S603 - an argument list, never a shell
            [ffmpeg_binary(), *self._args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        stderr: list[bytes] = []
        reader = threading.Thread(target=lambda: stderr.append(proc.stderr.read()),  # type: ignore[union-attr]
                                  daemon=True)
        reader.start()
        finished = False
        try:
            assert proc.stdout is not None
            while True:
                chunk = proc.stdout.read(self.frame_size)
                if len(chunk) < self.frame_size:
                    break
                yield chunk
            finished = True
        finally:
            if not finished:
                proc.kill()
            code = proc.wait()
            reader.join()
        text = b"".join(stderr).decode(errors="replace")
        if code != 0:
            raise failure(self.error, self.failed, text, code)


def _report(raw: bytes, progress: Callable[[float], None], total: int | None) -> None:
    """Turn one `-progress` line ("frame=42") into a fraction of the expected frames."""
    if not total:
        return
    key, _, value = raw.decode(errors="replace").strip().partition("=")
    if key == "frame" and value.isdigit():
        progress(min(1.0, int(value) / total))
