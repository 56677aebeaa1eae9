"""Plain-words restatement of what the interview understood, for the confirmation step."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from agent.core.rubric import Rubric
from agent.core.schemas import AnswerRecord


def understanding_line(rubric: Rubric, record: AnswerRecord) -> str:
    """One answer in plain words, e.g. 'q3 Tracing — Yes, basic request/response logs (2/5) —
    you said: “we log every prompt and response”'."""
    q = rubric.question(record.question_id)
    line = f"{q.id} {q.topic} — {q.label(record.score)} ({record.score}/5)"
    evidence = " ".join(record.evidence.split())
    if evidence:
        line += f" — you said: “{evidence}”"
    return line


def understanding_lines(
    rubric: Rubric, answers: Mapping[str, AnswerRecord], missing: Iterable[str] = ()
) -> list[str]:
    """Each answered question (and each listed missing one) in questionnaire order."""
    missing = set(missing)
    lines = []
    for q in rubric.questions:
        if q.id in answers:
            lines.append(understanding_line(rubric, answers[q.id]))
        elif q.id in missing:
            lines.append(f"{q.id} {q.topic} — not answered yet ({q.text})")
    return lines


def change_line(rubric: Rubric, change: Mapping) -> str:
    """One changed answer: 'q3 Tracing: Sometimes, with effort → Yes, basic request/response logs
    (2/5) — you said: “it's basic logging, just no spans”'."""
    q = rubric.question(change["question_id"])
    old = "not answered" if change.get("old") is None else q.label(change["old"])
    line = f"{q.id} {q.topic}: {old} → {q.label(change['new'])} ({change['new']}/5)"
    said = " ".join(str(change.get("evidence", "")).split())
    return line + (f" — you said: “{said}”" if said else "")
