"""Advice grounded in retrieved passages: what to ask the index, which actions the passages hold,
and which model-written actions may stand.

Pure: the retrieval itself and the model call happen in the report node. The flow is
  advice_queries → (retriever) → passages → candidates (extractive, minus what the answers show is
  in place) → (model writes from passages and candidates; the offline engine returns the
  candidates) → checked_actions (citations must be passages it was given) → grounded_advice.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import ClassVar, Literal

from pydantic import BaseModel, Field

from agent.common.strict import ModelOutput
from agent.core.rubric import Rubric
from agent.core.schemas import AnswerRecord
from agent.core.scoring import Assessment
from agent.core.transitions import Block, Guide, Transitions
from agent.reporting.advice import (
    SHORT_TERM_LAST_WEEK,
    Action,
    Advice,
    Passage,
    Term,
    improvement_areas,
    planning_level,
)
from agent.retrieval.chunks import Chunk, Kind

_WEEK_TITLE = re.compile(r"(Week \d+-\d+: .+)$")
# An action this similar (word overlap) to something already in place repeats it.
REPEAT_OVERLAP = 0.75
# Organization passages below this vector similarity are not relevant enough to cite.
ORG_MIN_SIMILARITY = 0.35


class AdviceQuery(BaseModel):
    """One retrieval the advice needs: a dimension's situation, filtered to the right guide."""

    dimension: str | None
    purpose: Literal["current", "next", "organization"]
    text: str
    kinds: tuple[Kind, ...] | None = ("transition",)
    from_level: int | None = None
    origin: Literal["framework", "organization"] | None = "framework"


class Candidate(BaseModel):
    """An action taken verbatim from a passage (what the offline engine recommends)."""

    text: str
    term: Term
    dimension: str | None
    cite: str


class DraftAction(ModelOutput):
    """One recommended action as a model writes it."""

    text: str = Field(min_length=3, description="The action, one imperative sentence.")
    term: Term = Field(description="short: 0-3 months, medium: 3-6 months, long: 6-12 months.")
    dimension: str | None = Field(None, description="gateway, observability, memory, orchestration, cost or security.")
    cites: list[str] = Field(description="Ids of the passages the action comes from (at least one).")


class AdviceDraft(ModelOutput):
    """The advice task's structured output."""

    essential_list: ClassVar[str | None] = "actions"

    actions: list[DraftAction]


class AdviceContext(BaseModel):
    """Input of the advice task (prompts/advice.md)."""

    task: Literal["advice"] = "advice"
    current_level: int
    target_level: int
    improvement_areas: list[str]
    situation: list[str]
    passages: list[dict]
    already_in_place: list[str]
    candidates: list[Candidate]


def _situation(rubric: Rubric, dim: str, answers: Mapping[str, int], records: Mapping[str, AnswerRecord]) -> str:
    parts = []
    for q in rubric.questions_in(dim):
        if q.id in answers:
            said = records.get(q.id)
            quote = f' ("{" ".join(said.evidence.split())[:160]}")' if said and said.evidence.strip() else ""
            parts.append(f"{q.label(answers[q.id])}{quote}")
    return "; ".join(parts)


def advice_queries(
    rubric: Rubric, assessment: Assessment, records: Mapping[str, AnswerRecord] | None = None
) -> list[AdviceQuery]:
    """Retrievals for the advice: per dimension below target, its situation and the next step,
    filtered to the guide from the current level (and the following guide, for the long term)."""
    records = records or {}
    cur, tgt = planning_level(assessment), assessment.target_level
    if cur >= 5:
        return []
    areas = improvement_areas(rubric, assessment)
    out: list[AdviceQuery] = []
    for area in areas:
        dim = rubric.dimension(area.dimension)
        text = (
            f"{dim.name}: today {_situation(rubric, area.dimension, assessment.answers, records)}. "
            f"Next: {dim.ladder[min(int(area.target), 5)]} (Level {tgt} {assessment.target_level_name})"
        )
        out.append(AdviceQuery(dimension=area.dimension, purpose="current", text=text, from_level=cur))
        if tgt < 5 and tgt > cur:
            out.append(AdviceQuery(dimension=area.dimension, purpose="next", text=text, from_level=tgt))
        out.append(AdviceQuery(dimension=area.dimension, purpose="organization", text=text, kinds=None,
                               origin="organization"))
    if not areas:
        text = f"From Level {cur} to Level {tgt} {assessment.target_level_name}"
        out.append(AdviceQuery(dimension=None, purpose="current", text=text, from_level=cur))
    return out


def passage(c: Chunk, q: AdviceQuery, similarity: float | None = None) -> Passage:
    """A retrieved chunk, remembered with what it was retrieved for."""
    return Passage(id=c.id, section=c.cite(), text=c.text, origin=c.origin, dimensions=c.dimensions,
                   from_level=c.from_level, purpose=q.purpose, for_dimension=q.dimension,
                   similarity=None if similarity is None else round(similarity, 3))


def dedupe(passages: Sequence[Passage]) -> list[Passage]:
    """First occurrence of each chunk, in order."""
    seen: set[str] = set()
    out = []
    for p in passages:
        if p.id not in seen:
            seen.add(p.id)
            out.append(p)
    return out


