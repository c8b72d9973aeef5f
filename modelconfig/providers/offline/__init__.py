"""The built-in offline model (DESIGN.md §5): writes small, real, working static apps without a network.

`OfflineClient` answers every agent action in exactly the format a real model is asked for by
`agents.prompts`, so the whole pipeline (JSON validation, heredoc parser) runs for real. Modules:
`client` (streaming), `prompt` (reading the tagged sections), `answers` (one answer per action),
`design` (request or blueprint -> which app), `apps/` (the files of each kind of app), `edits` (follow-up
requests applied to the current files), `spec` (colours and the app description).
"""

from .client import OfflineClient, answer_for

__all__ = ["OfflineClient", "answer_for"]
