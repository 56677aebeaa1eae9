"""Reading one reply into rubric answers: the interpret step, shared by the graph's node and the
batch evaluation (which feeds recorded interviews through exactly the same reading).

A reply to a closed question ("2", "yes") is settled without a model. Otherwise one structured
model call → RubricUpdate → evidence checked against the interviewee's own words → merged into
the answers with the integrity rules of agent.core.answers. At the review step the reply's
corrections are read the same way, from its facts without the meta-text (agent.core.review).

Score injection (issue 13), for every model: the model is sent only the genuine text of the reply
and of the recent turns (agent.core.screening); whatever it returns is checked against the genuine
text only and must describe the option it claims (agent.core.evidence); a reply that carried
text aimed at the assessor gets one calm sentence and the question again, and is recorded as a
flag; at the review step a correction that raises several answers at once, or one by more than
one option with nothing new said, is asked about before it is applied.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pydantic import BaseModel, Field

from agent.common.providers import is_offline
from agent.core.answers import known_answers, merge, set_answer
from agent.core.calls import CallRecord
from agent.core.choices import OTHER, parse_choices, split_yes_no
from agent.core.evidence import check
from agent.core.phrasing import load_phrasing
from agent.core.prompts import render
from agent.core.review import CORRECTION_KINDS, ReviewIntent, described, raises_to_confirm
from agent.core.rubric import Rubric
from agent.core.schemas import AnswerRecord, Choice, InterpretContext, QuestionBrief, RubricUpdate, Turn, as_question_id
from agent.core.screening import Screened, acknowledgement, claimed_scores, load_injection, screen
from agent.gateway import budget
from agent.interview.context import Services
from agent.interview.state import Message

RECENT_TURNS = 4
# How far a correction that only says "higher" or "lower" reaches, in options offered.
DIRECTION_REACH = 3


class Reading(BaseModel):
    """What one reply did to the answers."""

    answers: dict[str, dict]
    update: dict | None  # the verified RubricUpdate plus "changed" and "changes"; None if unread
    notices: list[str]
    calls: list[CallRecord]
    outage: str | None = None  # no model could be reached: what to tell the user
    conflicts: dict[str, int] = Field(default_factory=dict)  # question → a contradicting confident reading
    choose: dict[str, list[int]] = Field(default_factory=dict)  # question → options to offer (review)
    hints: dict[str, list[int]] = Field(default_factory=dict)  # question → likeliest options
    declined: dict[str, list[int]] = Field(default_factory=dict)  # "something else" to these options
    flags: dict | None = None  # the reply carried text aimed at the assessor: kinds, answers dropped
    pending: dict | None = None  # a closed question to put next (a raise to confirm at the review)


def provider_outage(calls: Sequence[CallRecord]) -> str | None:
    """The message for a reply no model could read because every model failed (not because one
    answered badly), or None."""
    if not calls or any(c.ok or (c.error or "").startswith("invalid ") for c in calls):
        return None
    last = calls[-1]
    if last.note == "budget_exceeded":
        return last.error
    stopped = next((c for c in calls if c.permanent), None)
    if stopped is not None:  # retrying will not help: say what to fix
        return f"{(stopped.failure or stopped.error or '').rstrip('.')}. Your answers so far are saved."
    why = "; ".join(dict.fromkeys(c.failure_summary or c.error or "failed" for c in calls))
    return (f"No model could be reached ({why}). Your answers so far are saved; resume later from this "
            "question with --session, or configure fallbacks / offline_fallback.")


def brief(rubric: Rubric, qid: str) -> QuestionBrief:
    q = rubric.question(qid)
    return QuestionBrief(id=as_question_id(q.id), dimension=q.dimension, text=q.text, options=[o.label for o in q.options])


def choices(rubric: Rubric, qid: str, scores: Sequence[int]) -> list[Choice]:
    """The numbered options offered for a question (1-based, in score order)."""
    phrasing, q = load_phrasing(), rubric.question(qid)
    return [Choice(number=i, score=s, label=q.label(s), plain=phrasing.plain_option(qid, s))
            for i, s in enumerate(scores, 1)]


def read_reply(
    svc: Services,
    reply: str,
    *,
    current: str | None,
    answers: Mapping[str, dict],
    messages: Sequence[Message],
    turn: int,
    asking: Sequence[str] = (),
    pending: Mapping | None = None,
    review: Mapping | None = None,
) -> Reading:
    """Interpret `reply` (the last user message in `messages`), given the question(s) just asked
    (`asking`, `current` first), a closed question it may answer (`pending`) and, at the review
    step, what it asks for (`review`, a ReviewIntent)."""
    asking = list(dict.fromkeys([*([current] if current else []), *asking]))
    if pending and pending.get("kind") == "options":
        sets = pending.get("sets") or {pending["question"]: pending["options"]}
        picks = parse_choices(reply, [choices(svc.rubric, q, opts) for q, opts in sets.items()])
        if any(p is not None for p in picks):
            current_answers: Mapping[str, dict] = answers
            changes: list[dict] = []
            declined: dict[str, list[int]] = {}
            for (qid, opts), picked in zip(sets.items(), picks, strict=True):
                if picked == OTHER:
                    declined[qid] = list(opts)
                elif picked is not None:
                    merged = set_answer(current_answers, qid, picked.score, evidence=reply, turn=turn, source="chosen")
                    current_answers, changes = merged.answers, changes + [c.model_dump() for c in merged.changes]
            return Reading(answers=dict(current_answers), notices=[], calls=[], declined=declined,
                           update={"answers": [], "changed": [c["question_id"] for c in changes], "changes": changes})
        asking = list(sets)
    if pending and pending.get("kind") == "verify":
        qids = [q for q in pending.get("questions", []) if q in answers]
        yes, rest = split_yes_no(reply)
        if yes is not None:
            hints: dict[str, list[int]] = {}
            if yes:
                out = {q: {**a, "source": "confirmed"} if q in qids else a for q, a in answers.items()}
            else:  # one of them is wrong; offer each with its reading among the options
                out = {q: a for q, a in answers.items() if q not in qids}
                hints = {q: [answers[q]["score"]] for q in qids}
            others = [q for q in asking if q not in qids]
            if rest and (others or not yes):
                reading = _read(svc, rest, asking=others or qids, answers=out, messages=messages, turn=turn)
                reading.update = {**(reading.update or {}), "confirmed" if yes else "denied": qids}
                reading.hints = {**hints, **reading.hints}
                return reading
            return Reading(answers=out, notices=[], calls=[], hints=hints,
                           update={"answers": [], "changed": [], "changes": [], "confirmed" if yes else "denied": qids})
        if any(q not in qids for q in asking):
            # No yes or no: the reply is about the other question; the readings to confirm stay
            # provisional rather than being displaced by words meant for something else.
            asking = [q for q in asking if q not in qids]
    if pending and pending.get("kind") == "raise":
        yes, rest = split_yes_no(reply)
        if yes is not None and not rest:
            return _settle_raise(pending, bool(yes), answers=answers, turn=turn)
        # Anything else is a new reply about the answers: the raise asked about is not applied.
    if review is not None:
        return _review(svc, ReviewIntent.model_validate(review), reply, answers=answers, messages=messages, turn=turn)
    return _read(svc, reply, asking=asking, answers=answers, messages=messages, turn=turn)


SUREST = ("*surest*",)  # `correcting`: the reading the reply is most sure of


def _read(svc: Services, reply: str, *, asking: Sequence[str], answers: Mapping[str, dict],
          messages: Sequence[Message], turn: int, correcting: Sequence[str] = ()) -> Reading:
    """One structured model call on `reply`, its evidence verified, merged into `answers`."""
    rubric = svc.rubric
    screened = screen(reply)
    # The model reads only the genuine text: what was screened as aimed at the assessor is not
    # sent at all (nor in the recent turns), so it cannot be obeyed.
    ctx = InterpretContext(
        reply=screened.genuine,
        current_question=brief(rubric, asking[0]) if asking else None,
        asking=[brief(rubric, q) for q in asking],
        questions=[brief(rubric, q.id) for q in rubric.questions],
        known=known_answers(rubric, answers),
        recent=[Turn(role=m["role"], content=screen(m["content"]).genuine if m["role"] == "user" else m["content"])
                for m in messages[-(RECENT_TURNS + 1):-1]],
    )
    if not screened.genuine:  # nothing but text aimed at the assessor: no model is asked
        return _flagged(screened, answers, asking=asking)
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
    # The questions the reply answers: those asked with their dimension's other question (the
    # interviewer asks about a dimension as a whole), and those a correction names.
    answering = [*asking, *(q.id for a in asking for q in rubric.questions_in(rubric.question(a).dimension)),
                 *(correcting if correcting != SUREST else ())]
    verified, dropped = check(update, [*user_texts, reply], asking=answering)
    answered = next((c for c in reversed(calls) if c.ok), None)
    invalid = [d for d in (answered.dropped if answered else []) if d.startswith("answers[")]
    if answered is not None:
        answered.answers_read = len(update.answers) + len(invalid)
        answered.answers_dropped = len(dropped) + len(invalid)
    flags = _flags(screened, [d.reason for d in dropped])
    if not screened.suspicious and dropped:
        notices.append(f"I ignored {len(dropped)} reading(s) I couldn't match to your own words.")
    if invalid:
        notices.append(f"I ignored {len(invalid)} reading(s) the model returned in an invalid form.")
    if not verified.understood and is_offline(svc.gateway.model):
        notices.append(load_phrasing().english_only)
    model = next((c.model for c in reversed(calls) if c.ok), None)
    if correcting == SUREST:
        top = max((a.confidence for a in verified.answers), default=None)
        correcting = [a.question_id for a in verified.answers if a.confidence == top]
    merged = merge(answers, verified, turn=turn, asking=asking, threshold=svc.settings.confidence_threshold,
                   model=model, correcting=correcting)
    said = acknowledgement(screened)
    if said is None and any(d.reason in ("injected", "recital") for d in dropped):
        # Nothing screened, but a reading rested on text aimed at the assessor or on an option's
        # label recited as a claim ("we have self-improving quality systems").
        said = load_injection().say["self_rating"]
    # One calm sentence says it all (no count of readings dropped); an honest "I'd say a 2 — we
    # have limited function calling" whose description was read needs none.
    if said and not (screened.kinds in ([], ["self_rating"]) and merged.changes):
        notices.append(said)
    data = verified.model_dump()
    data["changed"] = [c.question_id for c in merged.changes]
    data["changes"] = [c.model_dump() for c in merged.changes]
    if flags:
        data["flags"] = flags
    hints: dict[str, list[int]] = {h.question_id: [o for o in h.options if 0 <= o <= 5] for h in verified.likely
                                   if h.question_id in asking}
    return Reading(answers=merged.answers, update=data, notices=notices, calls=calls,
                   conflicts={a.question_id: a.score for a in merged.conflicts},
                   hints={**hints, **_claimed(screened, asking)}, flags=flags)


def _flags(screened: Screened, dropped: Sequence[str]) -> dict | None:
    """What to record about a reply that carried text aimed at the assessor, or whose readings
    the evidence check refused as injected or undescribed: the kinds and the refusals."""
    refused = [r for r in dropped if r != "not_said"]
    if not screened.suspicious and not refused:
        return None
    return {"kinds": screened.kinds, "dropped": {r: refused.count(r) for r in sorted(set(refused))}}


def _claimed(screened: Screened, asking: Sequence[str]) -> dict[str, list[int]]:
    """An honest self-rating ("I'd say a 3") is not an answer, but it says which options to offer:
    the ones around the number, for the question it names or the one asked. Only from a reply
    whose screened text is nothing but self-ratings."""
    if screened.kinds != ["self_rating"]:
        return {}
    out: dict[str, list[int]] = {}
    for qid, n in claimed_scores(screened):
        target = qid or (asking[0] if asking else None)
        if target:
            out[target] = [s for s in (n - 1, n, n + 1) if 0 <= s <= 5]
    return out


def _flagged(screened: Screened, answers: Mapping[str, dict], *, asking: Sequence[str]) -> Reading:
    """A reply with nothing but text aimed at the assessor: read nothing, say so calmly."""
    flags = _flags(screened, [])
    said = acknowledgement(screened)
    update = {"answers": [], "changed": [], "changes": [], "understood": True, "flags": flags}
    return Reading(answers=dict(answers), update=update, notices=[said] if said else [], calls=[],
                   hints=_claimed(screened, asking), flags=flags)


def _settle_raise(pending: Mapping, yes: bool, *, answers: Mapping[str, dict], turn: int) -> Reading:
    """The interviewee's yes or no to a raise asked about at the review step."""
    say = load_injection().say
    if not yes:
        return Reading(answers=dict(answers), notices=[say["raise_kept"]], calls=[],
                       update={"answers": [], "changed": [], "changes": [], "is_correction": True})
    current: Mapping[str, dict] = answers
    changes: list[dict] = []
    for qid, rec in (pending.get("proposed") or {}).items():
        merged = set_answer(current, qid, rec["score"], evidence=rec["evidence"], turn=turn, source="corrected",
                            confidence=rec.get("confidence", 1.0), model=rec.get("model"))
        current, changes = merged.answers, changes + [c.model_dump() for c in merged.changes]
    return Reading(answers=dict(current), notices=[], calls=[],
                   update={"answers": [], "changed": [c["question_id"] for c in changes], "changes": changes,
                           "is_correction": True})


