"""What the report recommends: strengths, improvement areas, actions, resources, outcomes, KPIs.

Pure functions over the rubric, the transition guides and a scored assessment. Every action is a
checklist line of one of the model's transition guides (or, where a guide has nothing for a weak
dimension, the questionnaire's next option) and carries the section it came from, so the report
never recommends something the framework does not say. Which actions come first, and why, is
agent.reporting.priorities.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, Field

from agent.core.rubric import Rubric
from agent.core.schemas import AnswerRecord
from agent.core.scoring import Assessment, DimensionScore
from agent.core.transitions import Block, ChecklistItem, Guide, Kpi, Transitions
from agent.reporting.wording import ReportWording, load_report_wording

Priority = Literal["High", "Medium", "Low"]
# Guides are paced in weeks; blocks that start after this week no longer fit "Short-term (0-3 months)".
SHORT_TERM_LAST_WEEK = 12
MAX_RELATIVE_STRENGTHS = 3


Term = Literal["short", "medium", "long"]


class Action(BaseModel):
    text: str
    source: str  # the model's section, e.g. "Transition Guides › Level 1 to Level 2 › Week 1-2: Gateway Setup"
    dimensions: list[str]
    pending: list[str] = Field(default_factory=list)  # unanswered questions that could show it is done
    cites: list[str] = Field(default_factory=list)  # ids of the index chunks it comes from
    term: Term | None = None
    # The questionnaire's next option for a question no guide action moves (not a guide checklist item).
    next_option: bool = False
    # The options the action brings the organization to, e.g. {"q11": 2} (the guide item's
    # `satisfied_by`, or the next option); empty when the questionnaire cannot tell.
    reaches: dict[str, int] = Field(default_factory=dict)
    weeks: tuple[int, int] | None = None  # the guide block's weeks, for the effort


class FirstStep(BaseModel):
    """One of the three things to do first, with why it matters for this organization."""

    action: Action
    dimension: str  # a dimension id, or "general"
    name: str  # the dimension's name
    why: list[str]  # the gap (with their words), the order (what builds on it), the effort
    unlocks: list[str] = Field(default_factory=list)  # questions whose next steps build on it


class Passage(BaseModel):
    """A retrieved chunk as the report keeps and cites it."""

    id: str
    section: str
    text: str
    origin: str = "framework"
    dimensions: list[str] = Field(default_factory=list)
    from_level: int | None = None
    purpose: str = "current"  # current guide, next guide, organization document
    for_dimension: str | None = None
    similarity: float | None = None


class ImprovementArea(BaseModel):
    dimension: str
    name: str
    score: float
    target: float
    gap: float
    priority: Priority
    reason: str


class Strength(BaseModel):
    dimension: str
    name: str
    score: float
    target: float
    at_target: bool  # False: only relatively strong (highest scores while none reached target)
    question: str | None = None
    label: str | None = None
    evidence: str | None = None


class Resources(BaseModel):
    people: str
    technology: str
    budget: str
    timeline: str


class Advice(BaseModel):
    current_level: int  # the level planned from: the lowest of the range while partial
    target_level: int
    guide: str | None  # e.g. "Level 1 to Level 2: Consolidation"
    strengths: list[Strength]
    improvement_areas: list[ImprovementArea]
    short_term: list[Action]
    medium_term: list[Action]
    long_term: list[Action]
    already_in_place: list[Action]  # guide items the answers show are done, left out above
    resources: Resources | None
    expected_outcomes: list[str]
    kpi_level: int
    kpi_tracking: str
    kpis: list[Kpi]
    notes: list[str] = Field(default_factory=list)
    # Set when the actions come from retrieved passages (agent.reporting.grounded).
    grounded: bool = False
    written_by: str | None = None  # "extractive" or the model that wrote them
    passages: list[Passage] = Field(default_factory=list)
    organization_passages: list[Passage] = Field(default_factory=list)
    # The three most important actions, most important first (agent.reporting.priorities).
    first_steps: list[FirstStep] = Field(default_factory=list)


def planning_level(assessment: Assessment) -> int:
    """The level actions are planned from: the level, or while partial the lowest it can be."""
    return assessment.level if assessment.level is not None else assessment.level_range[0]


def _lowest_question(rubric: Rubric, dim: str, answers: Mapping[str, int]) -> str | None:
    answered = [q for q in rubric.questions_in(dim) if q.id in answers]
    return min(answered, key=lambda q: answers[q.id]).id if answered else None


def _reason(rubric: Rubric, d: DimensionScore, answers: Mapping[str, int], wording: ReportWording) -> str:
    dim = rubric.dimension(d.dimension)
    level = min(int(d.target), 5)
    text = wording.areas.reason.format(score=f"{d.score:.1f}", target=f"{d.target:.1f}", level=level,
                                       step=dim.ladder[level])
    qid = _lowest_question(rubric, d.dimension, answers)
    if qid is not None and answers[qid] < 5:
        q = rubric.question(qid)
        text += wording.areas.weakest.format(qid=qid, topic=q.topic, label=q.label(answers[qid]),
                                             next=q.label(answers[qid] + 1))
    return text


def improvement_areas(rubric: Rubric, assessment: Assessment, wording: ReportWording | None = None) -> list[ImprovementArea]:
    """Scored dimensions below target, highest priority first.

    High: gap of 2 or more, or the lowest-scoring dimension (when scores differ at all);
    Medium: gap of 1 or more; Low: any smaller gap. Unscored dimensions are never listed.
    """
    wording = wording or load_report_wording()
    scored = [(d, d.score) for d in assessment.dimensions if d.score is not None]
    lowest = min((s for _, s in scored), default=None)
    spread = len({s for _, s in scored}) > 1
    areas = []
    for d, s in scored:
        if not d.gap or d.gap <= 0:
            continue
        prio: Priority = "High" if d.gap >= 2 else "Medium" if d.gap >= 1 else "Low"
        if spread and s == lowest:
            prio = "High"
        areas.append(
            ImprovementArea(
                dimension=d.dimension, name=d.name, score=s, target=d.target, gap=d.gap,
                priority=prio, reason=_reason(rubric, d, assessment.answers, wording),
            )
        )
    rank = {"High": 0, "Medium": 1, "Low": 2}
    order = {d.id: i for i, d in enumerate(rubric.dimensions)}
    return sorted(areas, key=lambda a: (rank[a.priority], -a.gap, order[a.dimension]))


def strengths(
    rubric: Rubric, assessment: Assessment, answers: Mapping[str, AnswerRecord] | None = None
) -> list[Strength]:
    """Dimensions at or above target; if none, the highest-scoring ones (score above 0)."""
    scored = [(d, d.score) for d in assessment.dimensions if d.score is not None]
    chosen = [(d, s) for d, s in scored if s >= d.target]
    at_target = bool(chosen)
    if not chosen:
        chosen = sorted(((d, s) for d, s in scored if s > 0), key=lambda ds: -ds[1])[:MAX_RELATIVE_STRENGTHS]
    out = []
    for d, s in sorted(chosen, key=lambda ds: -ds[1]):
        answered = [q for q in rubric.questions_in(d.dimension) if q.id in assessment.answers]
        best = max(answered, key=lambda q: assessment.answers[q.id])
        rec = (answers or {}).get(best.id)
        out.append(
            Strength(
                dimension=d.dimension, name=d.name, score=s, target=d.target,
                at_target=at_target, question=best.id, label=best.label(assessment.answers[best.id]),
                evidence=rec.evidence if rec else None,
            )
        )
    return out


def block_chunk_id(guide: Guide, block: Block) -> str:
    """The index chunk id of a guide's week block (see agent.retrieval.framework)."""
    first, last = block.weeks
    return f"transition-l{guide.from_level}-l{guide.to_level}-week-{first}-{last}"


