"""Where sessions live: one SQLite file each under the data directory (the default, agent.interview.store),
or a PostgreSQL server shared by several web workers (`storage.url: postgresql://…`).

Both give the same things: whether a session exists, the sessions with when they last changed, a
LangGraph checkpointer, the one-writer lock, a session's saved state, and the web page's record of
who started a session. On Postgres the checkpointer is LangGraph's PostgresSaver on a connection
pool, the lock a session-level advisory lock (released by the server when the worker holding it
dies), and the owners a small table beside LangGraph's."""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from agent.common.config import Settings
from agent.interview.store import (
    SessionBusy,
    SessionError,
    SessionLock,
    check_name,
    list_sessions,
    no_such_session,
    open_checkpointer,
    read_values,
    saved_state,
    session_path,
)

log = logging.getLogger(__name__)


class Lock(Protocol):
    def hold(self, wait: float = 0.0) -> contextlib.AbstractContextManager[None]: ...


class Sessions(Protocol):
    """What the faces and the composition root need of session storage."""

    where: str  # said in listings ("/home/ana/.local/share/aiops-assess/sessions", "postgresql://db/aiops")

    def exists(self, name: str) -> bool: ...
    def names(self) -> list[tuple[str, float]]: ...
    def checkpointer(self, name: str, *, must_exist: bool = False,
                     read_only: bool = False) -> contextlib.AbstractContextManager[Any]: ...
    def lock(self, name: str) -> Lock: ...
    def read_values(self, name: str) -> dict: ...
    def owner(self, name: str) -> dict | None: ...
    def set_owner(self, name: str, face: str, user: str | None) -> None: ...


class SqliteSessions:
    """One SQLite file per session in `sessions_dir` (agent.interview.store)."""

    def __init__(self, sessions_dir: Path) -> None:
        self.dir = sessions_dir
        self.where = str(sessions_dir)

    def exists(self, name: str) -> bool:
        return session_path(self.dir, name).exists()

    def names(self) -> list[tuple[str, float]]:
        return [(p.stem, p.stat().st_mtime) for p in list_sessions(self.dir)]

    def checkpointer(self, name: str, *, must_exist: bool = False, read_only: bool = False) -> Any:
        return open_checkpointer(self.dir, name, must_exist=must_exist, read_only=read_only)

    def lock(self, name: str) -> Lock:
        return SessionLock(self.dir, name)

    def read_values(self, name: str) -> dict:
        return read_values(self.dir, name)

    def _owner_path(self, name: str) -> Path:
        return self.dir / f"{check_name(name)}.owner.json"

    def owner(self, name: str) -> dict | None:
        try:
            data = json.loads(self._owner_path(name).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            log.warning("Unreadable owner file for session %s", name, exc_info=True)
            return None
        return data if isinstance(data, dict) else None

    def set_owner(self, name: str, face: str, user: str | None) -> None:
        path = self._owner_path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"face": face, "user": user}), encoding="utf-8")


_POOLS: dict[str, Any] = {}
_LOCK_POOLS: dict[str, Any] = {}
_POOLS_LOCK = threading.Lock()
# A turn holds its session's advisory lock on a connection for the whole turn, and needs other
# connections for its checkpoints meanwhile: the locks get a pool of their own, or 16 turns holding
# locks would leave none for checkpoints and all of them would wait (seen in the load test).
CHECKPOINT_CONNECTIONS = 16
LOCK_CONNECTIONS = 64
_OWNERS_DDL = """CREATE TABLE IF NOT EXISTS aiops_session_owners (
    session TEXT PRIMARY KEY, face TEXT NOT NULL, user_name TEXT)"""


def _pool(url: str) -> Any:
    """The process's connection pool for `url`, LangGraph's checkpoint tables set up once."""
    with _POOLS_LOCK:
        if url not in _POOLS:
            import psycopg
            from langgraph.checkpoint.postgres import PostgresSaver
            from psycopg.rows import dict_row
            from psycopg_pool import ConnectionPool

            # One plain connection first: an unreachable server is said at once, not after the
            # pool's 30-second wait for a connection.
            psycopg.connect(url, connect_timeout=10).close()
            kwargs = {"autocommit": True, "row_factory": dict_row, "prepare_threshold": 0}
            pool = ConnectionPool(url, min_size=1, max_size=CHECKPOINT_CONNECTIONS, open=True, timeout=30,
                                  kwargs=kwargs)
            _LOCK_POOLS[url] = ConnectionPool(url, min_size=0, max_size=LOCK_CONNECTIONS, open=True, timeout=30,
                                              kwargs=kwargs)
            PostgresSaver(pool).setup()  # type: ignore[arg-type]
            with pool.connection() as con:
                con.execute(_OWNERS_DDL)
            _POOLS[url] = pool
        return _POOLS[url]


