"""Reading one reply into rubric answers: the interpret step, shared by the graph's node and the
batch evaluation (which feeds recorded interviews through exactly the same reading).

One structured model call → RubricUpdate → evidence checked against the interviewee's own words →
merged into the answers so far.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pydantic import BaseModel

from agent.common.providers import is_offline
from agent.core.answers import known_answers, merge
from agent.core.evidence import is_instruction, verify
from agent.core.phrasing import load_phrasing
from agent.core.prompts import render
from agent.core.rubric import Rubric
from agent.core.schemas import InterpretContext, QuestionBrief, RubricUpdate, Turn, as_question_id
from agent.gateway import budget
from agent.gateway.router import CallRecord
from agent.interview.context import Services
from agent.interview.state import Message

RECENT_TURNS = 4


class Reading(BaseModel):
    """What one reply did to the answers."""

    answers: dict[str, dict]
    update: dict | None  # the verified RubricUpdate plus "changed" (question ids), None if unread
    notices: list[str]
    calls: list[CallRecord]
    outage: str | None = None  # no model could be reached: what to tell the user


def provider_outage(calls: Sequence[CallRecord]) -> str | None:
    """The message for a reply no model could read because every model failed (not because one
    answered badly), or None."""
    if not calls or any(c.ok or (c.error or "").startswith("invalid ") for c in calls):
        return None
    last = calls[-1]
    if last.note == "budget_exceeded":
        return last.error
    return (f"No model could be reached ({last.error}). Your answers so far are saved; resume later "
            "from this question with --session, or configure fallbacks / offline_fallback.")


def brief(rubric: Rubric, qid: str) -> QuestionBrief:
    q = rubric.question(qid)
    return QuestionBrief(id=as_question_id(q.id), dimension=q.dimension, text=q.text, options=[o.label for o in q.options])


def read_reply(
    svc: Services,
    reply: str,
    *,
    current: str | None,
    answers: Mapping[str, dict],
    messages: Sequence[Message],
    turn: int,
) -> Reading:
    """Interpret `reply` (the last user message in `messages`) given the question just asked."""
    rubric = svc.rubric
    ctx = InterpretContext(
        reply=reply,
        current_question=brief(rubric, current) if current else None,
        questions=[brief(rubric, q.id) for q in rubric.questions],
        known=known_answers(rubric, answers),
        recent=[Turn.model_validate(m) for m in messages[-(RECENT_TURNS + 1):-1]],
    )
    update, calls = svc.gateway.structured("interpret", render("interpret", ctx), RubricUpdate)
    notices: list[str] = []
    if any(c.note == "budget_exceeded" for c in calls) and svc.settings.budget_usd is not None:
        notices.append(budget.exceeded_message(svc.settings.budget_usd, offline=any(c.ok for c in calls)))
    if update is None:
        outage = provider_outage(calls)
        if outage:
            return Reading(answers=dict(answers), update=None, notices=notices, calls=calls, outage=outage)
        notices.append("I couldn't process that reply just now (the model did not respond usefully); "
                       "your words are kept — let's continue.")
        return Reading(answers=dict(answers), update=None, notices=notices, calls=calls)
    user_texts = [m["content"] for m in messages if m["role"] == "user"]
    verified, dropped = verify(update, user_texts)
    if dropped:
        notices.append(f"I ignored {len(dropped)} reading(s) I couldn't match to your own words.")
    if is_instruction(reply):
        notices.append("I score only what you describe about your organization's practice.")
    if not verified.understood and is_offline(svc.gateway.model):
        notices.append(load_phrasing().english_only)
    merged, changed = merge(answers, verified, turn=turn, current=current,
                            threshold=svc.settings.confidence_threshold)
    data = verified.model_dump()
    data["changed"] = changed
    return Reading(answers=merged, update=data, notices=notices, calls=calls)
