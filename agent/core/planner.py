"""Which question to ask next (pure).

Order: questions not yet answered come first, in a natural order: the other question of the
dimension just discussed, then the dimension the interviewee just talked about, then the
questionnaire's order. Then low-confidence answers are clarified. Skipped questions are not asked
again. When nothing is left the interview moves to confirmation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal

from pydantic import BaseModel

from agent.core.rubric import Rubric

MAX_ATTEMPTS = 2  # times a question is put before it is left for the confirmation step


class Plan(BaseModel):
    action: Literal["ask", "confirm"]
    question: str | None = None
    mode: Literal["next", "clarify", "reask", "back"] = "next"


def _confident(answers: Mapping[str, dict], qid: str, threshold: float) -> bool:
    a = answers.get(qid)
    return a is not None and a["confidence"] >= threshold


def next_question(
    rubric: Rubric,
    answers: Mapping[str, dict],
    *,
    threshold: float,
    current: str | None = None,
    touched: Iterable[str] = (),
    skipped: Iterable[str] = (),
    attempts: Mapping[str, int] | None = None,
) -> Plan:
    """Plan the next step from the answers so far (records with at least 'confidence').

    `current` is the question just asked, `touched` the questions the last reply informed,
    `attempts` how often each question was put already.
    """
    attempts = attempts or {}
    skipped = set(skipped)
    exhausted = {q for q, n in attempts.items() if n >= MAX_ATTEMPTS}
    open_ids = [q.id for q in rubric.questions if q.id not in skipped and q.id not in exhausted]

    # The current question, if the reply did not answer it, is put again (once more at most).
    if current and current in open_ids and current not in answers:
        return Plan(action="ask", question=current, mode="reask")

    unanswered = [q for q in open_ids if q not in answers]
    if unanswered:
        return Plan(action="ask", question=_natural_first(rubric, unanswered, current, touched))

    unsure = [q for q in open_ids if not _confident(answers, q, threshold)]
    if unsure:
        return Plan(action="ask", question=_natural_first(rubric, unsure, current, touched), mode="clarify")
    return Plan(action="confirm")


def _natural_first(rubric: Rubric, candidates: list[str], current: str | None, touched: Iterable[str]) -> str:
    dims_in_order: list[str] = []
    if current:
        dims_in_order.append(rubric.question(current).dimension)
    for qid in touched:
        d = rubric.question(qid).dimension
        if d not in dims_in_order:
            dims_in_order.append(d)
    for d in dims_in_order:
        for q in rubric.questions_in(d):
            if q.id in candidates:
                return q.id
    return candidates[0]
