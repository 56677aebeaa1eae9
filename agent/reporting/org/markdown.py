"""An organization's round and its history as Markdown (`org show`, `org history`). Everything the
respondents said is escaped (agent.common.safe_text)."""

from __future__ import annotations

from agent.common.safe_text import md_cell, md_text
from agent.core.aggregation import QuestionAggregate, RespondentAnswer, RoundAggregate
from agent.core.history import RoundChange
from agent.core.rubric import Rubric
from agent.core.scoring import level_text
from agent.reporting.org.view import OrgHistory, OrgRoundView
from agent.reporting.result import ATTRIBUTION


def round_level(rubric: Rubric, agg: RoundAggregate) -> str:
    """'Level 2 (Organized), 24/60', with the range the disagreements allow when it is wider."""
    text = f"{level_text(rubric, agg.assessment)}, {agg.assessment.total}/60"
    if agg.disputed_range:
        lo, hi = agg.disputed_range
        text += f" — the disagreements allow Level {lo}–{hi}"
    return text


def _who(a: RespondentAnswer) -> str:
    return a.respondent + (f" ({a.role})" if a.role else "")


def _said(answers: list[RespondentAnswer]) -> str:
    return "; ".join(f"{_who(a)}: {a.score} — “{a.quote}”" if a.quote else f"{_who(a)}: {a.score}" for a in answers)


def _aggregate_cell(q: QuestionAggregate) -> str:
    if q.median is None:
        return "not answered"
    spread = f" (range {q.low}–{q.high})" if q.low != q.high else ""
    if q.settlement:
        return f"**{q.settlement.score}** settled (median {q.median}{spread})"
    return f"**{q.median}**{spread}" + (" ⚠" if q.disagreement else "")


def render_round(rubric: Rubric, view: OrgRoundView) -> str:
    """The round's report: level, respondents, disagreements, per-question answers, change, actions."""
    agg = view.aggregate
    out = [f"# {md_text(view.organization.name, newlines=False)} — AI Operations Maturity, round {view.round}", ""]
    out.append(f"**{round_level(rubric, agg)}** · {len(view.counting)} respondents · generated {view.generated_on}")
    if view.change:
        out += ["", f"**{md_text(view.change.headline(), newlines=False)}**"]
    out += ["", f"_How answers are combined: {agg.rule}_", "", "## Dimensions", "",
            "| Dimension | Score | Target |" + (" Previous round |" if view.previous else ""),
            "|---|---|---|" + ("---|" if view.previous else "")]
    prev = {d.dimension: d for d in view.previous.assessment.dimensions} if view.previous else {}
    for d in agg.assessment.dimensions:
        row = f"| {d.name} | {'—' if d.score is None else d.score} | {d.target} |"
        if view.previous:
            before = prev[d.dimension].score
            row += f" {'—' if before is None else before} |"
        out.append(row)
    out += ["", "## Respondents", "", "| Respondent | Role | Answered | Phase | Session |", "|---|---|---|---|---|"]
    for p in view.participations:
        asked = 12 if not p.scope else sum(len(rubric.questions_in(d)) for d in p.scope)
        status = " (superseded by a later session)" if p.superseded else ""
        out.append(f"| {md_cell(p.who)} | {md_cell(p.role or '—')} | {p.answered}/{asked} | {p.phase}{status} "
                   f"| {md_cell(p.session)} |")
    out += ["", "## Disagreements", ""]
    if not agg.disagreements:
        out.append("Respondents differ by at most one option on every question.")
    for q in agg.disagreements:
        out.append(f"- **{q.question} {q.topic}** (range {q.low}–{q.high}): {md_text(_said(q.answers), newlines=False)}")
        if q.settlement:
            s = q.settlement
            out.append(f"  - Settled at **{s.score}** by {md_text(s.by, newlines=False)} on {s.at[:10]}: "
                       f"{md_text(s.note, newlines=False)}")
        else:
            out.append(f"  - Not settled: `aiops-assess org settle {view.organization.slug} {q.question} SCORE "
                       f"--round {view.round} --note \"why\"`")
    out += ["", "## Answers", "", "| Question | Aggregate | What each respondent said |", "|---|---|---|"]
    for q in agg.questions:
        out.append(f"| {q.question} {q.topic} | {_aggregate_cell(q)} | {md_cell(_said(q.answers)) or '—'} |")
    if view.change:
        out += ["", *render_change(view.change)]
    out += ["", "## What to do next", ""]
    adv = view.advice
    if adv.guide:
        out.append(f"Guide: {adv.guide}")
        out.append("")
    for a in [*adv.short_term, *adv.medium_term][:10]:
        out.append(f"- [ ] {md_text(a.text, newlines=False)} — _{md_text(a.source, newlines=False)}_")
    out += ["", "---", ATTRIBUTION, ""]
    return "\n".join(out)


def render_change(change: RoundChange) -> list[str]:
    """What moved since the round before, with quotes, and the guide's progress."""
    out = [f"## Since {change.previous}", "", f"Total {change.total_before} → {change.total_after}."]
    for m in change.moved:
        out.append(f"- **{m.question} {m.topic}: {m.before if m.before is not None else '—'} → "
                   f"{m.after if m.after is not None else '—'}**")
        if m.said_before:
            out.append(f"  - then: {md_text(_said(m.said_before), newlines=False)}")
        if m.said_now:
            out.append(f"  - now: {md_text(_said(m.said_now), newlines=False)}")
    g = change.progress
    if g:
        out += ["", f"Progress on the guide {g.heading} ({g.title}) that {change.previous} pointed to: "
                f"{len(g.done_before)} → {len(g.done_now)} of {g.items_total} checklist items shown done by the "
                f"answers; Level {g.target_level} {'reached' if g.target_reached else 'not reached yet'}."]
        for item in g.newly_done:
            out.append(f"  - [x] {item} (new since {change.previous})")
        out.append("  - Success criteria (the seed's; check them with the team): " + "; ".join(g.success_criteria))
    return out


def render_history(rubric: Rubric, history: OrgHistory) -> str:
    """Every round: level, total and dimension scores, and what changed between rounds."""
    dims = [d.name for d in rubric.dimensions]
    out = [f"# {md_text(history.organization.name, newlines=False)} — assessment history", "",
           "| Round | Level | Total | Respondents | " + " | ".join(dims) + " |",
           "|---|---|---|---|" + "---|" * len(dims)]
    for r in history.rounds:
        a = r.aggregate.assessment
        scores = " | ".join("—" if d.score is None else str(d.score) for d in a.dimensions)
        level = str(a.level) if a.level is not None else f"{a.level_range[0]}–{a.level_range[1]}"
        if r.aggregate.disputed_range:
            lo, hi = r.aggregate.disputed_range
            level += f" (disagreements: {lo}–{hi})"
        out.append(f"| {r.round} | {level} | {a.total}/60 | {r.respondents} | {scores} |")
    for change in history.changes:
        out += ["", f"**{md_text(change.headline(), newlines=False)}**", "", *render_change(change)[2:]]
    out += ["", "---", ATTRIBUTION, ""]
    return "\n".join(out)
