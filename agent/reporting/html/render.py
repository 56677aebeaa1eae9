"""The HTML reports: a session's (the content and wording of agent.reporting.markdown) and an
organization's round (agent.reporting.org.view). One self-contained file each: the stylesheet and
the chart are inside it, and nothing is fetched (no scripts, links, images or fonts).

Python prepares plain values (texts, numbers, lists); the templates in templates/ lay them out. The
environment escapes every value (autoescape), so what people typed — quotes, names, notes — shows as
text whatever it contains; it also passes through `printable` (no control or bidi-override
characters). The only markup handed to a template is the chart's SVG, which matplotlib writes and
escapes itself, and the stylesheet read from templates/report.css.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from agent.common.providers import is_offline
from agent.common.safe_text import printable
from agent.core.aggregation import QuestionAggregate, RespondentAnswer
from agent.core.rubric import Rubric
from agent.core.scoring import Assessment, DimensionScore, level_text
from agent.core.transitions import Transitions
from agent.reporting.advice import Action, Advice
from agent.reporting.html.chart import dimension_chart
from agent.reporting.markdown import num, partial_banner
from agent.reporting.result import ATTRIBUTION, AssessmentResult, advice_of
from agent.reporting.summary_text import action_groups, dimension_of, gap_text, horizons, plan_intro, situation
from agent.reporting.wording import ReportWording, load_report_wording, lower_first

if TYPE_CHECKING:  # the view module imports the store (SQLAlchemy): not needed to render a session
    from agent.reporting.org.view import OrgRoundView

TEMPLATES = Path(__file__).resolve().parent / "templates"
CHOSEN = "chosen by the respondent"  # an answer no model read: picked from numbered options


# -- the environment ----------------------------------------------------------------------------


def said(text: object) -> str:
    """Someone's words (or anything that may quote them) on one line, without control characters;
    escaping is the template's (autoescape)."""
    return printable("" if text is None else text, newlines=False).strip()


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["said"] = said
    env.filters["num"] = num
    return env


@lru_cache(maxsize=1)
def stylesheet() -> Markup:
    """templates/report.css, to inline in a <style> element (it must not be able to end it)."""
    css = (TEMPLATES / "report.css").read_text(encoding="utf-8")
    if "</" in css:
        raise ValueError("report.css must not contain '</' (it is placed inside a <style> element)")
    return Markup(css)


def _render(template: str, **context: object) -> str:
    return environment().get_template(template).render(css=stylesheet(), attribution=ATTRIBUTION, **context)


# -- what both reports show: the plan -----------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One of the three things to do first."""

    text: str
    name: str  # the dimension's name
    why: list[tuple[str, str]]  # (label, text): why, order, effort
    source: str


@dataclass(frozen=True)
class Item:
    """One checklist line of the plan."""

    text: str
    source: str
    first: str = ""  # "first step 2" when it is one of the three
    note: str = ""  # "may already be in place: q3 not answered"


@dataclass(frozen=True)
class Group:
    title: str
    items: list[Item]


@dataclass(frozen=True)
class Horizon:
    title: str
    groups: list[Group]
    empty: str


@dataclass(frozen=True)
class Plan:
    heading_first: str
    first_intro: str
    first_empty: str
    steps: list[Step]
    heading: str
    intro: str
    horizons: list[Horizon]
    in_place: str
    documents_heading: str = ""
    documents: list[tuple[str, str]] = field(default_factory=list)  # (section, excerpt) of their documents


def _step_text(a: Action, w: ReportWording) -> str:
    return f"{w.first.next_option}: {lower_first(a.text)}" if a.next_option else a.text


def _groups(rubric: Rubric, actions: list[Action], adv: Advice, w: ReportWording) -> list[Group]:
    """One horizon's actions by dimension (agent.reporting.summary_text.action_groups)."""
    groups = []
    for title, mine in action_groups(rubric, actions, adv, w):
        items = []
        for a in mine:
            marks = [w.plan.first_mark.format(n=i) for i, s in enumerate(adv.first_steps, 1) if s.action == a]
            note = w.plan.pending.format(questions=", ".join(a.pending)) if a.pending else ""
            items.append(Item(text=_step_text(a, w), source=a.source, first=marks[0] if marks else "", note=note))
        groups.append(Group(title=title, items=items))
    return groups


