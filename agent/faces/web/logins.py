"""Throttling failed web logins: Gradio's login form checks a password as often as it is sent, so
guessing is bounded here, per user name and client address.

`LoginThrottle` keeps the count (pure, with an injectable clock); `LoginThrottleMiddleware` applies
it to Gradio's `POST /login` as an ASGI middleware, because Gradio's own check sees neither the
client's address nor a way to answer other than "incorrect credentials". While a name (or an
address) is locked, its logins are refused without checking the password, the right one included.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

# Shown on the login page: its own error line can only say "incorrect credentials".
AUTH_MESSAGE = ("After 5 wrong passwords for one name from one address, logins for it pause for a minute, "
                "doubling with each further failure (at most 15 minutes).")
MAX_BODY = 64 * 1024  # a login form is a few hundred bytes


@dataclass
class _Record:
    failures: int = 0
    last: float = 0.0
    locked_until: float = 0.0


class LoginThrottle:
    """Failed logins per (user name, client address), and per address over all names. After `free`
    failures (`free_per_address` for an address), the key is locked for `lock_seconds`, doubled with
    each further failure, at most `max_lock_seconds`; failures are forgotten after `forget_seconds`
    without one. Thread-safe."""

    def __init__(self, free: int = 5, lock_seconds: float = 60, max_lock_seconds: float = 900,
                 free_per_address: int = 20, forget_seconds: float = 3600, max_keys: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.free, self.free_per_address = free, free_per_address
        self.lock_seconds, self.max_lock_seconds = lock_seconds, max_lock_seconds
        self.forget_seconds, self.max_keys = forget_seconds, max_keys
        self.clock = clock
        self._lock = threading.Lock()
        self._records: dict[tuple[str | None, str], _Record] = {}

    @staticmethod
    def _keys(user: str, address: str) -> list[tuple[str | None, str]]:
        # Names compared as Gradio does (stripped), case-folded so "Ana" and "ana" count together.
        return [(user.strip().casefold(), address), (None, address)]

    def retry_after(self, user: str, address: str) -> float:
        """Seconds until a login for `user` from `address` is checked again (0: now)."""
        with self._lock:
            return self._wait(user, address, self.clock())

    def attempt(self, user: str, address: str) -> float:
        """A login is being tried: the seconds to wait when the name or the address is locked (the
        attempt is then refused and not counted), else 0, and the attempt counts as failed until
        `succeeded` says otherwise, so that logins sent all at once cannot outrun the count."""
        now = self.clock()
        with self._lock:
            wait = self._wait(user, address, now)
            if wait == 0:
                self._count(user, address, now)
            return wait

    def succeeded(self, user: str, address: str) -> None:
        """The attempt was a correct login: that name's failures from that address are forgotten,
        and the attempt no longer counts against the address."""
        named, anyone = self._keys(user, address)
        with self._lock:
            self._records.pop(named, None)
            r = self._records.get(anyone)
            if r is not None:
                r.failures = max(0, r.failures - 1)
                if r.failures < self.free_per_address:
                    r.locked_until = 0.0

    def _wait(self, user: str, address: str, now: float) -> float:
        return max([0.0, *(r.locked_until - now for k in self._keys(user, address) if (r := self._records.get(k)))])

    def _count(self, user: str, address: str, now: float) -> None:
        self._prune(now)
        for key in self._keys(user, address):
            r = self._records.setdefault(key, _Record())
            if now - r.last > self.forget_seconds:
                r.failures = 0
            r.failures += 1
            r.last = now
            free = self.free if key[0] is not None else self.free_per_address
            if r.failures >= free:
                r.locked_until = now + min(self.max_lock_seconds, self.lock_seconds * 2 ** min(r.failures - free, 30))

    def _prune(self, now: float) -> None:
        if len(self._records) < self.max_keys:
            return
        for key in [k for k, r in self._records.items() if now - r.last > self.forget_seconds]:
            del self._records[key]
        if len(self._records) >= self.max_keys:  # under a flood: keep the locked ones
            for key in [k for k, r in self._records.items() if r.locked_until <= now]:
                del self._records[key]


def _is_login(scope: dict) -> bool:
    return scope["type"] == "http" and scope.get("method") == "POST" and \
        scope.get("path", "").rstrip("/").endswith("/login")


class LoginThrottleMiddleware:
    """ASGI middleware over Gradio's app: reads the user name of each `POST /login`, refuses it
    with a clear message while locked (HTTP 400, which the login page shows as a failed login,
    with `Retry-After`), else counts it as failed unless Gradio accepts it (HTTP 200)."""

    def __init__(self, app: Any, throttle: LoginThrottle) -> None:
        self.app = app
        self.throttle = throttle

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if not _is_login(scope):
            await self.app(scope, receive, send)
            return
        messages, size = [], 0
        while True:
            message = await receive()
            messages.append(message)
            size += len(message.get("body", b""))
            if size > MAX_BODY:
                await _answer(send, 413, "The login form is too large.")
                return
            if message["type"] != "http.request" or not message.get("more_body"):
                break
        user = await _form_user(scope, messages)
        address = (scope.get("client") or ("unknown", 0))[0]
        wait = self.throttle.attempt(user, address)
        if wait > 0:
            log.warning("Web login for %r from %s refused: locked for %.0f s more", user, address, wait)
            await _answer(send, 400, f"Too many failed logins for this name from your address. Try again in "
                          f"{math.ceil(wait)} seconds.", {"retry-after": str(math.ceil(wait))})
            return

        replay = list(messages)

        async def receive_again() -> dict:
            return replay.pop(0) if replay else await receive()

        async def counting_send(message: dict) -> None:
            if message["type"] == "http.response.start":
                if message["status"] == 200:
                    self.throttle.succeeded(user, address)
                else:
                    log.warning("Failed web login for %r from %s", user, address)
            await send(message)

        await self.app(scope, receive_again, counting_send)


async def _form_user(scope: dict, messages: list[dict]) -> str:
    """The `username` field of a login form (URL-encoded or multipart), "" when there is none."""
    from starlette.requests import Request

    pending = list(messages)

    async def receive() -> dict:
        return pending.pop(0) if pending else {"type": "http.disconnect"}

    try:
        form = await Request(scope, receive).form()
    except Exception:  # noqa: BLE001 - a malformed form is Gradio's to reject; count it under ""
        return ""
    value = form.get("username")
    return value.strip() if isinstance(value, str) else ""


async def _answer(send: Callable, status: int, detail: str, headers: dict[str, str] | None = None) -> None:
    body = json.dumps({"detail": detail}).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
