"""Merging what a reply told us into the answers so far (pure), for every engine.

Answer integrity: an answer given to its own question (direct), confirmed, corrected or chosen is
*firm*. A firm answer is replaced only by another direct reading of that question (the latest
statement wins, unless it is vague and the old one was sure), or by an explicit correction. A
reading of a question that was not asked — a passing mention while another topic is discussed —
never replaces a firm answer; where no firm answer exists it is recorded as *inferred*
(provisional: the planner asks to confirm it when its turn comes). A confident inference that
contradicts a firm answer is returned as a conflict, for the interviewer to ask about.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping

from pydantic import BaseModel

from agent.core.rubric import Rubric
from agent.core.schemas import AnswerRecord, Change, KnownAnswer, RubricUpdate, ScoredAnswer, Source, as_question_id
from agent.core.scoring import level_text, score

# An inference this sure that contradicts a firm answer is worth asking about.
CONFLICT_CONFIDENCE = 0.85


class Merged(BaseModel):
    """The answers after a reply, what changed, and contradictions to ask about."""

    answers: dict[str, dict]
    changes: list[Change]
    conflicts: list[ScoredAnswer]


def records(answers: Mapping[str, dict]) -> dict[str, AnswerRecord]:
    """The state's answers as records."""
    return {q: AnswerRecord.model_validate(a) for q, a in answers.items()}


def merge(answers: Mapping[str, dict], update: RubricUpdate, *, turn: int, asking: Collection[str],
          threshold: float, model: str | None = None, correcting: Collection[str] = ()) -> Merged:
    """Apply `update` (read from a reply to the questions in `asking`) to `answers`. Readings of
    the questions in `correcting` (a correction naming them, at the review step) replace their
    answers whatever they were."""
    out = dict(answers)
    asked = set(asking)
    fixing = set(correcting)
    # Only the readings that are the correction replace what they correct; a passing mention in
    # the same reply does not. A reader that flags the reply but no reading: its surest one.
    flagged = {a.question_id for a in update.answers if a.corrects}
    if update.is_correction and not flagged:
        earlier = [a for a in update.answers if a.question_id in out and a.question_id not in asked]
        if earlier:
            top = max(a.confidence for a in earlier)
            flagged = {a.question_id for a in earlier if a.confidence == top}
    changes: list[Change] = []
    conflicts: list[ScoredAnswer] = []
    for ans in update.answers:
        qid = ans.question_id
        old = AnswerRecord.model_validate(out[qid]) if qid in out else None
        source: Source
        if qid in fixing:
            source = "corrected"
        elif qid in asked:
            source = "direct"
        elif qid in flagged and old is not None:
            source = "corrected"
        else:
            source = "inferred"
        if old is not None and source != "corrected":
            if source == "inferred" and old.firm:
                if ans.score != old.score and ans.confidence >= CONFLICT_CONFIDENCE:
                    conflicts.append(ans)
                continue
            if source == "inferred" and ans.confidence <= old.confidence:
                continue  # of two inferences, the first stays unless the later is surer
            if source == "direct" and old.firm and ans.confidence < threshold <= old.confidence:
                continue  # a vague restatement does not displace a sure answer
        rec = AnswerRecord(question_id=qid, score=ans.score, confidence=ans.confidence,
                           evidence=ans.evidence.strip(), turn=turn, source=source, model=model)
        out[qid] = rec.model_dump()
        if old is None or old.score != rec.score or old.evidence != rec.evidence:
            changes.append(Change(question_id=qid, old=None if old is None else old.score, new=rec.score,
                                  evidence=rec.evidence, source=source))
    return Merged(answers=out, changes=changes, conflicts=conflicts)


def set_answer(answers: Mapping[str, dict], qid: str, score_: int, *, evidence: str, turn: int,
               source: Source, confidence: float = 1.0, model: str | None = None) -> Merged:
    """Set one answer as the interviewee chose, confirmed or corrected it."""
    out = dict(answers)
    old = AnswerRecord.model_validate(out[qid]) if qid in out else None
    rec = AnswerRecord(question_id=as_question_id(qid), score=score_, confidence=confidence,
                       evidence=evidence.strip(), turn=turn, source=source, model=model)
    out[qid] = rec.model_dump()
    changed = old is None or old.score != rec.score
    change = Change(question_id=rec.question_id, old=None if old is None else old.score, new=rec.score,
                    evidence=rec.evidence, source=source)
    return Merged(answers=out, changes=[change] if changed else [], conflicts=[])


def known_answers(rubric: Rubric, answers: Mapping[str, dict]) -> list[KnownAnswer]:
    """The answers so far in the shape prompts use."""
    return [
        KnownAnswer(question_id=as_question_id(q.id), score=a["score"], label=q.label(a["score"]),
                    evidence=a["evidence"], confidence=a["confidence"])
        for q in rubric.questions
        if (a := answers.get(q.id)) is not None
    ]


def scores_line(rubric: Rubric, answers: Mapping[str, dict]) -> str:
    """'Gateway 2.0 · Observability 1.5 · ... · total 14 from 8 answers (Level 1–3, provisional)'"""
    result = score(rubric, {k: v["score"] for k, v in answers.items()})
    dims = " · ".join(f"{d.name} {d.score:.1f}" for d in result.dimensions if d.score is not None)
    return (f"{dims or 'no scores yet'} · total {result.total} from {len(result.answers)} answers "
            f"({level_text(rubric, result)})")


def progress_line(rubric: Rubric, answers: Mapping[str, dict], scope: Iterable[str] | None = None) -> str:
    """'5/12 answered · Gateway 2/2 · Observability 1/2 · ...'; for a respondent asked about some
    dimensions only (`scope`), those: '1/2 answered · Security 1/2'."""
    wanted = set(scope or ())
    dims = []
    asked = done = 0
    for d in rubric.dimensions:
        if wanted and d.id not in wanted:
            continue
        qs = rubric.questions_in(d.id)
        have = sum(1 for q in qs if q.id in answers)
        asked, done = asked + len(qs), done + have
        dims.append(f"{d.name} {have}/{len(qs)}")
    return f"{done}/{asked} answered · " + " · ".join(dims)
