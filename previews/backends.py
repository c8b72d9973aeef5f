"""Preview backends: turn an agent's files into the folder of files a preview origin serves.

A backend fills an empty staging folder; `storage.publish` moves it into place. The `static` backend
publishes the files as they are. The `build` backend installs the app's locked npm packages from the
shared cache and runs Vite, both inside the sandbox (`previews.sandbox`), and publishes `dist/` the same way.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from pathlib import Path

from django.conf import settings

from previews import npm, sandbox, storage
from previews.paths import clean_file_path
from previews.toolchain import INSTALL_HINT, toolchain

LogLine = Callable[[str], None]


class PublishFailed(Exception):
    """The backend could not produce the site; the message is shown to the app's owner."""


class BuildFailed(PublishFailed):
    """The app's own build failed: `log` holds the last lines it printed (what a fix needs to see)."""

    def __init__(self, message: str, *, log: tuple[str, ...] = ()):
        tail = "\n".join(log[-25:])
        super().__init__(f"{message}\n{tail}" if tail else message)
        self.log = log


class PreviewBackend(ABC):
    name: str
    # True when the backend runs a build: the deployment is then `building` while it works.
    builds: bool = False

    @abstractmethod
    def fill(self, *, files: Mapping[str, str], folder: Path, log: LogLine | None = None) -> None:
        """Write the site to serve into `folder` (empty). Raise PublishFailed with a readable message.
        `log` receives progress lines (a build's output) as they come."""


class StaticBackend(PreviewBackend):
    """Publishes the files exactly as the agent wrote them."""

    name = "static"

    def fill(self, *, files: Mapping[str, str], folder: Path, log: LogLine | None = None) -> None:
        if "index.html" not in files:
            raise PublishFailed("The app has no index.html to open.")
        try:
            storage.write_files(folder, dict(files))
        except ValueError as exc:
            raise PublishFailed(str(exc)) from exc


class BuildBackend(PreviewBackend):
    """`npm ci --ignore-scripts --offline` from the shared cache, then `vite build`, in the sandbox.

    The commands are fixed here, never read from the app (its `package.json` scripts are not run); the
    app's files go to a fresh work folder under PREVIEW_ROOT, deleted afterwards whatever happens.
    """

    name = "build"
    builds = True
    output = "dist"

    def fill(self, *, files: Mapping[str, str], folder: Path, log: LogLine | None = None) -> None:
        tools = toolchain()
        if not tools.available:
            raise PublishFailed(
                "This server cannot build framework apps: " + " ".join(tools.reasons) + " " + INSTALL_HINT
            )
        for required in ("package.json", "package-lock.json", "index.html"):
            if required not in files:
                raise PublishFailed(f"The app has no {required}, so it cannot be built.")
        try:
            npm.fill_cache(lockfile=files["package-lock.json"], on_line=log)
        except npm.NpmFailed as exc:
            raise BuildFailed(f"Downloading the app's packages failed: {exc}") from exc
        root = Path(settings.PREVIEW_ROOT)
        root.mkdir(parents=True, exist_ok=True)
        # Named like a staging folder, so `prune_previews` removes one a crash left behind.
        work = Path(tempfile.mkdtemp(prefix=f"{storage.STAGING_PREFIX}work-", dir=root))
        try:
            try:
                storage.write_files(work, dict(files))
            except ValueError as exc:
                raise PublishFailed(str(exc)) from exc
            deadline = time.monotonic() + settings.BUILD_TIMEOUT_SECONDS
            self._step(tools, work, deadline, log, "Installing packages", [tools.npm, *_NPM_CI])
            self._step(tools, work, deadline, log, "Building", [tools.node, "node_modules/vite/bin/vite.js", "build"])
            _copy_output(work / self.output, folder)
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def _step(self, tools, work: Path, deadline: float, log: LogLine | None, what: str, argv: list[str]) -> None:
        if log is not None:
            log(f"{what}…")
        limits = sandbox.Limits(
            wall_seconds=max(deadline - time.monotonic(), 1.0),
            cpu_seconds=settings.BUILD_CPU_SECONDS,
            memory_bytes=settings.BUILD_MEMORY_MB * 1024 * 1024,
        )
        result = sandbox.run(
            bwrap=tools.bwrap,
            argv=argv,
            work=work,
            limits=limits,
            cache=settings.NPM_CACHE_DIR,
            env={"npm_config_cache": "/cache", "npm_config_update_notifier": "false"},
            binds=_tool_prefixes(tools),
            on_line=log,
        )
        if result.timed_out:
            raise BuildFailed(
                f"{what} took longer than {settings.BUILD_TIMEOUT_SECONDS} s and was stopped.", log=result.tail
            )
        if not result.ok:
            raise BuildFailed(f"{what} failed ({_exit_reason(result.returncode)}).", log=result.tail)


_NPM_CI = ("ci", "--ignore-scripts", "--offline", "--no-audit", "--no-fund", "--logs-max=0", "--loglevel=error")


def _tool_prefixes(tools) -> list[str]:
    """Install folders of node and npm that the system binds (/usr) do not already cover."""
    prefixes = set()
    for path in (tools.node, tools.npm):
        real = Path(os.path.realpath(path))
        if not real.is_relative_to("/usr"):
            prefixes.add(str(real.parent.parent))
    return sorted(prefixes)


def _exit_reason(returncode: int) -> str:
    # bubblewrap passes on a signal death as 128 + signal, Popen as a negative number.
    signal_number = -returncode if returncode < 0 else returncode - 128 if returncode > 128 else 0
    if signal_number == 24:  # SIGXCPU
        return f"it used more than {settings.BUILD_CPU_SECONDS} s of CPU time"
    if signal_number == 9:
        return "it was killed, probably for using too much memory"
    return f"exit status {returncode}"


def _copy_output(output: Path, folder: Path) -> None:
    """Copy the build's regular files into `folder`; symlinks and special files are refused, size capped."""
    if not (output / "index.html").is_file():
        raise PublishFailed("The build produced no index.html in dist/.")
    limit = settings.BUILD_MAX_OUTPUT_MB * 1024 * 1024
    total = 0
    for directory, subdirectories, names in os.walk(output, followlinks=False):
        for name in [*subdirectories, *names]:
            source = Path(directory) / name
            mode = source.lstat().st_mode
            relative = source.relative_to(output).as_posix()
            if stat.S_ISDIR(mode):
                continue
            if not stat.S_ISREG(mode) or clean_file_path(relative) is None:
                raise PublishFailed(f"The build output has something that is not a plain file: {relative}")
            total += source.stat().st_size
            if total > limit:
                raise PublishFailed(f"The build output is larger than {settings.BUILD_MAX_OUTPUT_MB} MB.")
            destination = folder / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, destination)


BACKENDS: dict[str, type[PreviewBackend]] = {StaticBackend.name: StaticBackend, BuildBackend.name: BuildBackend}
DEFAULT_BACKEND = StaticBackend.name


def get_backend(name: str = DEFAULT_BACKEND) -> PreviewBackend:
    return BACKENDS[name]()
