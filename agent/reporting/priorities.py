"""Which actions come first, and why: the report's plan, made to lead with decisions.

Pure functions over the rubric, the guides, a scored assessment and its advice (from the guides or
from retrieved passages). `plan_advice` makes sure every dimension with a gap has an action for its
weakest answer (from a retrieved passage where one has it, else the questionnaire's next option,
marked as such), keeps organization-wide items out of the dimensions' lists, orders the plan by
importance and picks the three things to do first, each with why it matters for this organization:

1. actions nothing else has to come before (`prerequisites` in knowledge/report.yaml: gateway before
   cost controls, tracing before evaluation, ...), short-term before medium-term;
2. the highest priority of the area they serve — or of the areas whose next steps build on them;
3. the most next steps that build on them; the largest gap on the question they move;
4. a guide item before the questionnaire's next option, and earlier weeks of the guide first.

The three come from three different dimensions when the plan has them. Applying `plan_advice` again
changes nothing, so advice stored by an older version is planned the same way when it is read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from agent.core.rubric import Rubric
from agent.core.schemas import AnswerRecord
from agent.core.scoring import Assessment
from agent.core.transitions import Block, ChecklistItem, Guide, Transitions
from agent.reporting.advice import (
    SHORT_TERM_LAST_WEEK,
    Action,
    Advice,
    FirstStep,
    ImprovementArea,
    Passage,
    Term,
    block_chunk_id,
    item_reaches,
    next_option_action,
    planning_level,
    resources_for,
)
from agent.reporting.grounded import repeats
from agent.reporting.wording import (
    FirstWording,
    Prerequisite,
    ReportWording,
    load_report_wording,
    lower_first,
    sentence_start,
)

FIRST_STEPS = 3
GENERAL = "general"
_PRIORITY_RANK = {"High": 0, "Medium": 1, "Low": 2}
_NOT_AN_AREA = 3
# A quote in a first step's reason is cut at a word after this many characters (the evidence
# section has it in full).
_QUOTE_CHARS = 160


def _blocks(transitions: Transitions) -> dict[str, tuple[Guide, Block]]:
    """Every guide block by its index chunk id."""
    return {block_chunk_id(g, b): (g, b) for g in transitions.guides for b in g.blocks}


def _question_of(action: Action) -> str | None:
    """The question a next-option action moves (its first citation is `questionnaire-qN`)."""
    cite = next((c for c in action.cites if c.startswith("questionnaire-")), None)
    return cite.removeprefix("questionnaire-") if cite else None


def _item(action: Action, blocks: Mapping[str, tuple[Guide, Block]]) -> tuple[Block, ChecklistItem | None] | None:
    """The guide block an action cites and the checklist item it is (or restates, when a model wrote it)."""
    for cid in action.cites:
        if cid not in blocks:
            continue
        block = blocks[cid][1]
        exact = next((it for it in block.items if it.text == action.text), None)
        if exact is None:
            same = repeats(action.text, [it.text for it in block.items])
            exact = next((it for it in block.items if it.text == same), None)
        return block, exact
    return None


def _annotate(rubric: Rubric, action: Action, answers: Mapping[str, int],
              blocks: Mapping[str, tuple[Guide, Block]], wording: ReportWording) -> Action:
    """The action with what the plan needs to know about it: the options it reaches, its weeks, and
    whether it is organization-wide (a `general` guide item is not about the dimension it was
    retrieved for, so it is not listed under it)."""
    qid = _question_of(action)
    if qid is not None and qid in answers and answers[qid] < 5:
        fresh = next_option_action(rubric, qid, answers[qid], wording)
        return fresh.model_copy(update={"term": action.term, "pending": action.pending})
    found = _item(action, blocks)
    if found is None:
        return action
    block, item = found
    update: dict = {"weeks": block.weeks}
    if item is not None:
        reaches = item_reaches(item)
        update["reaches"] = reaches
        if item.dimensions == [GENERAL]:
            update["dimensions"] = [GENERAL]
        else:
            # Listed under the dimension of the answer it moves ("Implement intelligent model routing",
            # gateway and cost, moves q1: gateway), whatever area it was retrieved for.
            moved = [d for d in (rubric.question(q).dimension for q in reaches) if d in item.dimensions]
            if moved:
                update["dimensions"] = list(dict.fromkeys([moved[0], *(d for d in item.dimensions if d != GENERAL)]))
    return action.model_copy(update=update)


def _moves(action: Action, qid: str, answers: Mapping[str, int]) -> bool:
    return action.reaches.get(qid, 0) > answers.get(qid, 5)


def _cover(rubric: Rubric, assessment: Assessment, advice: Advice, planned: list[Action],
           blocks: Mapping[str, tuple[Guide, Block]], wording: ReportWording) -> list[Action]:
    """Actions for the weakest answers of each dimension with a gap that no planned action moves:
    an open item of a retrieved passage of the current guide about that question, else the
    questionnaire's next option. Every weakest answer counts (tied ones too), so sensitive data
    gets its own step even when the guide has one for access control."""
    answers, cur = assessment.answers, planning_level(assessment)
    focus = {a.dimension for a in advice.improvement_areas if a.priority != "Low"} or {
        a.dimension for a in advice.improvement_areas}
    retrieved = [p for p in advice.passages if p.origin == "framework" and p.id in blocks
                 and blocks[p.id][0].from_level == cur]
    added: list[Action] = []
    for area in advice.improvement_areas:
        scores = {q.id: answers[q.id] for q in rubric.questions_in(area.dimension) if q.id in answers}
        if not scores:
            continue
        weakest = min(scores.values())
        for qid in [q for q, s in scores.items() if s == weakest and s < assessment.target_level]:
            if any(_moves(a, qid, answers) for a in [*planned, *added]):
                continue
            term: Term = "short" if area.dimension in focus else "medium"
            added.append(_from_passages(area, qid, retrieved, blocks, answers, [*planned, *added], focus)
                         or next_option_action(rubric, qid, weakest, wording).model_copy(update={"term": term}))
    return added


def _from_passages(area: ImprovementArea, qid: str, retrieved: Sequence[Passage],
                   blocks: Mapping[str, tuple[Guide, Block]], answers: Mapping[str, int],
                   planned: Sequence[Action], focus: set[str]) -> Action | None:
    """An open checklist item about `qid` in a retrieved block, as an action citing that passage."""
    texts = {a.text for a in planned}
    for p in retrieved:
        block = blocks[p.id][1]
        for item in block.items:
            if (area.dimension in item.dimensions and item_reaches(item).get(qid, 0) > answers[qid]
                    and item.satisfied(answers) is not True and item.text not in texts):
                short = block.weeks[0] <= SHORT_TERM_LAST_WEEK and area.dimension in focus
                return Action(text=item.text, source=p.section, dimensions=[area.dimension], cites=[p.id],
                              term="short" if short else "medium", reaches=item_reaches(item), weeks=block.weeks)
    return None


@dataclass
class _Ranked:
    """An action of the short- or medium-term plan with what decides its place."""

    action: Action
    index: int
    dimension: str
    priority: int  # of the improvement area it serves (0 High .. 3 not an area)
    blockers: list[tuple[Prerequisite, dict[str, int]]]  # unmet prerequisites, with the unmet answers
    question_gap: int  # how far below the target the answer it moves is
    position: int  # its place in the guide: block start week, then line within the block
    unlocks: list[int] = field(default_factory=list)  # indexes of the actions that build on it
    unlocked_rules: list[Prerequisite] = field(default_factory=list)  # the prerequisites it meets
    effective: int = _NOT_AN_AREA  # its priority, or that of an action building on it if higher

    @property
    def unlocked_questions(self) -> list[str]:
        return list(dict.fromkeys(rule.question for rule in self.unlocked_rules))

    def key(self) -> tuple:
        """Sort key, most important first (the module's docstring gives the order)."""
        return (bool(self.blockers), self.action.term != "short", self.effective, -len(self.unlocked_questions),
                -self.question_gap, self.action.next_option, self.position, self.index)


def _blockers(action: Action, answers: Mapping[str, int],
              rules: Sequence[Prerequisite]) -> list[tuple[Prerequisite, dict[str, int]]]:
    """The prerequisites of the steps this action takes that the answers do not show are in place
    (an unanswered prerequisite is not held against it)."""
    out = []
    for rule in rules:
        q = rule.question
        if action.reaches.get(q, 0) >= rule.option > answers.get(q, 5):
            unmet = {n: m for n, m in rule.needs.items() if n in answers and answers[n] < m}
            if unmet:
                out.append((rule, unmet))
    return out


def _position(action: Action, blocks: Mapping[str, tuple[Guide, Block]]) -> int:
    """Where the guide puts the action: its block's first week, then its line in the block."""
    for cid in action.cites:
        if cid in blocks:
            block = blocks[cid][1]
            line = next((i for i, it in enumerate(block.items) if it.text == action.text), len(block.items))
            return block.weeks[0] * 100 + line
    return 99 * 100


def _rank(actions: list[Action], assessment: Assessment, areas: Mapping[str, ImprovementArea],
          rules: Sequence[Prerequisite], blocks: Mapping[str, tuple[Guide, Block]]) -> list[_Ranked]:
    """The actions, most important first (see the module's docstring for the order)."""
    answers, target = assessment.answers, assessment.target_level
    ranked = []
    for i, a in enumerate(actions):
        dim = a.dimensions[0] if a.dimensions else GENERAL
        area = areas.get(dim)
        gaps = [target - answers[q] for q, v in a.reaches.items() if q in answers and answers[q] < v]
        ranked.append(_Ranked(action=a, index=i, dimension=dim,
                              priority=_PRIORITY_RANK[area.priority] if area else _NOT_AN_AREA,
                              blockers=_blockers(a, answers, rules), question_gap=max(gaps, default=0),
                              position=_position(a, blocks)))
    for r in ranked:
        for other in ranked:
            met = [rule for rule, unmet in other.blockers
                   if other is not r and any(r.action.reaches.get(n, 0) >= m for n, m in unmet.items())]
            if met:
                r.unlocks.append(other.index)
                r.unlocked_rules += [rule for rule in met if rule not in r.unlocked_rules]
        r.effective = min([r.priority, *(ranked[j].priority for j in r.unlocks)])
    return sorted(ranked, key=_Ranked.key)


def _choose(ranked: list[_Ranked]) -> list[_Ranked]:
    """The first three: one per need while the plan has enough of them (a step serves its own
    dimension and those of the steps that build on it: with the gateway chosen because cost
    tracking needs it, cost does not also get its own pick); then more from the same dimensions;
    organization-wide groundwork only after those; an action that unanswered questions may show is
    already done only when nothing else is open."""
    by_index = {r.index: r for r in ranked}
    chosen: list[_Ranked] = []

    def served() -> set[str]:
        return {d for c in chosen for d in [c.dimension, *(by_index[j].dimension for j in c.unlocks)]}

    passes = (
        lambda r: r.dimension != GENERAL and not r.action.pending and r.dimension not in served(),
        lambda r: r.dimension != GENERAL and not r.action.pending,
        lambda r: not r.action.pending,
        lambda r: True,
    )
    for fits in passes:
        for r in ranked:
            if len(chosen) == FIRST_STEPS:
                return chosen
            if r not in chosen and fits(r):
                chosen.append(r)
    return chosen


def _quote(text: str) -> str:
    words = " ".join(text.split())
    return words if len(words) <= _QUOTE_CHARS else words[:_QUOTE_CHARS].rsplit(" ", 1)[0] + "…"


def _gap_line(rubric: Rubric, r: _Ranked, assessment: Assessment, areas: Mapping[str, ImprovementArea],
              records: Mapping[str, AnswerRecord], w: FirstWording) -> str:
    """How large the gap this step closes is, and where they are today, in their own words."""
    a, answers = r.action, assessment.answers
    area = areas.get(r.dimension)
    if r.dimension == GENERAL:
        return w.general
    scored = next(d for d in assessment.dimensions if d.dimension == r.dimension)
    if scored.score is None:
        text = w.unscored.format(name=scored.name, questions=", ".join(scored.missing))
    elif area is None:
        text = w.not_an_area.format(name=scored.name, level=assessment.target_level)
    else:
        largest = max(x.gap for x in areas.values())
        tied = sum(1 for x in areas.values() if x.gap == largest)
        if tied == len(areas) > 1:
            template = w.all_tied
        else:
            template = w.priority if area.gap < largest else w.largest if tied == 1 else w.largest_tied
        text = template.format(name=area.name, score=f"{area.score:.1f}", target=f"{area.target:.1f}",
                               level=assessment.target_level, priority=area.priority)
    moved = [q for q in a.reaches if q in answers and answers[q] < a.reaches[q]]
    if not moved:  # the guide item names no question: their weakest answer in that dimension
        moved = sorted((q.id for q in rubric.questions_in(r.dimension) if q.id in answers), key=answers.__getitem__)[:1]
    if not moved:
        return text
    qid = max(moved, key=lambda q: a.reaches.get(q, 0) - answers[q])
    q, rec = rubric.question(qid), records.get(qid)
    said = w.said.format(quote=_quote(rec.evidence)) if rec and rec.evidence.strip() else ""
    return text + " " + w.today.format(qid=qid, topic=q.topic, label=q.label(answers[qid]), said=said)


def _order_line(rubric: Rubric, r: _Ranked, by_index: Mapping[int, _Ranked], areas: Mapping[str, ImprovementArea],
                w: FirstWording) -> str:
    """Why it comes before other steps (what builds on it), or what it still needs."""
    def items(qids: Sequence[str]) -> str:
        return _join([w.question_item.format(topic=lower_first(rubric.question(q).topic), qid=q) for q in qids])

    if r.unlocks:
        text = w.unlocks.format(items=items(r.unlocked_questions),
                                reasons="; ".join(dict.fromkeys(rule.why for rule in r.unlocked_rules)))
        if r.effective < r.priority:
            served = [by_index[j] for j in r.unlocks if by_index[j].priority == r.effective]
            names = list(dict.fromkeys(areas[s.dimension].name for s in served if s.dimension in areas))
            priority = next(k for k, v in _PRIORITY_RANK.items() if v == r.effective)
            text += w.unlocks_priority.format(areas=_join(names), priority=priority)
        return text
    if r.blockers:
        needs = list(dict.fromkeys(n for _, unmet in r.blockers for n in unmet))
        return w.blocked.format(items=items(needs), reasons="; ".join(dict.fromkeys(rule.why for rule, _ in r.blockers)))
    weeks = r.action.weeks
    return w.first_block.format(first=weeks[0], last=weeks[1]) if weeks and weeks[0] == 1 else w.no_order


def _effort_line(r: _Ranked, blocks: Mapping[str, tuple[Guide, Block]], w: FirstWording) -> str:
    """The effort as the model gives it: the guide block's weeks, or none for a next option."""
    a = r.action
    block = next((blocks[c][1] for c in a.cites if c in blocks), None)
    if a.weeks and block is not None:
        return w.effort_block.format(first=a.weeks[0], last=a.weeks[1], count=a.weeks[1] - a.weeks[0] + 1,
                                     items=len(block.items))
    return w.effort_next if a.next_option else w.effort_unknown


def _join(items: Sequence[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def plan_advice(
    rubric: Rubric,
    transitions: Transitions,
    assessment: Assessment,
    advice: Advice,
    records: Mapping[str, AnswerRecord] | None = None,
    wording: ReportWording | None = None,
) -> Advice:
    """The advice as the report presents it: every dimension with a gap covered (including
    security and sensitive data), organization-wide items kept apart, each horizon ordered by
    importance, and `first_steps` filled with the three things to do first and why."""
    wording = wording or load_report_wording()
    records = records or {}
    answers = assessment.answers
    blocks = _blocks(transitions)
    areas = {a.dimension: a for a in advice.improvement_areas}
    short, medium, long = ([_annotate(rubric, a, answers, blocks, wording) for a in acts]
                           for acts in (advice.short_term, advice.medium_term, advice.long_term))
    for a in _cover(rubric, assessment, advice, [*short, *medium], blocks, wording):
        (short if a.term == "short" else medium).append(a)
    ranked = _rank([*short, *medium], assessment, areas, wording.prerequisites, blocks)
    chosen = _choose(ranked)
    by_index = {r.index: r for r in ranked}
    w = wording.first
    first = [
        FirstStep(action=r.action, dimension=r.dimension,
                  name=rubric.dimension(r.dimension).name if r.dimension != GENERAL else wording.plan.general,
                  why=[sentence_start(_gap_line(rubric, r, assessment, areas, records, w)),
                       _order_line(rubric, r, by_index, areas, w), _effort_line(r, blocks, w)],
                  unlocks=r.unlocked_questions)
        for r in chosen
    ]
    # Each horizon most important first, the three first steps leading (so a reader of the JSON, or
    # the follow-up "what should we do first?", meets them first too).
    order = chosen + [r for r in ranked if r not in chosen]
    n_short = len(short)  # ranked over short + medium: an index below this came from the short term
    short = [r.action for r in order if r.index < n_short]
    medium = [r.action for r in order if r.index >= n_short]
    by_area = {d: i for i, d in enumerate(areas)}
    long = sorted(long, key=lambda a: by_area.get(a.dimensions[0] if a.dimensions else GENERAL, len(by_area)))
    update: dict = {"short_term": short, "medium_term": medium, "long_term": long, "first_steps": first}
    guide = transitions.guide(advice.current_level) if advice.current_level < 5 else None
    if advice.resources is not None and guide is not None:
        update["resources"] = resources_for(rubric, transitions, guide, [*short, *medium], wording)
    return advice.model_copy(update=update)