class PostgresSessions:
    """Sessions on a PostgreSQL server (several workers share them)."""

    def __init__(self, url: str) -> None:
        from agent.storage.database import libpq_url

        self.url = libpq_url(url)
        from sqlalchemy.engine import make_url

        self.where = make_url(url).render_as_string(hide_password=True)
        try:
            self.pool = _pool(self.url)
        except Exception as exc:
            raise SessionError(f"Cannot reach the session database {self.where} ({str(exc).splitlines()[0]}). "
                               "Check storage.url in config (or AIOPS_STORAGE__URL) and that the server "
                               "is running.") from exc

    def close(self) -> None:
        """Close this server's connection pools (the sessions' and the locks'), e.g. before exit."""
        for pools in (_POOLS, _LOCK_POOLS):
            pool = pools.pop(self.url, None)
            if pool is not None:
                pool.close()

    def exists(self, name: str) -> bool:
        with self.pool.connection() as con:
            row = con.execute("SELECT 1 FROM checkpoints WHERE thread_id = %s LIMIT 1", (check_name(name),)).fetchone()
        return row is not None

    def names(self) -> list[tuple[str, float]]:
        with self.pool.connection() as con:
            rows = con.execute("SELECT thread_id, max(checkpoint->>'ts') AS ts FROM checkpoints "
                               "WHERE checkpoint_ns = '' GROUP BY thread_id").fetchall()
        out = [(r["thread_id"], datetime.fromisoformat(r["ts"]).timestamp() if r["ts"] else 0.0) for r in rows]
        return sorted(out, key=lambda r: r[1], reverse=True)

    @contextmanager
    def checkpointer(self, name: str, *, must_exist: bool = False, read_only: bool = False) -> Iterator[Any]:
        from langgraph.checkpoint.postgres import PostgresSaver

        check_name(name)
        if (must_exist or read_only) and not self.exists(name):
            raise no_such_session(name, [n for n, _ in self.names()[:20]])
        yield PostgresSaver(self.pool)

    def lock(self, name: str) -> Lock:
        return AdvisoryLock(_LOCK_POOLS[self.url], check_name(name))

    def read_values(self, name: str) -> dict:
        with self.checkpointer(name, must_exist=True) as saver:
            return saved_state(saver, name)

    def owner(self, name: str) -> dict | None:
        with self.pool.connection() as con:
            row = con.execute("SELECT face, user_name FROM aiops_session_owners WHERE session = %s",
                              (check_name(name),)).fetchone()
        return None if row is None else {"face": row["face"], "user": row["user_name"]}

    def set_owner(self, name: str, face: str, user: str | None) -> None:
        with self.pool.connection() as con:
            con.execute("INSERT INTO aiops_session_owners (session, face, user_name) VALUES (%s, %s, %s) "
                        "ON CONFLICT (session) DO UPDATE SET face = EXCLUDED.face, user_name = EXCLUDED.user_name",
                        (check_name(name), face, user))


class AdvisoryLock:
    """One writer per session across workers: a Postgres session-level advisory lock on a connection
    of its own, held while `hold` is entered (re-entrant, like SessionLock). A worker that dies
    drops its connection, and the server releases the lock."""

    POLL_SECONDS = 0.05

    def __init__(self, pool: Any, name: str) -> None:
        self.pool, self.name = pool, name
        self._depth = 0
        self._con: Any = None
        self._mutex = threading.Lock()

    @contextmanager
    def hold(self, wait: float = 0.0) -> Iterator[None]:
        with self._mutex:
            outer = not self._depth
            if outer:
                self._acquire(wait)
            else:
                self._depth += 1
        try:
            yield
        finally:
            with self._mutex:
                if outer:
                    self._release()
                else:
                    self._depth -= 1

    def _acquire(self, wait: float) -> None:
        con = self.pool.getconn()
        deadline = time.monotonic() + wait
        try:
            while True:
                row = con.execute("SELECT pg_try_advisory_lock(hashtext(%s)) AS ok", ("aiops:" + self.name,)).fetchone()
                if row["ok"]:
                    break
                if time.monotonic() >= deadline:
                    raise SessionBusy(self.name)
                time.sleep(self.POLL_SECONDS)
        except BaseException:
            self.pool.putconn(con)
            raise
        self._con, self._depth = con, 1

    def _release(self) -> None:
        con, self._con, self._depth = self._con, None, 0
        try:
            con.execute("SELECT pg_advisory_unlock(hashtext(%s))", ("aiops:" + self.name,))
        finally:
            self.pool.putconn(con)


def session_store(settings: Settings) -> Sessions:
    """The configured session storage: Postgres when storage.url is a postgresql:// URL, else the
    SQLite files under data_dir."""
    from agent.storage.database import is_postgres

    if is_postgres(settings.storage.url):
        return PostgresSessions(settings.storage.url)  # type: ignore[arg-type]
    return SqliteSessions(settings.sessions_dir)
