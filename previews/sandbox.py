"""Running an untrusted app's build: bubblewrap, resource limits, a wall clock, bounded output.

The command sees a read-only system (`/usr` and its symlinks, the toolchain's own files), the app's work
folder at `/app` (the only writable path besides a private `/tmp`), an optional read-only package cache at
`/cache`, and nothing else: no network (`--unshare-all`), no other processes, no environment from Atelier
(`--clearenv`: no secrets). `prlimit` caps CPU time, memory (the data segment: V8 and WebAssembly reserve
far more address space than they use, so an address-space cap breaks Vite), file size and open files per
process. A wall-clock timeout kills bubblewrap's whole process group; bubblewrap's `--die-with-parent` and
its PID namespace take every process of the build with it.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

# Read-only binds of the host system: enough for Node, npm and Vite on Debian (merged /usr).
SYSTEM_BINDS = ("/usr", "/etc/alternatives", "/etc/ssl", "/etc/ca-certificates")
SYSTEM_SYMLINKS = (("usr/bin", "/bin"), ("usr/lib", "/lib"), ("usr/lib64", "/lib64"), ("usr/sbin", "/sbin"))
MAX_LINE_CHARS = 500
TAIL_LINES = 60


@dataclass(frozen=True)
class Limits:
    wall_seconds: float
    cpu_seconds: int
    memory_bytes: int
    file_bytes: int = 512 * 1024 * 1024
    open_files: int = 4096


@dataclass(frozen=True)
class Result:
    returncode: int
    timed_out: bool
    tail: tuple[str, ...]  # the last lines of output (stdout and stderr interleaved)
    seconds: float

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out


def command(
    *,
    bwrap: str,
    argv: Sequence[str],
    work: Path,
    limits: Limits,
    cache: Path | None = None,
    env: dict | None = None,
    binds: Sequence[str] = (),
) -> list[str]:
    """The full argv: prlimit, then bubblewrap, then `argv` running in /app."""
    wrapped = [
        "prlimit",
        f"--cpu={limits.cpu_seconds}:{limits.cpu_seconds + 5}",  # SIGXCPU first (reported), SIGKILL 5 s later
        f"--data={limits.memory_bytes}",
        f"--fsize={limits.file_bytes}",
        f"--nofile={limits.open_files}",
        "--",
        bwrap,
        "--unshare-all",
        "--die-with-parent",
        "--new-session",
        "--clearenv",
    ]
    for path in SYSTEM_BINDS:
        if os.path.exists(path):
            wrapped += ["--ro-bind", path, path]
    for path in binds:  # a toolchain installed outside /usr (e.g. /opt/node)
        wrapped += ["--ro-bind", path, path]
    for target, link in SYSTEM_SYMLINKS:
        wrapped += ["--symlink", target, link]
    wrapped += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--bind", str(work), "/app", "--chdir", "/app"]
    if cache is not None:
        wrapped += ["--ro-bind", str(cache), "/cache"]
    variables = {"HOME": "/tmp", "PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "CI": "true"}
    variables.update(env or {})
    wrapped += ["--remount-ro", "/"]  # the sandbox's own root too: /app and /tmp stay the only writable places
    for name, value in variables.items():
        wrapped += ["--setenv", name, value]
    return [*wrapped, "--", *argv]


def run(
    *,
    bwrap: str,
    argv: Sequence[str],
    work: Path,
    limits: Limits,
    cache: Path | None = None,
    env: dict | None = None,
    binds: Sequence[str] = (),
    on_line: Callable[[str], None] | None = None,
) -> Result:
    """Run `argv` in the sandbox; each output line goes to `on_line` as it comes. Never raises for the
    command's own failure: the result says how it ended."""
    started = time.monotonic()
    tail: deque[str] = deque(maxlen=TAIL_LINES)
    # bubblewrap writes {"child-pid": N} to the info pipe: N is the sandbox's PID 1, whose death ends
    # every process inside, and bubblewrap exits only after that.
    info_read, info_write = os.pipe()
    wrapped = command(bwrap=bwrap, argv=argv, work=work, limits=limits, cache=cache, env=env, binds=binds)
    at = wrapped.index(bwrap) + 1
    wrapped[at:at] = ["--info-fd", str(info_write)]
    try:
        process = subprocess.Popen(
            wrapped,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so the timeout can kill all of it
            pass_fds=(info_write,),
        )
    finally:
        os.close(info_write)
    timed_out = False
    deadline = started + limits.wall_seconds
    buffer = b""
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                timed_out = True
                break
            if not selector.select(timeout=min(remaining, 1.0)):
                continue
            data = os.read(process.stdout.fileno(), 65536)
            if not data:
                break
            buffer += data
            *lines, buffer = buffer.split(b"\n")
            for raw in lines:
                _line(raw, tail, on_line)
            if len(buffer) > MAX_LINE_CHARS * 4:  # a line without end (progress bars): cut it
                _line(buffer, tail, on_line)
                buffer = b""
    if buffer:
        _line(buffer, tail, on_line)
    if not timed_out:
        try:  # the output closed; the process may still be running
            process.wait(timeout=max(deadline - time.monotonic(), 0))
        except subprocess.TimeoutExpired:
            timed_out = True
    if timed_out:
        _kill(process, _child_pid(info_read))
    os.close(info_read)
    returncode = process.wait()
    process.stdout.close()
    return Result(returncode=returncode, timed_out=timed_out, tail=tuple(tail), seconds=time.monotonic() - started)


def _line(raw: bytes, tail: deque, on_line: Callable[[str], None] | None) -> None:
    text = raw.decode("utf-8", "replace").rstrip("\r")
    text = text.rsplit("\r", 1)[-1]  # a progress line redrawn in place: keep what it says last
    if len(text) > MAX_LINE_CHARS:
        text = text[:MAX_LINE_CHARS] + "…"
    tail.append(text)
    if on_line is not None:
        on_line(text)


def _child_pid(info_read: int) -> int | None:
    try:
        return int(json.loads(os.read(info_read, 4096).decode() or "{}").get("child-pid"))
    except (OSError, ValueError, TypeError):
        return None


def _kill(process: subprocess.Popen, child_pid: int | None) -> None:
    """Kill the sandbox's PID 1 (the kernel then kills everything inside), wait, then bubblewrap's group."""
    if child_pid is not None:
        try:
            os.kill(child_pid, signal.SIGKILL)
            process.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
