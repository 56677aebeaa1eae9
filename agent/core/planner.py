"""What to ask next (pure).

The interview goes dimension by dimension, like an expert who listens: an open question about a
whole dimension (both of its questions) while neither is known, or the one question still open in
free words. Once every dimension has had its turn, what a free-text reply has not settled is
offered as the two or three likeliest options, numbered, several questions in one message; options
said not to fit are followed by the others, then the question once more in free words. Answers
inferred from replies about something else are confirmed in one short turn when their dimension
comes up; contradictions are asked about first. Skipped questions are not asked again; when nothing
is left the interview moves to the review.

Dimension order: the one just discussed, then the ones the last reply touched, then the
questionnaire's order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal

from pydantic import BaseModel, Field

from agent.core.rubric import Rubric

Mode = Literal["next", "dimension", "clarify", "reask", "back", "verify", "options"]
MAX_OPTIONS = 3
# At most this many questions' options in one message: more would not read as a quick check.
MAX_BATCH = 4
# A question is put at most this often: in free words, then as options, then once more in free words.
MAX_ATTEMPTS = 3


class Plan(BaseModel):
    action: Literal["ask", "confirm"]
    question: str | None = None  # the question the message is mainly about
    questions: list[str] = Field(default_factory=list)  # every question it asks (dimension mode: two)
    verify: list[str] = Field(default_factory=list)  # inferred answers it asks to confirm
    options: list[int] = Field(default_factory=list)  # options mode: the scores offered for `question`
    option_sets: dict[str, list[int]] = Field(default_factory=dict)  # options mode: per question, in order
    mode: Mode = "next"

    @property
    def asking(self) -> list[str]:
        """The questions a reply to this message answers directly."""
        return list(dict.fromkeys([*self.questions, *self.verify]))


def likely_options(score: int | None, answers: Mapping[str, dict], hints: Iterable[int] = ()) -> list[int]:
    """The two or three options most likely to fit: the reader's hints first, then around a vague
    reading, else around the level of the answers so far."""
    picks = [s for s in dict.fromkeys(hints) if 0 <= s <= 5]
    if score is None and not picks:
        known = [a["score"] for a in answers.values()]
        score = round(sum(known) / len(known)) if known else 1
    centre = score if score is not None else picks[0]
    for s in (centre, centre - 1, centre + 1, centre + 2, centre - 2):
        if 0 <= s <= 5 and s not in picks:
            picks.append(s)
    return sorted(picks[:MAX_OPTIONS])


def next_question(
    rubric: Rubric,
    answers: Mapping[str, dict],
    *,
    threshold: float,
    current: str | None = None,
    touched: Iterable[str] = (),
    skipped: Iterable[str] = (),
    attempts: Mapping[str, int] | None = None,
    offered: Iterable[str] = (),
    conflicts: Mapping[str, int] | None = None,
    hints: Mapping[str, list[int]] | None = None,
    declined: Mapping[str, list[int]] | None = None,
) -> Plan:
    """Plan the next step from the answers so far (records with score, confidence, source).

    `current` is the question just asked, `touched` the questions the last reply informed,
    `attempts` how often each question was put (first in free words, then as options, then once
    more in free words), `offered` the questions whose options were offered, `conflicts` questions
    with a confident reading that contradicts their answer (question → the other score, asked
    about once), `hints` the reader's likely options, `declined` the options the interviewee said
    were not it ("something else"): the other options are offered next.
    """
    declined = declined or {}
    attempts = attempts or {}
    hints = hints or {}
    skipped, offered = set(skipped), set(offered)
    open_ids = [q.id for q in rubric.questions if q.id not in skipped]

    for qid, other in (conflicts or {}).items():
        if qid in open_ids and qid in answers and qid not in offered:
            both = sorted({answers[qid]["score"], other})
            return Plan(action="ask", question=qid, questions=[qid], mode="options", options=both,
                        option_sets={qid: both})

    def settled(qid: str) -> bool:
        a = answers.get(qid)
        return a is not None and a.get("source", "direct") != "inferred" and a["confidence"] >= threshold

    def todo(qid: str) -> bool:
        return qid in open_ids and not settled(qid) and attempts.get(qid, 0) < MAX_ATTEMPTS

    # First every dimension gets its free-text turn; what is still open after that is offered as
    # numbered options, several questions in one message, so a vague answer costs one turn in all
    # rather than one per dimension.
    batch: dict[str, list[int]] = {}
    reasks: list[str] = []
    carry: list[str] = []
    for dim in _dimension_order(rubric, current, touched):
        qs = [q.id for q in rubric.questions_in(dim) if todo(q.id)]
        if not qs:
            continue
        unanswered = [q for q in qs if q not in answers]
        inferred = [q for q in qs if q in answers and answers[q].get("source") == "inferred"]
        unsure = [q for q in qs if q not in unanswered and q not in inferred]
        fresh = [q for q in unanswered if attempts.get(q, 0) == 0]
        if len(fresh) == 2 and not inferred and not carry:
            return Plan(action="ask", question=fresh[0], questions=fresh, mode="dimension")
        if fresh:
            return Plan(action="ask", question=fresh[0], questions=fresh, verify=[*carry, *inferred], mode="next")
        if inferred:
            # Confirmed along with the next open question, or all together at the end.
            carry += inferred
            continue
        fresh_unsure = [q for q in unsure if attempts.get(q, 0) == 0]
        if fresh_unsure:
            return Plan(action="ask", question=fresh_unsure[0], questions=fresh_unsure[:1], mode="clarify")
        for qid in sorted(unanswered + unsure, key=lambda q: int(q[1:])):
            opts = _options_for(qid, answers, attempts, hints, declined)
            if opts:
                batch[qid] = opts
            elif attempts.get(qid, 0) >= 2:
                reasks.append(qid)
    if carry:
        return Plan(action="ask", question=carry[0], verify=carry[:MAX_BATCH], mode="verify")
    if batch:
        sets = dict(list(batch.items())[:MAX_BATCH])
        first = next(iter(sets))
        return Plan(action="ask", question=first, questions=list(sets), mode="options", options=sets[first],
                    option_sets=sets)
    if reasks:
        return Plan(action="ask", question=reasks[0], questions=reasks[:1], mode="reask")
    return Plan(action="confirm")


def _options_for(
    qid: str,
    answers: Mapping[str, dict],
    attempts: Mapping[str, int],
    hints: Mapping[str, list[int]],
    declined: Mapping[str, list[int]],
) -> list[int]:
    """The options to offer for a question put once in free words: its likeliest; after "something
    else", the others nearest the reading. Empty when it is not a question for options."""
    rec = answers.get(qid)
    if attempts.get(qid, 0) == 1:
        return likely_options(rec["score"] if rec else None, answers, hints.get(qid, ()))
    if attempts.get(qid, 0) >= 2 and qid in declined:
        rest = [o for o in range(6) if o not in declined[qid]]
        centre = rec["score"] if rec else sum(declined[qid]) / len(declined[qid])
        return sorted(sorted(rest, key=lambda o: (abs(o - centre), o))[:MAX_OPTIONS])
    return []


def _dimension_order(rubric: Rubric, current: str | None, touched: Iterable[str]) -> list[str]:
    order: list[str] = []
    if current:
        order.append(rubric.question(current).dimension)
    for qid in touched:
        d = rubric.question(qid).dimension
        if d not in order:
            order.append(d)
    order += [d.id for d in rubric.dimensions if d.id not in order]
    return order
