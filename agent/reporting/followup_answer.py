"""Answer one follow-up question for a session (used by the graph's followup node and by
`aiops-assess ask`): gather passages, draft, let the model write, check the citations."""

from __future__ import annotations

from agent.common.providers import is_offline
from agent.core.calls import CallRecord
from agent.core.prompts import render
from agent.core.schemas import AnswerRecord
from agent.core.scoring import Assessment, score
from agent.reporting.advice import Advice, select_actions
from agent.reporting.context import ReportingContext
from agent.reporting.followup import (
    MIN_COVERAGE,
    NOT_COVERED,
    FollowupAnswer,
    FollowupContext,
    FollowupDraft,
    Question,
    check_draft,
    draft_first_steps,
    draft_from_passages,
    draft_kpis,
    draft_why,
    parse_question,
)
from agent.retrieval.chunks import Chunk
from agent.retrieval.retriever import Filter


def _passages(svc: ReportingContext, q: Question, assessment: Assessment, advice: Advice | None) -> tuple[list[Chunk], bool]:
    """The chunks that answer the question, and whether the framework covers it at all."""
    r = svc.get_retriever()
    k = svc.top_k
    cur = assessment.level if assessment.level is not None else assessment.level_range[0]
    tgt = assessment.target_level
    if q.intent == "kpis":
        c = r.chunk(f"kpi-level-{q.step[1] if q.step else tgt}")
        return ([c] if c else []), c is not None
    if q.intent == "why_score":
        if q.question_id:
            ids = [f"questionnaire-{q.question_id}"]
        elif q.dimension and q.dimension_named:  # "why is my cost score low": both of its questions
            ids = [f"questionnaire-{x.id}" for x in svc.rubric.questions_in(q.dimension)]
        else:  # "why did I get a 1 on tracing": the questionnaire question about that topic
            hits = r.search(q.text, Filter(kinds=("assessment",), dimension=q.dimension), k=1)
            ids = [h.chunk.id for h in hits if h.chunk.id.startswith("questionnaire-q")]
            if ids:
                q.question_id = ids[0].split("-", 1)[1]
        return [c for c in (r.chunk(i) for i in ids) if c], True
    if q.intent == "first_steps":
        cited = [c for a in (advice.short_term + advice.medium_term + advice.long_term if advice else [])[:5]
                 for c in a.cites]
        return [c for c in (r.chunk(i) for i in dict.fromkeys(cited)) if c], True
    if q.intent == "transition" and cur < 5:
        frm = q.step[0] if q.step else cur
        hits = r.search(q.text, Filter(kinds=("transition",), from_level=frm, dimension=q.dimension), k=k)
        if not hits and q.dimension:
            hits = r.search(q.text, Filter(kinds=("transition",), from_level=frm), k=k)
        return [h.chunk for h in hits], bool(hits)
    if r.coverage(q.text) < MIN_COVERAGE:
        return [], False
    hits = r.search(q.text, k=k)
    return [h.chunk for h in hits[:3]], bool(hits)


def _draft(svc: ReportingContext, q: Question, chunks: list[Chunk], assessment: Assessment,
           records: dict[str, AnswerRecord], advice: Advice | None) -> FollowupDraft:
    if q.intent == "why_score":
        return draft_why(q, svc.rubric, assessment, records, chunks)
    if q.intent == "kpis":
        return draft_kpis(q.step[1] if q.step else assessment.target_level, chunks[0] if chunks else None)
    if q.intent == "first_steps":
        return draft_first_steps(advice)
    return draft_from_passages(q, chunks, assessment.answers, svc.transitions)


def _assessment_brief(svc: ReportingContext, assessment: Assessment, records, advice: Advice | None) -> dict:
    return {
        "level": assessment.level, "level_range": list(assessment.level_range), "total": assessment.total,
        "target_level": assessment.target_level,
        "answers": {q: {"score": r.score, "option": svc.rubric.question(q).label(r.score), "said": r.evidence}
                    for q, r in sorted(records.items())},
        "dimensions": {d.dimension: d.score for d in assessment.dimensions},
        "recommended_actions": [f"{a.text} [{', '.join(a.cites)}]" for a in
                                (advice.short_term + advice.medium_term + advice.long_term if advice else [])][:15],
    }


def answer_followup(svc: ReportingContext, values: dict, text: str) -> tuple[FollowupAnswer, list[CallRecord]]:
    """Answer `text` for the session whose state is `values` (raises the retrieval errors)."""
    records = {q: AnswerRecord.model_validate(a) for q, a in (values.get("answers") or {}).items()}
    assessment = score(svc.rubric, {q: r.score for q, r in records.items()})
    advice = Advice.model_validate(values["advice"]) if values.get("advice") else (
        select_actions(svc.rubric, svc.transitions, assessment, records)
    )
    q = parse_question(text, svc.rubric)
    chunks, covered = _passages(svc, q, assessment, advice)
    if not covered:
        return FollowupAnswer(question=text, answer=NOT_COVERED, cites=[], sources=[], covered=False), []
    draft = _draft(svc, q, chunks, assessment, records, advice)
    allowed = [c.id for c in chunks]
    ctx = FollowupContext(
        question=text, intent=q.intent, assessment=_assessment_brief(svc, assessment, records, advice),
        passages=[{"id": c.id, "section": c.cite(), "text": c.text} for c in chunks], draft=draft,
    )
    written: FollowupDraft | None = None
    calls: list[CallRecord] = []  # offline, the answer is the extractive draft itself
    if not is_offline(svc.gateway.model):
        written, calls = svc.gateway.structured("followup", render("followup", ctx), FollowupDraft)
    writer = next((c.model for c in reversed(calls) if c.ok), None)
    final, who = draft, "extractive"
    if written is not None and writer and not is_offline(writer):
        checked, _problem = check_draft(written, allowed)
        if checked is not None:
            final, who = checked, writer
    if not final.covered:
        return FollowupAnswer(question=text, answer=NOT_COVERED, cites=[], sources=[], covered=False,
                              written_by=who), calls
    by_id = {c.id: c for c in chunks}
    cites = [c for c in final.cites if c in by_id]
    return FollowupAnswer(
        question=text, answer=final.answer, cites=cites, sources=[f"{by_id[c].cite()} [{c}]" for c in cites],
        covered=True, written_by=who,
    ), calls
