"""Telling the user when another model answered than the one configured (pure).

Every call record that a fallback model answered says which model it replaced and why; the user
is told once per session and per switch, in plain words, at the top of the next message (never
rewritten by a model). The state remembers what was announced.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from agent.common.providers import OFFLINE_MODEL, is_offline
from agent.core.calls import CallRecord


def model_words(model: str) -> str:
    """How a model is named to the user."""
    return f"the offline engine ({OFFLINE_MODEL}, built-in rules, no network)" if is_offline(model) else model


def fallback_alerts(calls: Iterable[CallRecord | Mapping[str, Any]],
                    announced: Sequence[str]) -> tuple[list[str], list[str]]:
    """(new alerts, everything announced so far) for the calls of one step."""
    done = list(announced)
    alerts: list[str] = []
    for c in calls:
        rec = c if isinstance(c, CallRecord) else CallRecord.model_validate(c)
        if not rec.ok or not rec.fallback_from:
            continue
        key = f"{rec.fallback_from} -> {rec.model}"
        if key in done:
            continue
        done.append(key)
        why = (rec.fallback_reason or f"{rec.fallback_from} failed").rstrip(".")
        alerts.append(f"⚠ {why}. Continuing with {model_words(rec.model)} instead of {rec.fallback_from}; "
                      "each answer records the model that read it.")
    return alerts, done


def models_line(answers: Mapping[str, Mapping[str, Any]], configured: str) -> str | None:
    """'Answers read by: openai/gpt-5.4-mini (9), offline/rubric (3)' when a model other than the
    configured one read any answer, else None."""
    counts: dict[str, int] = {}
    for a in answers.values():
        m = a.get("model")
        if m:
            counts[m] = counts.get(m, 0) + 1
    if not counts or set(counts) == {configured}:
        return None
    return "Answers read by: " + ", ".join(f"{m} ({n})" for m, n in sorted(counts.items(), key=lambda kv: -kv[1]))
