"""How to spell a command in a hint so that it works as printed.

Installed with the README's commands (`uv run aiops-assess ...`), there is no `aiops-assess` on the
user's PATH: a hint must then say `uv run aiops-assess ...`. uv sets `UV` in the environment of
what `uv run` starts.
"""

from __future__ import annotations

import os


def command(args: str = "") -> str:
    """`aiops-assess ARGS`, prefixed with `uv run` when this process was started by `uv run`."""
    prefix = "uv run aiops-assess" if os.environ.get("UV") else "aiops-assess"
    return f"{prefix} {args}".rstrip()
