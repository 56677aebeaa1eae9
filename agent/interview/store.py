"""Session storage: one SQLite checkpoint file per named session in the data directory.

One file per session keeps a damaged file from taking other sessions down with it.
"""

from __future__ import annotations

import re
import sqlite3
from contextlib import contextmanager
from pathlib import Path

from pydantic import BaseModel

from agent.common.hints import command

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class SessionError(Exception):
    """A session cannot be used; the message says why and what to do."""


class SessionInfo(BaseModel):
    name: str
    path: str
    answered: int = 0
    phase: str = "new"
    level: int | None = None
    total: int | None = None
    updated: float = 0.0
    error: str | None = None


def check_name(name: str) -> str:
    if not _NAME.match(name):
        raise SessionError(f"Invalid session name {name!r}: use letters, digits, '.', '_' or '-' "
                           "(at most 64 characters), e.g. --session acme-2026.")
    return name


def session_path(sessions_dir: Path, name: str) -> Path:
    return sessions_dir / f"{check_name(name)}.sqlite"


def _check_readable(path: Path) -> None:
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            row = con.execute("PRAGMA quick_check").fetchone()
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise SessionError(f"The session file {path} is damaged ({exc}). Other sessions are unaffected: "
                           f"start a new one with --session OTHER_NAME, or move the file away.") from exc
    if row and row[0] != "ok":
        raise SessionError(f"The session file {path} is damaged ({row[0]}). Start a new session with "
                           "--session OTHER_NAME, or move the file away.")
    if tables and "checkpoints" not in tables:
        raise SessionError(f"{path} is not an aiops-assess session file. Move it away or use another name.")


@contextmanager
def open_checkpointer(sessions_dir: Path, name: str, *, must_exist: bool = False):
    """A SqliteSaver for the named session (created on first use unless `must_exist`)."""
    from langgraph.checkpoint.sqlite import SqliteSaver

    path = session_path(sessions_dir, name)
    if path.exists():
        _check_readable(path)
    elif must_exist:
        known = ", ".join(p.stem for p in list_sessions(sessions_dir)) or "none yet"
        raise SessionError(f"No session named '{name}' (sessions: {known}). "
                           f"Start it with: {command(f'chat --session {name}')}")
    try:
        sessions_dir.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
    except (OSError, sqlite3.Error) as exc:
        raise SessionError(f"Cannot open session storage {path}: {exc}. Check data_dir in config "
                           "(or AIOPS_DATA_DIR).") from exc
    try:
        saver = SqliteSaver(con)
        saver.setup()  # creates the tables and switches the file to WAL
        # In WAL mode NORMAL survives a killed process (only power loss can drop the last turn)
        # and spares an fsync per checkpoint, several per turn.
        con.execute("PRAGMA synchronous=NORMAL")
        yield saver
    except sqlite3.DatabaseError as exc:
        raise SessionError(f"The session file {path} is damaged ({exc}). Start a new session with "
                           "--session OTHER_NAME, or move the file away.") from exc
    finally:
        con.close()


def list_sessions(sessions_dir: Path) -> list[Path]:
    """Session files, newest first."""
    if not sessions_dir.is_dir():
        return []
    files = [p for p in sessions_dir.glob("*.sqlite") if _NAME.match(p.stem)]
    return sorted(files, key=lambda p: p.stat().st_mtime, reverse=True)


def read_values(sessions_dir: Path, name: str) -> dict:
    """A saved session's state values, read-only ({} for a session that has not started);
    SessionError when there is no such session or its file is damaged."""
    from agent.interview.graph import build_graph

    with open_checkpointer(sessions_dir, name, must_exist=True) as saver:
        graph = build_graph().compile(checkpointer=saver)
        return dict(graph.get_state({"configurable": {"thread_id": name}}).values or {})
