"""Answer one follow-up question for a session (used by the graph's followup node and by
`aiops-assess ask`): gather passages, draft, let the model write, check the citations."""

from __future__ import annotations

from agent.common.providers import is_offline
from agent.core.calls import CallRecord
from agent.core.prompts import render
from agent.core.routing import RouteContext, RouteGuess, RouteQuestion
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
from agent.reporting.followup_route import ROUTE_MIN_CONFIDENCE, Topic, route
from agent.reporting.followup_topics import (
    draft_dimension,
    draft_option,
    draft_question,
    draft_result,
    draft_term,
)
from agent.reporting.glossary import load_glossary
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


def _route(svc: ReportingContext, text: str) -> tuple[Topic, list[CallRecord]]:
    """The topic: the rules; else the model (the route task: which question, if any); else out of
    scope."""
    topic = route(text, svc.rubric)
    if topic is not None and topic.confidence >= 1.0:
        return topic, []
    if topic is None and svc.get_retriever().coverage(text) < MIN_COVERAGE:
        # None of its topic words is known to the model's text or thesaurus (the weather, bread):
        # no model call needed to say so.
        return Topic(kind="out_of_scope", id="none", by="coverage"), []
    ctx = RouteContext(question=text, questions=[RouteQuestion(id=q.id, text=q.text, topic=q.topic)
                                                 for q in svc.rubric.questions])
    guess, calls = svc.gateway.structured("route", render("route", ctx), RouteGuess)
    ids = {q.id for q in svc.rubric.questions}
    # Only within the dimension the rules found, when they found one (the model narrows it).
    if guess is not None and guess.question_id in ids and guess.confidence >= ROUTE_MIN_CONFIDENCE \
            and (topic is None or svc.rubric.question(guess.question_id).dimension == topic.id):
        return Topic(kind="question", id=guess.question_id, by="model", confidence=guess.confidence), calls
    if topic is not None:
        return topic, calls
    # Neither the rules nor the model tie it to the questionnaire, the result or a term: the
    # model's passages would only be loosely related (a "haiku about kubernetes" shares words
    # with them), so say plainly that the model does not cover it.
    return Topic(kind="out_of_scope", id="none", by="model" if calls else "rules"), calls


def _topic_draft(svc: ReportingContext, topic: Topic, q: Question, assessment: Assessment,
                 records: dict[str, AnswerRecord], advice: Advice | None) -> tuple[FollowupDraft, list[Chunk]] | None:
    """The draft and its passages for a routed topic (None: answer it the general way)."""
    r = svc.get_retriever()
    chunk_of = r.chunk
    step_from = q.step[0] if q.step else None
    if topic.kind == "question" and q.intent != "why_score":
        draft = draft_question(topic.id, svc.rubric, svc.transitions, assessment, records, chunk_of, step_from)
    elif topic.kind == "dimension" and q.intent != "why_score":
        draft = draft_dimension(topic.id, svc.rubric, svc.transitions, assessment, records, chunk_of, step_from)
    elif topic.kind == "result" and topic.id == "priorities":
        draft = draft_first_steps(advice)
    elif topic.kind == "result" and not (topic.id == "level" and q.intent == "kpis"):
        draft = draft_result(topic.id, svc.rubric, svc.transitions, assessment, chunk_of)
    elif topic.kind == "term":
        opt = topic.option.split(":") if topic.option else None
        draft = draft_term(topic.id, load_glossary(), svc.rubric, chunk_of,
                           option=(opt[0], int(opt[1])) if opt else None, assessment=assessment)
    elif topic.kind == "option":
        qid, score = topic.id.split(":")
        draft = draft_option(qid, int(score), svc.rubric, assessment)
    else:
        return None
    return draft, [c for c in (chunk_of(i) for i in draft.cites) if c is not None]


def answer_followup(svc: ReportingContext, values: dict, text: str) -> tuple[FollowupAnswer, list[CallRecord]]:
    """Answer `text` for the session whose state is `values` (raises the retrieval errors)."""
    records = {q: AnswerRecord.model_validate(a) for q, a in (values.get("answers") or {}).items()}
    assessment = score(svc.rubric, {q: r.score for q, r in records.items()})
    advice = Advice.model_validate(values["advice"]) if values.get("advice") else (
        select_actions(svc.rubric, svc.transitions, assessment, records)
    )
    topic, calls = _route(svc, text)
    if topic.kind == "out_of_scope":
        return FollowupAnswer(question=text, answer=NOT_COVERED, cites=[], sources=[], covered=False,
                              topic=topic), calls
    q = parse_question(text, svc.rubric)
    if topic.kind == "question":
        q.question_id = topic.id
        q.dimension = svc.rubric.question(topic.id).dimension
    elif topic.kind == "dimension":
        q.dimension, q.dimension_named = topic.id, True
    routed = _topic_draft(svc, topic, q, assessment, records, advice)
    if routed is not None:
        draft, chunks = routed
    else:
        if topic.kind == "result" and topic.id == "level":
            q.intent = "kpis"
        chunks, covered = _passages(svc, q, assessment, advice)
        if not covered:
            return FollowupAnswer(question=text, answer=NOT_COVERED, cites=[], sources=[], covered=False,
                                  topic=topic), calls
        draft = _draft(svc, q, chunks, assessment, records, advice)
    allowed = [c.id for c in chunks]
    ctx = FollowupContext(
        question=text, intent=q.intent, assessment=_assessment_brief(svc, assessment, records, advice),
        passages=[{"id": c.id, "section": c.cite(), "text": c.text} for c in chunks], draft=draft,
    )
    written: FollowupDraft | None = None
    if not is_offline(svc.gateway.model):  # offline, the answer is the draft itself
        written, more = svc.gateway.structured("followup", render("followup", ctx), FollowupDraft)
        calls = [*calls, *more]
    writer = next((c.model for c in reversed(calls) if c.ok and c.task == "followup"), None)
    final, who = draft, "extractive"
    if written is not None and writer and not is_offline(writer):
        checked, _problem = check_draft(written, allowed)
        if checked is not None:
            final, who = checked, writer
    if not final.covered:
        return FollowupAnswer(question=text, answer=NOT_COVERED, cites=[], sources=[], covered=False,
                              written_by=who, topic=topic), calls
    by_id = {c.id: c for c in chunks}
    cites = [c for c in final.cites if c in by_id]
    return FollowupAnswer(
        question=text, answer=final.answer, cites=cites, sources=[f"{by_id[c].cite()} [{c}]" for c in cites],
        covered=True, written_by=who, topic=topic,
    ), calls
