"""The report's shared wording, from knowledge/report.yaml: the "Gap" line, the situation paragraph,
the plan's introduction, horizons and groups. Shared by the Markdown and the HTML report; `show` renders the organization's
name as each format needs (escaped for Markdown, plain for an autoescaping template)."""

from __future__ import annotations

from collections.abc import Callable

from agent.core.rubric import Rubric
from agent.core.scoring import Assessment
from agent.reporting.advice import Action, Advice, ImprovementArea
from agent.reporting.wording import ReportWording, lower_first, sentence_start


def gap_text(rubric: Rubric, a: Assessment, advice: Advice, w: ReportWording) -> str:
    """How far the next level is, and the largest gaps."""
    if advice.guide is None:
        return w.gap.top
    band = next(b for b in rubric.bands if b.level == a.target_level)
    largest = max((d.gap or 0 for d in a.dimensions), default=0)
    big = [d for d in a.dimensions if largest and d.gap == largest]
    scored = [d for d in a.dimensions if d.score is not None]
    if len(big) == len(scored) > 1:
        gaps = w.gap.even.format(gap=f"{largest:.1f}")
    else:
        gaps = ", ".join(w.gap.item.format(name=d.name, gap=f"{d.gap:.1f}") for d in big[:3]) or w.gap.none
    if a.level is None:
        lo, hi = a.level_range
        return w.gap.partial.format(missing=len(a.missing), lo=lo, hi=hi, target=a.target_level,
                                    target_name=a.target_level_name, gaps=gaps)
    return w.gap.complete.format(need=max(0, band.min - a.total), target=a.target_level,
                                 target_name=a.target_level_name, total=a.total, start=band.min, gaps=gaps)


def weakest(rubric: Rubric, a: Assessment, dim: str) -> str | None:
    """The dimension's lowest answered question."""
    answered = [q.id for q in rubric.questions_in(dim) if q.id in a.answers]
    return min(answered, key=a.answers.__getitem__) if answered else None


def situation(rubric: Rubric, a: Assessment, organization: str | None, advice: Advice, w: ReportWording,
              show: Callable[[str], str]) -> str:
    """Where the organization stands, what already works and the largest gaps, in plain words."""
    s = w.summary
    who = show(organization) if organization else s.organization
    band = next((b for b in rubric.bands if b.level == a.target_level), None)
    if a.level is None:
        lo, hi = a.level_range
        head = s.partial.format(answered=len(a.answers), who=who, lo=lo, hi=hi, framework=w.framework,
                                missing=len(a.missing))
    elif advice.guide is None:
        head = s.top.format(who=who, level_name=a.level_name, framework=w.framework, total=a.total)
    else:
        head = s.complete.format(who=who, level=a.level, level_name=a.level_name, framework=w.framework,
                                 total=a.total, target=a.target_level, target_name=a.target_level_name,
                                 start=band.min if band else "")
    parts = [head if organization else sentence_start(head)]  # their name as they wrote it
    if advice.strengths:
        items = "; ".join(s.working_item.format(topic=rubric.question(x.question).topic, label=x.label)
                          for x in advice.strengths if x.question and x.label)
        parts.append((s.working if advice.strengths[0].at_target else s.working_relative).format(items=items))
    areas = advice.improvement_areas
    largest = [x for x in areas if x.gap == max(y.gap for y in areas)] if areas else []
    if len(largest) == len([d for d in a.dimensions if d.score is not None]) > 1:
        parts.append(s.even_gaps.format(gap=f"{largest[0].gap:.1f}", target=a.target_level))
    elif largest:
        parts.append(s.gaps.format(items="; ".join(_gap_item(rubric, a, x, w) for x in largest[:3])))
    elif advice.guide is not None and a.level is not None:
        parts.append(s.no_gaps.format(target=a.target_level))
    return " ".join(parts)


def _gap_item(rubric: Rubric, a: Assessment, area: ImprovementArea, w: ReportWording) -> str:
    qid = weakest(rubric, a, area.dimension)
    q = rubric.question(qid) if qid else None
    return w.summary.gap_item.format(name=area.name, score=f"{area.score:.1f}", target=f"{area.target:.1f}",
                                     topic=lower_first(q.topic) if q else "", label=q.label(a.answers[q.id]) if q else "")


# -- the plan --------------------------------------------------------------------------------------


def plan_intro(advice: Advice, w: ReportWording) -> str:
    """The sentence before the plan: where its actions come from and how they are grouped."""
    p = w.plan
    if advice.grounded:
        intro = p.extractive if advice.written_by == "extractive" else p.written.format(model=advice.written_by)
    else:
        intro = p.guide.format(guide=advice.guide) if advice.guide else ""
    planned = advice.short_term + advice.medium_term + advice.long_term
    if any(x.next_option for x in planned):
        intro += " " + p.next_option_note
    if planned:
        intro += " " + p.by_dimension
    return intro.strip()


def horizons(a: Assessment, advice: Advice, w: ReportWording) -> list[tuple[str, list[Action], str]]:
    """(heading, actions, what to say when there are none) for the short, medium and long term."""
    p = w.plan
    nxt = a.target_level if a.target_level < 5 else None
    empty_long = p.empty_long.format(start=nxt, end=(nxt or 0) + 1) if nxt and nxt > advice.current_level \
        else p.empty_long_top
    return [(w.headings.short, advice.short_term, p.empty_short),
            (w.headings.medium, advice.medium_term, p.empty_medium),
            (w.headings.long, advice.long_term, empty_long)]


def dimension_of(a: Action) -> str:
    return a.dimensions[0] if a.dimensions else "general"


def action_groups(rubric: Rubric, actions: list[Action], advice: Advice, w: ReportWording) -> list[tuple[str, list[Action]]]:
    """One horizon's actions grouped by dimension, titled, in the order of their most important action,
    then what concerns the whole organization."""
    # The actions come most important first, so a dimension's place is that of its first action
    # (the gateway before cost when cost's first steps need the gateway); organization-wide last.
    order = [d for d in dict.fromkeys(dimension_of(a) for a in actions) if d != "general"] + ["general"]
    areas = {x.dimension: x for x in advice.improvement_areas}
    groups = []
    for dim in order:
        mine = [a for a in actions if dimension_of(a) == dim]
        if not mine:
            continue
        if dim == "general":
            title = w.plan.general
        elif dim in areas:
            title = w.plan.group.format(name=areas[dim].name, priority=areas[dim].priority)
        else:
            title = w.plan.group_other.format(name=rubric.dimension(dim).name)
        groups.append((title, mine))
    return groups