def item_reaches(item: ChecklistItem) -> dict[str, int]:
    """The options a checklist item brings the organization to: the questions of its `satisfied_by`
    (any alternative), each at the highest option an alternative asks for."""
    out: dict[str, int] = {}
    for cond in item.satisfied_by:
        for qid, minimum in cond.items():
            out[qid] = max(out.get(qid, 0), minimum)
    return out


def _action(guide: Guide, block: Block, item: ChecklistItem, answers: Mapping[str, int]) -> Action:
    pending = [q for q in item.questions() if q not in answers] if item.satisfied(answers) is None else []
    return Action(text=item.text, source=guide.source(block), dimensions=item.dimensions, pending=pending,
                  cites=[block_chunk_id(guide, block)], reaches=item_reaches(item), weeks=block.weeks)


def next_option_action(rubric: Rubric, qid: str, answer: int, wording: ReportWording | None = None) -> Action:
    """The questionnaire's next option for one question ("move q12 from … to …"), citing the question
    and its dimension's capability ladder."""
    wording = wording or load_report_wording()
    q = rubric.question(qid)
    dim = rubric.dimension(q.dimension)
    return Action(
        text=wording.plan.next_option_action.format(qid=qid, topic=q.topic, current=q.label(answer),
                                                    next=q.label(answer + 1)),
        source=f"Self-Assessment Tool › Quick Assessment Questionnaire › Question {qid[1:]}; "
        f"Assessment Framework › Capability Dimensions › {dim.name}",
        dimensions=[q.dimension],
        cites=[f"questionnaire-{qid}", f"ladder-{q.dimension}"],
        next_option=True,
        reaches={qid: answer + 1},
    )


def _ladder_actions(rubric: Rubric, d: DimensionScore, target: int, answers: Mapping[str, int],
                    wording: ReportWording) -> list[Action]:
    """For a weak dimension the guide says nothing about: the questionnaire's next option."""
    return [next_option_action(rubric, q.id, answers[q.id], wording)
            for q in rubric.questions_in(d.dimension) if q.id in answers and answers[q.id] < target]


