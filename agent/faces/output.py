"""Writing a command's output to standard output or to a file (`--out FILE`)."""

from __future__ import annotations

import sys
from pathlib import Path

from agent.common.safe_text import printable


class OutputError(Exception):
    """The output file cannot be written; the message names the fix."""


def write_output(text: str, out: str | None) -> None:
    """`text` to `out` (a file path, written whole) or, without one, to standard output as plain
    printable text (no terminal escape sequences from stored words)."""
    if not out:
        sys.stdout.write(printable(text) + ("" if text.endswith("\n") else "\n"))
        return
    path = Path(out).expanduser()
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise OutputError(f"Cannot write {path} ({exc.strerror or exc}). Pick another --out path.") from exc
    print(f"Wrote {path}", file=sys.stderr)