def _plan(rubric: Rubric, a: Assessment, adv: Advice, w: ReportWording) -> Plan:
    f, p = w.first, w.plan
    steps = [Step(text=_step_text(s.action, w), name=s.name, source=s.action.source,
                  why=list(zip((f.why_label, f.order_label, f.effort_label), s.why, strict=False)))
             for s in adv.first_steps]
    intro = plan_intro(adv, w)
    horizons_ = [Horizon(title=title, groups=_groups(rubric, actions, adv, w), empty=empty)
                 for title, actions, empty in horizons(a, adv, w)]
    in_place = p.in_place.format(items="; ".join(x.text for x in adv.already_in_place)) if adv.already_in_place else ""
    documents = [(x.section + (f" (for {x.for_dimension})" if x.for_dimension else ""), x.text)
                 for x in adv.organization_passages]
    return Plan(heading_first=w.headings.first, first_intro=f.intro,
                first_empty=f.top if adv.guide is None else f.none, steps=steps,
                heading=w.headings.actions, intro=intro, horizons=horizons_, in_place=in_place,
                documents_heading=w.headings.organization_documents, documents=documents)


@dataclass(frozen=True)
class DimensionRow:
    name: str
    current: str
    target: str
    gap: str
    previous: str = ""


def _current_cell(d: DimensionScore, w: ReportWording) -> str:
    if d.score is not None and d.missing:
        return w.scores.only.format(score=num(d.score), questions=", ".join(d.answered))
    return num(d.score)


def _chart(a: Assessment, previous: Assessment | None = None) -> Markup:
    svg = dimension_chart([d.name for d in a.dimensions], [d.score for d in a.dimensions],
                          [d.target for d in a.dimensions],
                          [d.score for d in previous.dimensions] if previous else None)
    return Markup(svg)  # matplotlib's own SVG, its text escaped by matplotlib


def _total_text(a: Assessment, w: ReportWording) -> str:
    x = w.appendix
    return x.total.format(total=a.total) if a.complete else \
        x.total_partial.format(total=a.total, answered=len(a.answers), most=a.max_total)


def _target_text(a: Assessment, w: ReportWording) -> str:
    return f"Level {a.target_level} ({a.target_level_name})" + (w.header.provisional if a.level is None else "")


def _resources(a: Assessment, adv: Advice, w: ReportWording) -> dict[str, object]:
    r = w.resources
    rows = [(r.people, adv.resources.people), (r.technology, adv.resources.technology),
            (r.budget, adv.resources.budget), (r.timeline, adv.resources.timeline)] if adv.resources else []
    return {
        "heading": w.headings.resources, "rows": rows, "none": r.none,
        "outcomes_heading": w.headings.outcomes,
        "outcomes_intro": w.outcomes.intro.format(level=a.target_level, name=a.target_level_name)
        if adv.expected_outcomes else w.outcomes.top,
        "outcomes": adv.expected_outcomes,
        "kpis_heading": w.headings.kpis.format(level=adv.kpi_level), "kpi_columns": w.kpis.columns,
        "kpis": [(k.name, k.target, k.frequency) for k in adv.kpis],
        "tracking": w.kpis.tracking.format(tracking=adv.kpi_tracking),
    }


# -- a session ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class EvidenceRow:
    qid: str
    topic: str
    question: str
    label: str  # the option chosen ("not answered" when none)
    score: str
    quote: str
    read: str  # how it was read: source, model, confidence


def _how_read(source: str | None, model: str | None, confidence: float | None = None) -> str:
    parts = [source or "", model or CHOSEN]
    if confidence is not None:
        parts.append(f"confidence {confidence:.2f}")
    return " · ".join(p for p in parts if p)


