"""Preview backends: turn an agent's files into the folder of files a preview origin serves.

A backend fills an empty staging folder; `storage.publish` moves it into place. The `static` backend
publishes the files as they are. A `build` backend (see README.md) will run the app's own build command
in a sandbox and publish its output folder the same way.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from pathlib import Path

from previews import storage


class PublishFailed(Exception):
    """The backend could not produce the site; the message is shown to the app's owner."""


class PreviewBackend(ABC):
    name: str
    # True when the backend runs a build: the deployment is then `building` while it works.
    builds: bool = False

    @abstractmethod
    def fill(self, *, files: Mapping[str, str], folder: Path) -> None:
        """Write the site to serve into `folder` (empty). Raise PublishFailed with a readable message."""


class StaticBackend(PreviewBackend):
    """Publishes the files exactly as the agent wrote them."""

    name = "static"

    def fill(self, *, files: Mapping[str, str], folder: Path) -> None:
        if "index.html" not in files:
            raise PublishFailed("The app has no index.html to open.")
        try:
            storage.write_files(folder, dict(files))
        except ValueError as exc:
            raise PublishFailed(str(exc)) from exc


BACKENDS: dict[str, type[PreviewBackend]] = {StaticBackend.name: StaticBackend}
DEFAULT_BACKEND = StaticBackend.name


def get_backend(name: str = DEFAULT_BACKEND) -> PreviewBackend:
    return BACKENDS[name]()
