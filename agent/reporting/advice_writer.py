"""Writing the report's advice: retrieve the transition-guide passages for the improvement areas
and turn them into recommended actions (written by the model from the passages, or extracted by
the offline engine), keeping only actions that cite passages they were given and that the answers
do not show are done; then plan them (agent.reporting.priorities): every dimension with a gap
covered, ordered by importance, the three things to do first.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from agent.common.providers import is_offline
from agent.core.calls import CallRecord
from agent.core.prompts import render
from agent.core.rubric import Rubric
from agent.core.schemas import AnswerRecord
from agent.core.scoring import Assessment
from agent.core.transitions import Transitions
from agent.reporting.advice import Action, Advice, Passage, select_actions
from agent.reporting.context import ReportingContext
from agent.reporting.grounded import (
    ORG_MIN_SIMILARITY,
    AdviceContext,
    AdviceDraft,
    AdviceQuery,
    Candidate,
    advice_queries,
    as_actions,
    candidates,
    checked_actions,
    dedupe,
    grounded_advice,
    passage,
)
from agent.reporting.priorities import plan_advice
from agent.retrieval.retriever import INDEX_UNAVAILABLE as UNAVAILABLE
from agent.retrieval.retriever import Filter

ORG_PASSAGES_PER_AREA = 2


def retrieve_by_query(svc: ReportingContext, queries: list[AdviceQuery]) -> list[list[Passage]]:
    """The passages each advice query finds (organization documents only when close enough)."""
    retriever = svc.get_retriever()
    out = []
    for q in queries:
        flt = Filter(kinds=q.kinds, dimension=q.dimension if q.origin != "organization" else None,
                     from_level=q.from_level, origin=q.origin)
        hits = retriever.search(q.text, flt, k=svc.top_k)
        if q.purpose == "organization":
            hits = [h for h in hits[:ORG_PASSAGES_PER_AREA] if (h.similarity or 0) >= ORG_MIN_SIMILARITY]
        out.append([passage(h.chunk, q, h.similarity) for h in hits])
    return out


def retrieve_passages(svc: ReportingContext, queries: list[AdviceQuery]) -> list[Passage]:
    """The passages the advice queries find (organization documents only when close enough), once each."""
    return dedupe([p for found in retrieve_by_query(svc, queries) for p in found])


def candidates_by_area(rubric: Rubric, transitions: Transitions, assessment: Assessment, queries: list[AdviceQuery],
                       found: list[list[Passage]]) -> tuple[list[Candidate], list[str]]:
    """The passages' open checklist items, read for each improvement area from the passages retrieved
    for it. One block often comes up for several areas (Level 1 to 2's "Gateway Setup" for the
    gateway and for security); read only once, for the first area, its items about the others were
    lost, and security got no action although the block has "Set up basic authentication"."""
    by_area: dict[str | None, list[Passage]] = {}
    for q, passages in zip(queries, found, strict=True):
        if q.purpose != "organization":
            by_area.setdefault(q.dimension, []).extend(passages)
    cands: dict[str, Candidate] = {}
    in_place: dict[str, None] = {}
    for passages in by_area.values():
        more, done = candidates(rubric, transitions, assessment, dedupe(passages))
        for c in more:
            cands.setdefault(c.text, c)
        in_place.update(dict.fromkeys(done))
    return list(cands.values()), list(in_place)


def _cited_elsewhere(svc: ReportingContext, advice: Advice) -> list[Passage]:
    """Passages cited by actions that were not retrieved (the questionnaire's next option for a weak
    dimension the guide has nothing open for), so every citation in the report has its passage."""
    have = {p.id for p in advice.passages}
    retriever = svc.get_retriever()
    out = []
    for a in advice.short_term + advice.medium_term + advice.long_term:
        for cid in a.cites:
            chunk = retriever.chunk(cid) if cid not in have else None
            if chunk is not None:
                have.add(cid)
                out.append(Passage(id=chunk.id, section=chunk.cite(), text=chunk.text, origin=chunk.origin,
                                   dimensions=chunk.dimensions, purpose="ladder", for_dimension=a.dimensions[0]))
    return out


def _draft(svc: ReportingContext, ctx: AdviceContext, passages: list[Passage],
           in_place: list[str]) -> tuple[list[Action], list[str], list[CallRecord]]:
    """Ask the model; regenerate once if some actions cite passages it was not given."""
    messages = render("advice", ctx)
    draft, calls = svc.gateway.structured("advice", messages, AdviceDraft)
    if draft is None:
        return [], [], calls
    actions, dropped = checked_actions(draft, passages, in_place)
    if any("cites" in d or "no citation" in d for d in dropped):
        retry = [*messages, {"role": "user", "content": "Some actions were rejected: " + "; ".join(dropped)
                             + ". Cite only passage ids from the context, and leave out what is already in place."}]
        draft2, more = svc.gateway.structured("advice", retry, AdviceDraft)
        calls += more
        if draft2 is not None:
            actions2, dropped2 = checked_actions(draft2, passages, in_place)
            if len(actions2) > len(actions):
                actions, dropped = actions2, dropped2
    return actions, dropped, calls


class WrittenAdvice(BaseModel):
    """The advice, the model calls it took, and what to tell the user (e.g. the index was down)."""

    advice: Advice
    calls: list[CallRecord] = Field(default_factory=list)
    notices: list[str] = Field(default_factory=list)


def write_advice(svc: ReportingContext, assessment: Assessment, records: dict[str, AnswerRecord]) -> WrittenAdvice:
    """Grounded advice for a scored assessment; falls back to the guides alone when the index is
    unavailable (and says so)."""
    rubric, transitions = svc.rubric, svc.transitions
    base = select_actions(rubric, transitions, assessment, records)
    queries = advice_queries(rubric, assessment, records)
    if not queries:
        return WrittenAdvice(advice=plan_advice(rubric, transitions, assessment, base, records))
    try:
        found = retrieve_by_query(svc, queries)
    except UNAVAILABLE as exc:
        note = f"The retrieval index is unavailable ({exc}); the actions come straight from the transition guides."
        from_guides = base.model_copy(update={"notes": [*base.notes, note]})
        return WrittenAdvice(advice=plan_advice(rubric, transitions, assessment, from_guides, records), notices=[note])
    passages = dedupe([p for hits in found for p in hits])
    cands, in_place = candidates_by_area(rubric, transitions, assessment, queries, found)
    ctx = AdviceContext(
        current_level=base.current_level, target_level=base.target_level,
        improvement_areas=[f"{a.name} ({a.dimension}): {a.priority}; {a.reason}" for a in base.improvement_areas],
        situation=[f"{q}: {rubric.question(q).label(r.score)}; they said: {r.evidence}" for q, r in sorted(records.items())],
        passages=[{"id": p.id, "section": p.section, "origin": p.origin, "text": p.text} for p in passages],
        already_in_place=in_place, candidates=cands,
    )
    calls: list[CallRecord] = []
    actions: list[Action] = []
    dropped: list[str] = []
    if not is_offline(svc.gateway.model):  # offline, the advice is the extractive candidates
        actions, dropped, calls = _draft(svc, ctx, passages, in_place)
    answered_by = next((c.model for c in reversed(calls) if c.ok), None)
    writer = "extractive" if answered_by is None or is_offline(answered_by) else answered_by
    notes = []
    if dropped and writer != "extractive":
        notes.append(f"{len(dropped)} model-written action(s) were dropped: " + "; ".join(dropped))
    if not actions:
        if writer != "extractive":
            notes.append("The model's actions could not be used; they were selected from the passages instead.")
        actions, writer = as_actions(cands, passages), "extractive"
    advice = plan_advice(rubric, transitions, assessment, grounded_advice(base, actions, passages, in_place, notes, writer),
                         records)
    advice.passages += _cited_elsewhere(svc, advice)
    return WrittenAdvice(advice=advice, calls=calls)
