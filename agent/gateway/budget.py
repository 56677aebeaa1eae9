"""The per-session spending limit on model calls.

A session's spend lives in its state (every CallRecord's cost); the face that runs a turn opens
`session_spend(spent)` around it, and the gateway asks `allowed(limit)` before each paid call and
`add(cost)` after it. A context variable keeps concurrent sessions (web, batch eval) apart.
"""

from __future__ import annotations

import contextlib
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass
class _Spend:
    usd: float


_SPEND: ContextVar[_Spend | None] = ContextVar("aiops_session_spend", default=None)


@contextlib.contextmanager
def session_spend(spent_usd: float):
    """Within this block, model calls count against a session that has already spent `spent_usd`."""
    token = _SPEND.set(_Spend(spent_usd))
    try:
        yield
    finally:
        _SPEND.reset(token)


def spent() -> float:
    """What the current session has spent so far (0 outside a session)."""
    s = _SPEND.get()
    return s.usd if s else 0.0


def allowed(limit_usd: float | None) -> bool:
    """Whether another paid call fits the session's budget."""
    return limit_usd is None or spent() < limit_usd


def add(cost_usd: float) -> None:
    s = _SPEND.get()
    if s is not None:
        s.usd += cost_usd


def exceeded_message(limit_usd: float, offline: bool) -> str:
    """What the user is told once the budget is used up."""
    then = ("the offline engine takes over for the rest of this session" if offline
            else "no more model calls are made in this session; your progress is saved")
    return (f"This session has used its model budget of {_usd(limit_usd)} (budget_usd); {then}. "
            "Raise budget_usd in config.yaml or AIOPS_BUDGET_USD to continue with the model.")


def _usd(amount: float) -> str:
    """$1.50, and small budgets without rounding them to $0.00 ($0.0005)."""
    return f"${amount:.2f}" if amount >= 0.01 else "$" + f"{amount:.6f}".rstrip("0").rstrip(".")
