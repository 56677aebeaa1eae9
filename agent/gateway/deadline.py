"""How long one reply may wait for the models (config `reply_timeout_seconds`).

Retries and fallbacks multiply a call's timeout (3 attempts × 60 s × each model in the chain);
the face that runs a turn opens `reply_window(seconds)` around it, and the gateway gives each
attempt at most what is left, and stops trying paid models when nothing is. A context variable
keeps concurrent sessions (web, batch eval) apart, as for the budget.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from contextvars import ContextVar

_DEADLINE: ContextVar[tuple[float, float] | None] = ContextVar("aiops_reply_deadline", default=None)


@contextlib.contextmanager
def reply_window(seconds: float | None) -> Iterator[None]:
    """Within this block, model calls share `seconds` (None: no limit)."""
    token = _DEADLINE.set(None if seconds is None else (time.monotonic() + seconds, seconds))
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def remaining() -> float | None:
    """Seconds left for the current reply (None outside a window or without a limit)."""
    window = _DEADLINE.get()
    return None if window is None else window[0] - time.monotonic()


def limit() -> float | None:
    """The current window's length in seconds (None without one)."""
    window = _DEADLINE.get()
    return None if window is None else window[1]
