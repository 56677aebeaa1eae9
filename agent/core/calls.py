"""Model calls as the interview keeps them: one record per call, and their totals (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel


class CallRecord(BaseModel):
    """One model call, as kept in the interview state."""

    task: str
    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    latency_ms: float = 0.0
    ok: bool = True
    error: str | None = None
    note: str | None = None  # e.g. "budget_exceeded": answered by the offline engine instead
    failure: str | None = None  # a failed call in plain words, with the fix
    failure_summary: str | None = None  # ... what happened only ("OpenAI rejected the API key (401)")
    permanent: bool = False  # the failure will not pass by trying again (key, quota, model)
    fallback_from: str | None = None  # answered by this model instead of the configured one ...
    fallback_reason: str | None = None  # ... because of this failure
    answers_read: int = 0  # interpret calls: readings returned, and of those ...
    answers_dropped: int = 0  # ... dropped (quote not in the user's words, or invalid)
    dropped: list[str] = []  # structured calls: invalid items left out of the answer, one line each


class Usage(BaseModel):
    """Totals over a session's (or an evaluation run's) model calls: the one way they are summed."""

    model_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    latency_ms: float = 0.0
    models: list[str] = []  # the models that answered, sorted

    @classmethod
    def of(cls, calls: Iterable[CallRecord | Mapping[str, Any]]) -> Usage:
        """Totals of call records (objects, or the dicts the interview state stores)."""
        recs = [c if isinstance(c, CallRecord) else CallRecord.model_validate(c) for c in calls]
        return cls(
            model_calls=len(recs),
            prompt_tokens=sum(c.prompt_tokens for c in recs),
            completion_tokens=sum(c.completion_tokens for c in recs),
            cost_usd=round(sum(c.cost_usd for c in recs), 6),
            latency_ms=round(sum(c.latency_ms for c in recs), 1),
            models=sorted({c.model for c in recs if c.ok}),
        )