def _block(transitions: Transitions, p: Passage) -> tuple[Guide, Block] | None:
    """The transitions.yaml block a transition week passage quotes (None for goal passages)."""
    if p.from_level is None or p.origin != "framework":
        return None
    guide = transitions.guide(p.from_level)
    m = _WEEK_TITLE.search(p.section)
    if guide is None or not m:
        return None
    block = next((b for b in guide.blocks if b.title == m.group(1)), None)
    return (guide, block) if block else None


def candidates(
    rubric: Rubric, transitions: Transitions, assessment: Assessment, passages: Sequence[Passage],
) -> tuple[list[Candidate], list[str]]:
    """Actions the passages hold, minus those the answers show are in place; and those in place.

    Term: the current guide's blocks starting by week 12 for a High/Medium-priority area are
    short-term, its other blocks medium-term, the next guide's long-term.
    """
    cur = planning_level(assessment)
    areas = improvement_areas(rubric, assessment)
    focus = {a.dimension for a in areas if a.priority != "Low"} or {a.dimension for a in areas}
    out: list[Candidate] = []
    in_place: list[str] = []
    seen: set[str] = set()
    for p in passages:
        found = _block(transitions, p)
        if found is None:
            continue
        guide, block = found
        for item in block.items:
            if item.text in seen:
                continue
            seen.add(item.text)
            if item.satisfied(assessment.answers) is True:
                in_place.append(item.text)
                continue
            dims = [d for d in item.dimensions if d != "general"]
            dim = next((d for d in dims if d in focus), next((d for d in dims if p.for_dimension == d), None))
            if p.for_dimension and p.for_dimension not in item.dimensions and "general" not in item.dimensions:
                continue  # the block came up for another dimension; this item is not about it
            if guide.from_level != cur:
                term: Term = "long"
            elif block.weeks[0] <= SHORT_TERM_LAST_WEEK and (focus & set(item.dimensions) or "general" in item.dimensions):
                term = "short"
            else:
                term = "medium"
            out.append(Candidate(text=item.text, term=term, dimension=dim or p.for_dimension, cite=p.id))
    return out, in_place


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower())) - {"a", "an", "the", "and", "or", "of", "to", "for", "with", "in", "on"}


def repeats(text: str, in_place: Sequence[str]) -> str | None:
    """The in-place item an action restates, if any."""
    w = _words(text)
    for item in in_place:
        iw = _words(item)
        if iw and len(w & iw) / len(iw) >= REPEAT_OVERLAP:
            return item
    return None


def checked_actions(
    draft: AdviceDraft, passages: Sequence[Passage], in_place: Sequence[str],
) -> tuple[list[Action], list[str]]:
    """The draft's actions that cite only passages it was given and do not repeat what is in place;
    plus a reason for each dropped one."""
    by_id = {p.id: p for p in passages}
    kept: list[Action] = []
    dropped: list[str] = []
    for a in draft.actions:
        cites = list(dict.fromkeys(a.cites))
        bad = [c for c in cites if c not in by_id]
        if not cites or bad:
            dropped.append(f"“{a.text}”: {'no citation' if not cites else 'cites unknown passage ' + ', '.join(bad)}")
            continue
        rep = repeats(a.text, in_place)
        if rep:
            dropped.append(f"“{a.text}”: already in place (“{rep}”)")
            continue
        dims = [a.dimension] if a.dimension else sorted({d for c in cites for d in by_id[c].dimensions})
        kept.append(Action(
            text=a.text, source="; ".join(by_id[c].section for c in cites), dimensions=dims or ["general"],
            cites=cites, term=a.term,
        ))
    return kept, dropped


def as_actions(cands: Sequence[Candidate], passages: Sequence[Passage]) -> list[Action]:
    """Extractive candidates as report actions."""
    by_id = {p.id: p for p in passages}
    return [
        Action(text=c.text, source=by_id[c.cite].section, dimensions=[c.dimension] if c.dimension else ["general"],
               cites=[c.cite], term=c.term)
        for c in cands
    ]


def grounded_advice(
    base: Advice, actions: Sequence[Action], passages: Sequence[Passage], in_place: Sequence[str],
    notes: Sequence[str] = (), written_by: str = "extractive",
) -> Advice:
    """The advice with its actions replaced by the grounded ones (improvement areas, KPIs, resources
    and outcomes stay as scored); weak dimensions left without an action keep the ladder step."""
    by_term = {t: [a for a in actions if a.term == t] for t in ("short", "medium", "long")}
    covered = {d for a in actions for d in a.dimensions}
    ladder = [a for a in base.short_term + base.medium_term if a.cites and a.cites[0].startswith("questionnaire-")
              and not covered & set(a.dimensions)]
    org = [p for p in passages if p.origin == "organization"]
    return base.model_copy(update={
        "short_term": by_term["short"] + [a for a in ladder if a.term == "short"],
        "medium_term": by_term["medium"] + [a for a in ladder if a.term != "short"],
        "long_term": by_term["long"],
        "already_in_place": [Action(text=t, source="your answers", dimensions=["general"]) for t in in_place],
        "passages": list(passages),
        "organization_passages": org,
        "grounded": True,
        "written_by": written_by,
        "notes": [*base.notes, *notes],
    })
