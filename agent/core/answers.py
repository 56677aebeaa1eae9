"""Merging what a reply told us into the answers so far (pure).

Later statements override earlier ones, with one guard: a vague mention (below the confidence
threshold) does not displace a confident answer unless the reply is a correction or the question
was the one just asked.
"""

from __future__ import annotations

from collections.abc import Mapping

from agent.core.rubric import Rubric
from agent.core.schemas import AnswerRecord, KnownAnswer, RubricUpdate, as_question_id
from agent.core.scoring import level_text, score


def merge(answers: Mapping[str, dict], update: RubricUpdate, *, turn: int, current: str | None,
          threshold: float) -> tuple[dict[str, dict], list[str]]:
    """(new answers, ids of the questions that changed)."""
    out = dict(answers)
    changed: list[str] = []
    for ans in update.answers:
        old = out.get(ans.question_id)
        if (old is not None and not update.is_correction and ans.question_id != current
                and ans.confidence < threshold <= old["confidence"]):
            continue
        rec = AnswerRecord(question_id=ans.question_id, score=ans.score, confidence=ans.confidence,
                           evidence=ans.evidence.strip(), turn=turn)
        out[ans.question_id] = rec.model_dump()
        if old is None or old["score"] != rec.score or old["evidence"] != rec.evidence:
            changed.append(ans.question_id)
    return out, changed


def known_answers(rubric: Rubric, answers: Mapping[str, dict]) -> list[KnownAnswer]:
    """The answers so far in the shape prompts use."""
    return [
        KnownAnswer(question_id=as_question_id(q.id), score=a["score"], label=q.label(a["score"]), evidence=a["evidence"],
                    confidence=a["confidence"])
        for q in rubric.questions
        if (a := answers.get(q.id)) is not None
    ]


def scores_line(rubric: Rubric, answers: Mapping[str, dict]) -> str:
    """'Gateway 2.0 · Observability 1.5 · ... · total 14 from 8 answers (Level 1–3, provisional)'"""
    result = score(rubric, {k: v["score"] for k, v in answers.items()})
    dims = " · ".join(f"{d.name} {d.score:.1f}" for d in result.dimensions if d.score is not None)
    return (f"{dims or 'no scores yet'} · total {result.total} from {len(result.answers)} answers "
            f"({level_text(rubric, result)})")


def progress_line(rubric: Rubric, answers: Mapping[str, dict]) -> str:
    """'5/12 answered · Gateway 2/2 · Observability 1/2 · ...'"""
    dims = []
    for d in rubric.dimensions:
        qs = rubric.questions_in(d.id)
        dims.append(f"{d.name} {sum(1 for q in qs if q.id in answers)}/{len(qs)}")
    return f"{len(answers)}/12 answered · " + " · ".join(dims)
