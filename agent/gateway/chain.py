"""The chain of models a call goes through, and what a failure means for the rest of it.

The configured model first, then `fallbacks`, then the offline engine where allowed. A failure
that may pass is retried (`num_retries`) and then the next model is tried; one that will not
(agent.gateway.failures) disables its model for the rest of the process, and the chain goes on
past it only when falling back after a permanent failure is allowed (config
`on_permanent_error`, or the user agreed). Shared by every session of one process, like the key.
"""

from __future__ import annotations

import time
from typing import Any

from agent.common.config import Settings
from agent.common.providers import OLLAMA, is_offline, provider_of
from agent.core.calls import CallRecord
from agent.gateway import responses
from agent.gateway.failures import ModelFailure, classify

RETRY_BACKOFF_SECONDS = 0.5  # then 1 s, 2 s, ...: failures that may pass only


class ModelChain:
    """Which (router deployment, model) to try, in order, and the failures seen so far."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.entries: list[tuple[str, str]] = []
        self.disabled: dict[str, ModelFailure] = {}
        self.fallback_on_permanent = settings.on_permanent_error == "fallback"
        self._loaded: set[str] = set()  # models that have answered once (Ollama's first load is slow)

    @property
    def primary(self) -> str | None:
        return self.entries[0][1] if self.entries else None

    def candidates(self, budget_left: bool) -> tuple[list[tuple[str, str]], str | None]:
        """The pairs to try and a note: the whole chain, or, with the session's budget used up,
        only the offline engine if it is in the chain (else nothing)."""
        if not budget_left:
            return [(d, m) for d, m in self.entries if is_offline(m)], "budget_exceeded"
        return list(self.entries), None

    def usable(self, candidates: list[tuple[str, str]]) -> tuple[list[tuple[str, str]], ModelFailure | None]:
        """The candidates not disabled by a permanent failure (none past one, unless falling back
        is allowed), and the failure that disabled the first of them, if any."""
        usable: list[tuple[str, str]] = []
        first: ModelFailure | None = None
        for dep, model in candidates:
            failed = self.disabled.get(model)
            if failed is None:
                usable.append((dep, model))
                continue
            first = first or failed
            if not self.fallback_on_permanent:
                break
        return usable, first

    def stops_after(self, failure: ModelFailure | None) -> bool:
        """Whether the chain ends after this failure of the model before."""
        return failure is not None and failure.permanent and not self.fallback_on_permanent

    def failed(self, exc: BaseException, model: str) -> ModelFailure:
        """Classify a failure; a permanent one disables its model."""
        failure = classify(exc, model)
        if failure.permanent:
            self.disabled[model] = failure
        return failure

    def answered(self, model: str) -> None:
        self._loaded.add(model)

    def tries(self, model: str) -> int:
        return 1 if is_offline(model) else 1 + self.settings.num_retries

    def backoff(self, attempt: int) -> None:
        time.sleep(RETRY_BACKOFF_SECONDS * (2 ** attempt))

    def first_load(self, model: str) -> bool:
        """Whether the next call is an Ollama model's first (it loads the model: slow, once)."""
        return provider_of(model) in OLLAMA and model not in self._loaded

    def timeout(self, model: str) -> float:
        # Ollama loads a model into memory on its first request, which can take minutes on a
        # small machine: the first call gets longer.
        if self.first_load(model):
            return max(self.settings.timeout_seconds, self.settings.first_load_timeout_seconds)
        return self.settings.timeout_seconds

    def next_model(self) -> str | None:
        """After a permanent failure that stopped the chain: the model that falling back would
        use (None when there is none, or falling back is already allowed)."""
        if self.fallback_on_permanent or not self.disabled:
            return None
        return next((m for _, m in self.entries if m not in self.disabled), None)

    def failure_record(self, task: str, model: str, exc: BaseException, failure: ModelFailure,
                       start: float) -> CallRecord:
        return CallRecord(task=task, model=model, ok=False, latency_ms=(time.perf_counter() - start) * 1000,
                          error=responses.describe(exc), failure=failure.message, failure_summary=failure.what,
                          permanent=failure.permanent)

    def stopped(self, task: str) -> CallRecord:
        """The record of a call not made: the primary failed permanently and falling back is off."""
        failed = self.disabled.get(self.primary or "")
        return CallRecord(task=task, model=self.primary or "?", ok=False, permanent=True,
                          error=failed.message if failed else "no model to call",
                          failure=failed.message if failed else None)

    def mark(self, rec: CallRecord, why: ModelFailure | None) -> Any:
        """Say on the record of an answer from another model than the primary which, and why."""
        if self.primary and rec.model != self.primary:
            rec.fallback_from = self.primary
            rec.fallback_reason = why.message if why is not None else None
        return rec
