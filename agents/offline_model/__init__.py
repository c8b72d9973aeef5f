"""The built-in offline model (docs/architecture.md, "Models and providers"): small, real, working static
apps without a network.

`OfflineClient` answers every agent action in exactly the format a real model is asked for by
`agents.prompts`, so the whole pipeline (JSON validation, heredoc parser) runs for real. It lives beside
the prompts it answers; `modelconfig` builds it like any other provider client. Modules: `client`
(streaming), `prompt` (reading the tagged sections, named in `agents.prompts`), `answers` (one answer per
action), `design` (request or blueprint -> which app), `kinds` (the app kinds, read from the files in
`apps/<kind>/`), `edits` (follow-up requests applied to the current files), `spec` (colours and the app
description).
"""

from .client import OfflineClient, answer_for

__all__ = ["OfflineClient", "answer_for"]
