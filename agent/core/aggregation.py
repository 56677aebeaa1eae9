"""Several respondents' answers for one organization's round, aggregated into one assessment
(pure functions, no I/O).

The rule, stated in every organization report (AGGREGATION_RULE): per question, the median of the
respondents' answers — with an even number of answers, the lower of the two middle ones, so the
organization is credited only with what at least half of its respondents report — and the range
(lowest–highest). Respondents who differ by two options or more are a disagreement: it is listed
with who said what, and the level is given with the range those disagreements allow (each disputed
question anywhere in its range). A facilitator's settlement replaces the median of its question.
Dimension and total scores and the level come from the aggregates, by the seed's scoring rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pydantic import BaseModel, Field

from agent.core.rubric import Rubric
from agent.core.scoring import Assessment, score

AGGREGATION_RULE = (
    "Each question's aggregate is the median of the respondents' answers (with an even number of "
    "answers, the lower of the two middle ones: the organization is credited only with what at least "
    "half of its respondents report), shown with the range from the lowest to the highest answer. "
    "Respondents who differ by two options or more are flagged as a disagreement; a facilitator's "
    "settlement replaces the median. Dimension and total scores and the level are computed from the "
    "aggregates; the level range is what the disagreements allow.")
DISAGREEMENT_SPREAD = 2  # options apart before respondents are said to disagree


class RespondentAnswer(BaseModel):
    """One respondent's answer to one question, with their own words."""

    question: str
    score: int = Field(ge=0, le=5)
    respondent: str  # display name (or the session's name for an anonymous respondent)
    role: str | None = None
    session: str
    quote: str = ""
    source: str | None = None  # direct, confirmed, corrected, chosen, inferred
    model: str | None = None  # which model read it (None: chosen by the respondent)


class Settlement(BaseModel):
    """A facilitator's decision on a question's score for a round, with who and why."""

    question: str
    score: int = Field(ge=0, le=5)
    note: str
    by: str
    at: str  # ISO timestamp


class QuestionAggregate(BaseModel):
    question: str
    dimension: str
    topic: str
    answers: list[RespondentAnswer]
    median: int | None  # the rule's aggregate of the answers (None: nobody answered)
    low: int | None
    high: int | None
    disagreement: bool
    settlement: Settlement | None = None

    @property
    def score(self) -> int | None:
        """What the round's assessment uses: the settlement, else the median."""
        return self.settlement.score if self.settlement else self.median

    @property
    def disputed(self) -> bool:
        """A disagreement nobody has settled yet."""
        return self.disagreement and self.settlement is None


class RoundAggregate(BaseModel):
    """One round of one organization, aggregated."""

    rule: str = AGGREGATION_RULE
    questions: list[QuestionAggregate]
    assessment: Assessment
    level_range: tuple[int, int]  # what the missing answers and the unsettled disagreements allow

    def question(self, qid: str) -> QuestionAggregate:
        return next(q for q in self.questions if q.question == qid)

    @property
    def disagreements(self) -> list[QuestionAggregate]:
        return [q for q in self.questions if q.disagreement]

    @property
    def disputed_range(self) -> tuple[int, int] | None:
        """The level range the unsettled disagreements allow, when it is wider than what the missing
        answers alone leave open (None: the disagreements change nothing)."""
        return self.level_range if tuple(self.level_range) != tuple(self.assessment.level_range) else None

    @property
    def scores(self) -> dict[str, int]:
        return {q.question: s for q in self.questions if (s := q.score) is not None}


def lower_median(values: Sequence[int]) -> int:
    """The median of `values`; with an even count, the lower of the two middle values."""
    if not values:
        raise ValueError("the median of no values")
    ordered = sorted(values)
    return ordered[(len(ordered) - 1) // 2]


def aggregate_round(rubric: Rubric, answers: Iterable[RespondentAnswer],
                    settlements: Iterable[Settlement] = ()) -> RoundAggregate:
    """Aggregate the respondents' answers of one round (one answer per respondent and question: the
    caller keeps only each respondent's latest session). A settlement applies to its question even
    when the respondents' answers changed since; the latest settlement of a question counts."""
    by_question: dict[str, list[RespondentAnswer]] = {q.id: [] for q in rubric.questions}
    for a in answers:
        if a.question in by_question:
            by_question[a.question].append(a)
    settled = {s.question: s for s in sorted(settlements, key=lambda s: s.at)}
    questions: list[QuestionAggregate] = []
    for q in rubric.questions:
        given = sorted(by_question[q.id], key=lambda a: (a.score, a.respondent.casefold()))
        values = [a.score for a in given]
        low, high = (min(values), max(values)) if values else (None, None)
        questions.append(QuestionAggregate(
            question=q.id, dimension=q.dimension, topic=q.topic, answers=given,
            median=lower_median(values) if values else None, low=low, high=high,
            disagreement=bool(values) and high - low >= DISAGREEMENT_SPREAD,  # type: ignore[operator]
            settlement=settled.get(q.id)))
    scores = {q.question: s for q in questions if (s := q.score) is not None}
    return RoundAggregate(questions=questions, assessment=score(rubric, scores),
                          level_range=_level_range(rubric, questions))


def _level_range(rubric: Rubric, questions: Sequence[QuestionAggregate]) -> tuple[int, int]:
    """The lowest and highest level reachable with every unsettled disagreement anywhere in its range
    and every unanswered question anywhere in 0..5."""
    low_total = high_total = 0
    for q in questions:
        if q.settlement is not None:
            low_total += q.settlement.score
            high_total += q.settlement.score
        elif q.median is None:
            high_total += 5
        elif q.disagreement:
            low_total += q.low or 0
            high_total += q.high or 0
        else:
            low_total += q.median
            high_total += q.median
    return rubric.level_for_total(low_total), rubric.level_for_total(high_total)
