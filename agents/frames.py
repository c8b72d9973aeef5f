"""Frames on the wire: one serialisation, and a size no frame exceeds (agents.payloads builds within it).

Every frame is at most `settings.MAX_FRAME_BYTES` (256 KiB by default): daphne closes a socket on a frame
over 1 MiB with 1011, and a single oversized frame (a snapshot, a big file) would make an app impossible
to open. Sizes are made by construction: big values are cut into pieces or named by URL, never sent whole.
"""

from __future__ import annotations

import hashlib
import json
from urllib.parse import quote

from django.conf import settings

# Room kept in every frame for the fields around a bounded one (type, seq, message, paths).
FRAME_MARGIN = 8 * 1024
# A text field (chat message, error) longer than this is cut in a frame; the full text stays in the database.
MESSAGE_CHARS = 20_000
# Characters per `file_chunk_generated` piece: escaped as JSON (at most 6 bytes a character) it stays
# well under the frame cap.
CHUNK_PIECE_CHARS = 32 * 1024


def max_frame_bytes() -> int:
    return settings.MAX_FRAME_BYTES


def dumps(value) -> str:
    """The one serialisation of a frame: compact, ASCII-only (so its length is its size in bytes)."""
    return json.dumps(value, default=str, separators=(",", ":"))


def json_size(value) -> int:
    return len(dumps(value))


def contents_url(agent_id, path: str) -> str:
    """Where a file's contents are when a frame cannot carry them (`GET /api/agent/<id>/files/<path>`)."""
    return f"/api/agent/{agent_id}/files/{quote(path)}"


def bound_event(agent_id, type: str, fields: dict) -> dict:
    """The fields of a durable event, cut so that its frame fits; big values are named, not sent.

    `file_generated` always gains `file.size` and `file.sha256`; its `fileContents` is replaced by
    `file.contentsUrl` when the contents would not fit.
    """
    limit = max_frame_bytes() - FRAME_MARGIN
    if type == "file_generated" and isinstance(fields.get("file"), dict):
        file = dict(fields["file"])
        contents = file.get("fileContents")
        if isinstance(contents, str):
            encoded = contents.encode()
            file.setdefault("size", len(encoded))
            file.setdefault("sha256", hashlib.sha256(encoded).hexdigest())
            if len(contents) > limit or json_size(contents) > limit:
                del file["fileContents"]
                file["contentsUrl"] = contents_url(agent_id, file.get("filePath", ""))
        fields = {**fields, "file": file}
    if json_size(fields) <= limit:
        return fields
    # Anything else too big (a very long chat reply or error text): cut its text fields and say so.
    cut = {key: value[:MESSAGE_CHARS] if isinstance(value, str) else value for key, value in fields.items()}
    if json_size(cut) <= limit:
        return {**cut, "truncated": True}
    return {"message": "This event was too large to send.", "truncated": True}


def bounded_text(agent_id, frame: dict) -> str:
    """A stored frame as text within the cap (rows written before the cap existed may need cutting)."""
    text = dumps(frame)
    if len(text) <= max_frame_bytes():
        return text
    head = {key: frame[key] for key in ("type", "seq", "prevDurableSeq") if key in frame}
    fields = {key: value for key, value in frame.items() if key not in head}
    return dumps({**head, **bound_event(agent_id, frame["type"], fields)})


def loads(text: str):
    return json.loads(text)