def resources_for(rubric: Rubric, transitions: Transitions, guide: Guide, actions: list[Action],
                  wording: ReportWording | None = None) -> Resources:
    """People, technology, budget and timeline for the step `guide` describes: the model's profile of
    the level it leads to, the platforms the actions set up, and the guide's own estimate."""
    w = (wording or load_report_wording()).resources
    tgt = guide.to_level
    profile = transitions.profile(tgt)
    where = w.profile.format(level=tgt, name=rubric.level(tgt).name)
    lines = "; ".join(profile.lines)
    people = (w.people_given.format(people=profile.people, profile=where) if profile.people
              else w.people_none.format(profile=where, lines=lines))
    budget = (w.budget_given.format(budget=profile.budget, profile=where) if profile.budget
              else w.budget_none.format(level=tgt, profile=where, lines=lines))
    tools = [a.text for a in actions if a.text.startswith(("Deploy", "Evaluate"))]
    technology = w.technology_tools.format(tools="; ".join(tools)) if tools else w.technology_none
    timeline = w.timeline_text.format(timeline=guide.timeline, heading=guide.heading, title=guide.title)
    return Resources(people=people, technology=technology, budget=budget, timeline=timeline)


def select_actions(
    rubric: Rubric,
    transitions: Transitions,
    assessment: Assessment,
    answers: Mapping[str, AnswerRecord] | None = None,
) -> Advice:
    """Everything the report recommends, drawn from the model's guides for this assessment.

    Short-term: open items of the guide from the current to the target level that start by week
    12 and concern a High/Medium-priority improvement area (or the whole organization, in the
    guide's first block); medium-term: the guide's other open items; long-term: open items of the
    next guide, weak dimensions first. A weak dimension the guide has nothing open for gets the
    questionnaire's next option instead. Items the answers show are already in place are left out
    (listed in `already_in_place`). `answers` only adds evidence quotes to strengths.
    """
    wording = load_report_wording()
    cur, tgt = planning_level(assessment), assessment.target_level
    given = assessment.answers
    areas = improvement_areas(rubric, assessment, wording)
    weak = {a.dimension for a in areas}
    # Short-term work goes to the High/Medium areas; Low ones wait unless they are all there is.
    focus = {a.dimension for a in areas if a.priority != "Low"} or weak
    short: list[Action] = []
    medium: list[Action] = []
    long: list[Action] = []
    done: list[Action] = []
    notes: list[str] = []
    guide = transitions.guide(cur)
    if guide is not None:
        for block in guide.blocks:
            for item in block.items:
                act = _action(guide, block, item, given)
                if item.satisfied(given) is True:
                    done.append(act)
                elif block.weeks[0] <= SHORT_TERM_LAST_WEEK and (
                    focus & set(item.dimensions) or ("general" in item.dimensions and block is guide.blocks[0])
                ):
                    short.append(act.model_copy(update={"term": "short"}))
                else:
                    medium.append(act.model_copy(update={"term": "medium"}))
        for d in assessment.dimensions:
            if d.dimension in weak and not any(d.dimension in a.dimensions for a in short + medium):
                term: Term = "short" if d.dimension in focus else "medium"
                (short if term == "short" else medium).extend(
                    a.model_copy(update={"term": term}) for a in _ladder_actions(rubric, d, tgt, given, wording)
                )
        nxt = transitions.guide(tgt) if tgt > cur else None
        if nxt is not None:
            open_next = [
                _action(nxt, b, it, given)
                for b in nxt.blocks for it in b.items if it.satisfied(given) is not True
            ]
            done += [
                _action(nxt, b, it, given)
                for b in nxt.blocks for it in b.items if it.satisfied(given) is True
            ]
            long = [a.model_copy(update={"term": "long"})
                    for a in sorted(open_next, key=lambda a: not (weak & set(a.dimensions)))]
    else:
        notes.append(wording.notes.top)
    for d in assessment.dimensions:
        if d.score is None:
            notes.append(wording.notes.unscored.format(name=d.name, questions=", ".join(d.missing)))
    if assessment.level is None:
        notes.append(wording.notes.planned_from.format(level=cur))
    kpis = transitions.kpis_for(tgt)
    return Advice(
        current_level=cur,
        target_level=tgt,
        guide=f"{guide.heading}: {guide.title}" if guide else None,
        strengths=strengths(rubric, assessment, answers),
        improvement_areas=areas,
        short_term=short,
        medium_term=medium,
        long_term=long,
        already_in_place=done,
        resources=resources_for(rubric, transitions, guide, short + medium, wording) if guide else None,
        expected_outcomes=list(guide.success_criteria) if guide else [],
        kpi_level=tgt,
        kpi_tracking=kpis.tracking,
        kpis=list(kpis.metrics),
        notes=notes,
    )