def _review(svc: Services, intent: ReviewIntent, reply: str, *, answers: Mapping[str, dict],
            messages: Sequence[Message], turn: int) -> Reading:
    """Corrections typed at the review step: explicit numbers, new facts about the questions
    named (or any question, when none is named), and for a question named with only "higher" or
    "lower", its options in that direction to choose from."""
    current = dict(answers)
    changes: list[dict] = []
    # What the reply carried besides the interviewee's own corrections (typed numbers are theirs).
    shown = screen(reply).only(set(intent.flags) - CORRECTION_KINDS)
    typed = shown.genuine or reply  # a typed number's evidence: what was typed, nothing screened out
    for qid, s in intent.explicit.items():
        merged = set_answer(current, qid, s, evidence=typed, turn=turn, source="corrected")
        current, changes = merged.answers, changes + [c.model_dump() for c in merged.changes]
    reading: Reading | None = None
    if intent.facts:
        targets = [q for q in intent.targets if q not in intent.explicit]
        # No topic named ("actually we do have automatic failover now"): the reading the reply is
        # most sure of is the correction; the others are read as passing mentions.
        reading = _read(svc, intent.facts, asking=targets, answers=current, messages=messages, turn=turn,
                        correcting=targets or SUREST)
        if reading.outage:
            return reading
        current = reading.answers
        changes += (reading.update or {}).get("changes", [])
    changed = {c["question_id"] for c in changes}
    choose: dict[str, list[int]] = {}
    for qid in intent.targets:
        if qid in changed or qid in intent.explicit:
            continue
        now = answers.get(qid, {}).get("score")
        way = intent.direction.get(qid)
        if way == "up":
            opts = list(range(now + 1, 6))[:DIRECTION_REACH] if now is not None else [2, 3, 4]
        elif way == "down":
            opts = list(range((now if now is not None else 6) - 1, -1, -1))[:DIRECTION_REACH]
        else:
            opts = [s for s in (now, (now or 0) - 1, (now or 0) + 1) if s is not None and 0 <= s <= 5]
        if opts:
            choose[qid] = sorted(set(opts))
    notices = list(reading.notices) if reading else []
    # Raising several answers at once, or one by more than an option with nothing new said, is
    # asked about first: those answers stay as they were until the interviewee says yes.
    confirm = raises_to_confirm(answers, changes, reply)
    pending: dict | None = None
    if confirm:
        pending = {"kind": "raise", "questions": confirm,
                   "proposed": {q: current[q] for q in confirm},
                   "old": {q: (answers.get(q) or {}).get("score") for q in confirm},
                   # Said how it works now: a yes or no will do; else, what changed?
                   "described": all(described(c, reply) for c in changes if c["question_id"] in confirm)}
        for q in confirm:
            if q in answers:
                current[q] = answers[q]
            else:
                current.pop(q, None)
        changes = [c for c in changes if c["question_id"] not in confirm]
        changed = {c["question_id"] for c in changes}
    dropped = ((reading.flags if reading else None) or {}).get("dropped") or {}
    flags = {"kinds": shown.kinds, "dropped": dropped} if shown.suspicious or dropped else None
    said = acknowledgement(shown)
    if said and said not in notices:
        notices.append(said)
    update = {**((reading.update or {}) if reading else {"answers": []}), "changed": sorted(changed),
              "changes": changes, "is_correction": True}
    if flags:
        update["flags"] = flags
    return Reading(answers=current, update=update, notices=notices,
                   calls=reading.calls if reading else [], choose=choose,
                   conflicts=reading.conflicts if reading else {}, flags=flags, pending=pending)


def answer_record(answers: Mapping[str, dict], qid: str) -> AnswerRecord | None:
    """The answer to a question as a record, or None."""
    return AnswerRecord.model_validate(answers[qid]) if qid in answers else None
