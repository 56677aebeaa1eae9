"""Session storage: one SQLite checkpoint file per named session in the data directory, and the
lock that gives a session one writer at a time.

One file per session keeps a damaged file from taking other sessions down with it. The lock is an
OS file lock (`filelock`, flock on Unix) next to the session file: the kernel releases it when its
process dies, so a killed terminal never leaves a session locked.
"""

from __future__ import annotations

import errno
import os
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout
from pydantic import BaseModel

from agent.common.hints import command

# \Z, not $: "$" also matches before a trailing newline, and a name with one splits listings.
_NAME = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9._-]{0,63}\Z")


class SessionError(Exception):
    """A session cannot be used; the message says why and what to do."""


class SessionBusy(SessionError):
    """Another process (a terminal, a web server) is writing to the session right now."""

    def __init__(self, name: str) -> None:
        super().__init__(
            f"Session '{name}' is open in another window (a terminal or a browser tab) and is "
            "being answered there. Finish or close it there, then resume it here; or start another "
            "session with --session OTHER_NAME.")


def no_such_session(name: str, known: list[str]) -> SessionError:
    """The error for a session that does not exist, naming those that do (`known`)."""
    return SessionError(f"No session named '{name}' (sessions: {', '.join(known) or 'none yet'}). "
                        f"Start it with: {command(f'chat --session {name}')}")


def saved_state(saver: Any, name: str) -> dict:
    """The state values the checkpointer `saver` holds for session `name` ({} when not started)."""
    from agent.interview.graph import build_graph

    graph = build_graph().compile(checkpointer=saver)
    return dict(graph.get_state({"configurable": {"thread_id": name}}).values or {})


class SessionLock:
    """One writer per session across processes: an exclusive, re-entrant OS file lock.

    `hold` may be nested (the terminal holds it for the whole chat and each turn takes it again);
    it raises SessionBusy after `wait` seconds when another process has it."""

    def __init__(self, sessions_dir: Path, name: str) -> None:
        self.name = name
        self.path = sessions_dir / f"{check_name(name)}.lock"
        # Not thread-local: the web server resumes one turn's generator from several threads.
        self._lock = FileLock(str(self.path), thread_local=False)

    @contextmanager
    def hold(self, wait: float = 0.0) -> Iterator[None]:
        try:
            self._lock.acquire(timeout=wait)
        except Timeout as exc:
            raise SessionBusy(self.name) from exc
        except OSError as exc:
            if _read_only(exc):  # nothing can change the session, so no writer needs excluding
                yield
                return
            raise SessionError(f"Cannot lock session '{self.name}' ({exc}). Check data_dir in config "
                               "(or AIOPS_DATA_DIR).") from exc
        try:
            yield
        finally:
            self._lock.release()


def _read_only(exc: OSError) -> bool:
    return exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM)


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
    if not os.access(path, os.R_OK):
        raise SessionError(f"Cannot read the session file {path}: permission denied. Check the file's "
                           "permissions, or data_dir in config (or AIOPS_DATA_DIR).")
    try:
        con = _connect_read_only(path)
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
def open_checkpointer(sessions_dir: Path, name: str, *, must_exist: bool = False, read_only: bool = False):
    """A SqliteSaver for the named session (created on first use unless `must_exist`). With
    `read_only` nothing is written, so a session on a read-only disk or directory can be read."""
    from langgraph.checkpoint.sqlite import SqliteSaver

    path = session_path(sessions_dir, name)
    if path.exists():
        _check_readable(path)
    elif must_exist or read_only:
        raise no_such_session(name, [p.stem for p in list_sessions(sessions_dir)])
    try:
        con = _connect_read_only(path) if read_only else _connect(sessions_dir, path)
    except (OSError, sqlite3.Error) as exc:
        if _is_read_only_error(exc):
            raise SessionError(_read_only_message(path)) from exc
        raise SessionError(f"Cannot open session storage {path}: {exc}. Check data_dir in config "
                           "(or AIOPS_DATA_DIR).") from exc
    try:
        saver = SqliteSaver(con)
        if not read_only:
            saver.setup()  # creates the tables and switches the file to WAL
            # In WAL mode NORMAL survives a killed process (only power loss can drop the last turn)
            # and spares an fsync per checkpoint, several per turn.
            con.execute("PRAGMA synchronous=NORMAL")
        yield saver
    except sqlite3.DatabaseError as exc:
        if _is_read_only_error(exc):
            raise SessionError(_read_only_message(path)) from exc
        failure = storage_failure(exc, name)
        if failure is not None:
            raise failure from exc
        raise SessionError(f"The session file {path} is damaged ({exc}). Start a new session with "
                           "--session OTHER_NAME, or move the file away.") from exc
    finally:
        con.close()


def storage_failure(exc: BaseException, name: str) -> SessionError | None:
    """The user's message for a failed write to the session's storage (a full disk, a write error,
    a read-only file), or None when `exc` is not one."""
    if not isinstance(exc, sqlite3.OperationalError | OSError):
        return None
    text = str(exc).lower()
    if _is_read_only_error(exc) and "unable to open" not in text:
        return SessionError(_read_only_message(Path(f"{name}.sqlite")))
    if "full" in text or "disk i/o" in text or (isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EFBIG)):
        return SessionError(f"Could not save session '{name}' ({exc}): the disk is probably full. Everything "
                            "up to your previous reply is saved; free some space, then resume with: "
                            f"{command(f'chat --session {name}')}")
    return None


def _connect(sessions_dir: Path, path: Path) -> sqlite3.Connection:
    sessions_dir.mkdir(parents=True, exist_ok=True)
    return sqlite3.connect(str(path), check_same_thread=False, timeout=30)


def _connect_read_only(path: Path) -> sqlite3.Connection:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    try:
        con.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return con
    except sqlite3.OperationalError:
        # A WAL file needs its -shm index, which cannot be created in a read-only directory;
        # immutable=1 reads the main file as it is (what a finished, closed session is).
        con.close()
        return sqlite3.connect(f"file:{path}?immutable=1", uri=True, check_same_thread=False)


def _is_read_only_error(exc: BaseException) -> bool:
    if isinstance(exc, OSError):
        return _read_only(exc)
    text = str(exc).lower()
    return "readonly" in text or "read-only" in text or "unable to open database" in text


def _read_only_message(path: Path) -> str:
    return (f"The session file {path} (or its directory) is read-only, so this session cannot go on here. "
            f"Reports still work (`{command('report --session NAME')}`); to continue, make the data "
            "directory writable or set data_dir in config (or AIOPS_DATA_DIR) to a writable one.")


def list_sessions(sessions_dir: Path) -> list[Path]:
    """Session files, newest first."""
    if not sessions_dir.is_dir():
        return []
    files = [p for p in sessions_dir.glob("*.sqlite") if _NAME.match(p.stem)]
    return sorted(files, key=lambda p: p.stat().st_mtime, reverse=True)


def read_values(sessions_dir: Path, name: str) -> dict:
    """A saved session's state values, read-only ({} for a session that has not started);
    SessionError when there is no such session or its file is damaged."""
    with open_checkpointer(sessions_dir, name, must_exist=True, read_only=True) as saver:
        return saved_state(saver, name)
