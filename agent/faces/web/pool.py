"""The web server's open sessions: one Interview per session name, each on its own SQLite
checkpointer (the same files as the terminal's), used by one turn at a time.

Browsers come and go without saying so, so idle sessions are closed when more than `max_open`
are open (their state is in the session file; the next visit reopens it).
"""

from __future__ import annotations

import dataclasses
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field

from agent.app import App
from agent.core.attachment import Attachment
from agent.interview.session import Interview
from agent.interview.store import check_name


def new_session_name() -> str:
    """A fresh, unguessable session name for a browser (it doubles as the resume link)."""
    return "web-" + secrets.token_hex(6)


@dataclass
class _Live:
    iv: Interview
    stack: ExitStack
    lock: threading.Lock = field(default_factory=threading.Lock)
    users: int = 0
    last_used: float = field(default_factory=time.monotonic)
    attachment: Attachment | None = None  # the round it was opened for (None: none)


class SessionPool:
    """Open Interviews by session name, shared by every browser tab showing that session."""

    def __init__(self, app: App, max_open: int = 64) -> None:
        self.app = app
        self.max_open = max_open
        self._lock = threading.Lock()
        self._live: OrderedDict[str, _Live] = OrderedDict()

    def exists(self, name: str) -> bool:
        return self.app.sessions.exists(check_name(name))

    @contextmanager
    def use(self, name: str, attachment: Attachment | None = None) -> Iterator[Interview]:
        """The session's Interview, opened (and its file created) if needed; other turns on the same
        session wait until this one is done. With an `attachment`, a session not started yet joins
        that organization round (a started one keeps its own). Raises SessionError for a bad name or
        a damaged file, StorageError when the round cannot be joined."""
        live = self._acquire(check_name(name), attachment)
        try:
            with live.lock:
                live.last_used = time.monotonic()
                if attachment is not None and live.attachment != attachment and live.iv.is_new:
                    # Opened before (to read it) without this round: join it now, before the first turn.
                    live.iv.services = dataclasses.replace(live.iv.services,
                                                           attachment=self.app.attach(name, attachment))
                    live.attachment = attachment
                yield live.iv
        finally:
            with self._lock:
                live.users -= 1
            self._evict()

    def _acquire(self, name: str, attachment: Attachment | None = None) -> _Live:
        with self._lock:
            live = self._live.get(name)
            if live is None:
                live = self._open(name, attachment)
                self._live[name] = live
            self._live.move_to_end(name)
            live.users += 1
            return live

    def _open(self, name: str, attachment: Attachment | None = None) -> _Live:
        stack = ExitStack()
        try:
            iv = stack.enter_context(self.app.open_session(name, attachment=attachment, stream_tokens=True))
        except BaseException:
            stack.close()
            raise
        return _Live(iv=iv, stack=stack, attachment=attachment)

    def _evict(self) -> None:
        with self._lock:
            idle = [n for n, lv in self._live.items() if lv.users == 0]  # oldest first
            excess = len(self._live) - self.max_open
            closing = [self._live.pop(n) for n in idle[:max(0, excess)]]
        for live in closing:
            live.stack.close()

    def open_count(self) -> int:
        with self._lock:
            return len(self._live)

    def close_all(self) -> None:
        with self._lock:
            closing = list(self._live.values())
            self._live.clear()
        for live in closing:
            with live.lock:
                live.stack.close()