def render_session_html(result: AssessmentResult, rubric: Rubric, transitions: Transitions) -> str:
    """A session's report as one HTML document (the content of the Markdown report)."""
    w = load_report_wording()
    a = result.assessment
    adv = advice_of(rubric, transitions, result)
    model_wrote = bool(result.summary and result.summary.strip() and not is_offline(result.model))
    paragraph = result.summary.strip() if model_wrote and result.summary else \
        situation(rubric, a, result.organization, adv, w, said)
    start = w.summary.first.format(items="; ".join(lower_first(s.action.text) for s in adv.first_steps)) \
        if adv.first_steps else ""
    evidence = []
    for q in rubric.questions:
        rec = result.answers.get(q.id)
        if q.id in a.answers:
            evidence.append(EvidenceRow(qid=q.id, topic=q.topic, question=q.text, label=q.label(a.answers[q.id]),
                                        score=f"{a.answers[q.id]}/5", quote=rec.evidence if rec else "",
                                        read=_how_read(rec.source, rec.model, rec.confidence) if rec else ""))
        else:
            evidence.append(EvidenceRow(qid=q.id, topic=q.topic, question=q.text, label=w.evidence.not_answered,
                                        score="—", quote="", read=""))
    x, u = w.appendix, result.usage
    level_line = (x.level.format(level=level_text(rubric, a)) if a.level is not None else
                  x.level_partial.format(level=level_text(rubric, a), start=adv.current_level))
    appendix = [_total_text(a, w), level_line,
                x.finished_early.format(answer=x.answer_yes if result.finished_early else x.answer_no),
                x.session.format(session=result.session), x.model.format(model=result.model),
                x.calls.format(calls=u.model_calls),
                x.tokens.format(prompt=u.prompt_tokens, completion=u.completion_tokens),
                x.cost.format(cost=u.cost_usd), x.rubric.format(version=result.rubric_version)]
    strengths = []
    for s in adv.strengths:
        strengths.append({
            "name": s.name, "score": f"{s.score:.1f}",
            "kind": w.strengths.at_target if s.at_target else w.strengths.relative,
            "question": f"{s.question} ({rubric.question(s.question).topic})" if s.question else "",
            "label": s.label or "", "quote": s.evidence or ""})
    planned = adv.short_term + adv.medium_term + adv.long_term
    areas = []
    for area in adv.improvement_areas:
        sections = [sec for act in planned if dimension_of(act) == area.dimension for sec in act.source.split("; ")]
        areas.append({"name": area.name, "priority": area.priority, "reason": area.reason,
                      "see": "; ".join(dict.fromkeys(sections))})
    return _render(
        "session.html.j2", w=w, result=result, a=a,
        organization=result.organization, level=level_text(rubric, a), target=_target_text(a, w),
        gap=gap_text(rubric, a, adv, w), total=_total_text(a, w),
        partial=None if a.complete else partial_banner(rubric, a, result.scope),
        chart=_chart(a), summary=paragraph, summary_by_model=model_wrote, start=start,
        dimensions=[DimensionRow(name=d.name, current=_current_cell(d, w), target=num(d.target), gap=num(d.gap))
                    for d in a.dimensions],
        strengths=strengths, areas=areas, plan=_plan(rubric, a, adv, w), resources=_resources(a, adv, w),
        evidence=evidence, appendix=appendix, notes=[*adv.notes, *result.notes],
        passages=[(p.id, p.section) for p in adv.passages])


# -- an organization's round ---------------------------------------------------------------------


@dataclass(frozen=True)
class Respondent:
    name: str
    role: str
    answered: str  # "7/12", or "3/4" of their scope
    scope: str  # the dimensions they were asked about ("" for all)
    phase: str
    superseded: bool
    session: str


@dataclass(frozen=True)
class Said:
    """One respondent's answer to a question, with their words."""

    respondent: str
    role: str
    score: int
    label: str
    quote: str
    read: str


@dataclass(frozen=True)
class QuestionView:
    qid: str
    topic: str
    text: str
    answers: list[Said]
    median: str
    range: str
    used: str  # the score the round counts (settled or the median), with its label
    disagreement: bool
    settlement: dict[str, str] | None


def _when(iso: str) -> str:
    try:
        return datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return iso


def _said_list(rubric: Rubric, qid: str, answers: list[RespondentAnswer]) -> list[Said]:
    q = rubric.question(qid)
    return [Said(respondent=x.respondent, role=x.role or "", score=x.score, label=q.label(x.score), quote=x.quote,
                 read=_how_read(x.source, x.model)) for x in answers]


