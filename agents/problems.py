"""Problems met while generating: recovered ones are warnings, the rest are reported with the result.

Why two kinds: real models slip all the time (an answer cut at the output limit, an edit that does not
apply, a file outside the plan), and most slips are recovered by asking again. A recovered problem is told
to the user quietly, as a durable `generation_warning {message, code, filePath?}` event; only what stays
wrong is an unrecovered problem, listed on the app when it completes ("complete with problems").
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from agents.events import emit


@dataclass(frozen=True)
class Problem:
    """What is wrong, in one sentence a user understands; `file` (and `line`, `column`) when it is about one file."""

    code: str
    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None

    def as_dict(self) -> dict:
        return {key: value for key, value in asdict(self).items() if value is not None}


def warn(agent_id, *, code: str, message: str, file_path: str | None = None) -> None:
    """Tell the user about a problem that was (or is being) dealt with."""
    fields = {"code": code}
    if file_path is not None:
        fields["filePath"] = file_path
    emit(agent_id, "generation_warning", message=message, **fields)