def _question_view(rubric: Rubric, agg: QuestionAggregate) -> QuestionView:
    q = rubric.question(agg.question)
    s = agg.settlement
    used = agg.score
    return QuestionView(
        qid=agg.question, topic=agg.topic, text=q.text, answers=_said_list(rubric, agg.question, agg.answers),
        median="—" if agg.median is None else str(agg.median),
        range="—" if agg.low is None else (str(agg.low) if agg.low == agg.high else f"{agg.low}–{agg.high}"),
        used="—" if used is None else f"{used} ({q.label(used)})", disagreement=agg.disagreement,
        settlement=None if s is None else {"score": str(s.score), "label": q.label(s.score), "note": s.note,
                                           "by": s.by, "at": _when(s.at)})


def _respondents(rubric: Rubric, view: OrgRoundView) -> list[Respondent]:
    out = []
    for p in view.participations:
        if p.scope:
            asked = sum(len(rubric.questions_in(d)) for d in p.scope)
            scope = ", ".join(rubric.dimension(d).name for d in p.scope if d in {x.id for x in rubric.dimensions})
        else:
            asked, scope = len(rubric.questions), ""
        out.append(Respondent(name=p.who, role=p.role or "", answered=f"{p.answered}/{asked}", scope=scope,
                              phase=p.phase, superseded=p.superseded, session=p.session))
    return out


def _range_text(span: tuple[int, int]) -> str:
    return f"Level {span[0]}" if span[0] == span[1] else f"Level {span[0]}–{span[1]}"


def render_org_html(view: OrgRoundView, rubric: Rubric, transitions: Transitions) -> str:
    """An organization's round as one HTML document: level and total from the aggregates, the rule,
    who answered, where they disagree (and how it was settled), every answer in their own words, the
    plan, and what changed since the round before."""
    w = load_report_wording()
    agg = view.aggregate
    a, adv = agg.assessment, view.advice
    prev = view.previous.assessment if view.previous else None
    dims = [DimensionRow(name=d.name, current=_current_cell(d, w), target=num(d.target), gap=num(d.gap),
                         previous=num(prev.dimensions[i].score) if prev else "")
            for i, d in enumerate(a.dimensions)]
    questions = [_question_view(rubric, q) for q in agg.questions]
    change = view.change
    history = None
    if change is not None:
        history = {
            "previous": change.previous,
            "level": f"{_range_text(change.level_range_before) if change.level_before is None else change.level_before}"
                     f" → {_range_text(change.level_range_after) if change.level_after is None else change.level_after}",
            "total": f"{change.total_before} → {change.total_after}",
            "dimensions": [(d.name, num(d.before), num(d.after), d.moved) for d in change.dimensions],
            "moved": [{"qid": m.question, "topic": m.topic, "text": rubric.question(m.question).text,
                       "before": "—" if m.before is None else str(m.before),
                       "after": "—" if m.after is None else str(m.after),
                       "said_before": _said_list(rubric, m.question, m.said_before),
                       "said_now": _said_list(rubric, m.question, m.said_now)} for m in change.moved],
            "progress": change.progress,
        }
    counting = view.counting
    return _render(
        "org.html.j2", w=w, view=view, organization=view.organization.name, round=view.round,
        rounds=view.rounds, generated_on=view.generated_on, rubric_version=view.rubric_version,
        headline=change.headline() if change else None,
        level=level_text(rubric, a), target=_target_text(a, w), total=_total_text(a, w),
        level_range=_range_text(agg.disputed_range) if agg.disputed_range else None,
        rule=agg.rule, chart=_chart(a, prev), dimensions=dims, has_previous=prev is not None,
        previous_round=change.previous if change else "Previous",
        respondents=_respondents(rubric, view), counting=len(counting),
        disagreements=[q for q in questions if q.disagreement], questions=questions,
        plan=_plan(rubric, a, adv, w), resources=_resources(a, adv, w), history=history,
        gap=gap_text(rubric, a, adv, w), situation=situation(rubric, a, view.organization.name, adv, w, said))
