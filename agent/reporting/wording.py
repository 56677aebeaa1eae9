"""The report's wording and the order in which capabilities build on each other, from
knowledge/report.yaml (validated: a missing or misspelt key fails when the file is loaded, not in
the middle of a report)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, model_validator

from agent.common.datafile import DataFileError, load_yaml_model
from agent.common.paths import KNOWLEDGE_DIR
from agent.common.strict import StrictModel
from agent.core.rubric import QUESTION_IDS

REPORT_WORDING_PATH = KNOWLEDGE_DIR / "report.yaml"


class Headings(StrictModel):
    title: str
    summary: str
    first: str
    scores: str
    strengths: str
    areas: str
    actions: str
    short: str
    medium: str
    long: str
    organization_documents: str
    resources: str
    outcomes: str
    kpis: str
    evidence: str
    appendix: str
    sources: str


class Header(StrictModel):
    organization: str
    not_given: str
    date: str
    assessed_by: str
    current: str
    target: str
    provisional: str
    gap: str
    partial: str
    partial_scoped: str


class GapWording(StrictModel):
    top: str
    complete: str
    partial: str
    item: str
    even: str
    none: str


class SummaryWording(StrictModel):
    organization: str
    complete: str
    partial: str
    top: str
    working: str
    working_relative: str
    working_item: str
    gaps: str
    gap_item: str
    even_gaps: str
    no_gaps: str
    first: str


class FirstWording(StrictModel):
    intro: str
    next_option: str
    why_label: str
    order_label: str
    effort_label: str
    source_label: str
    largest: str
    largest_tied: str
    priority: str
    all_tied: str
    not_an_area: str
    unscored: str
    general: str
    today: str
    said: str
    unlocks: str
    unlocks_priority: str
    blocked: str
    first_block: str
    no_order: str
    effort_block: str
    effort_next: str
    effort_unknown: str
    question_item: str
    none: str
    top: str


class PlanWording(StrictModel):
    extractive: str
    written: str
    guide: str
    next_option_note: str
    by_dimension: str
    group: str
    group_other: str
    general: str
    first_mark: str
    pending: str
    empty_short: str
    empty_medium: str
    empty_long_top: str
    empty_long: str
    in_place: str
    next_option_action: str


class AreasWording(StrictModel):
    line: str
    see: str
    none: str
    reason: str
    weakest: str


class StrengthsWording(StrictModel):
    line: str
    at_target: str
    relative: str
    quote: str
    none: str


class ScoresWording(StrictModel):
    columns: list[str] = Field(min_length=4, max_length=4)
    only: str
    missing: str


class ResourcesWording(StrictModel):
    people: str
    technology: str
    budget: str
    timeline: str
    profile: str
    people_given: str
    people_none: str
    budget_given: str
    budget_none: str
    technology_tools: str
    technology_none: str
    timeline_text: str
    none: str


class OutcomesWording(StrictModel):
    intro: str
    top: str


class KpisWording(StrictModel):
    columns: list[str] = Field(min_length=3, max_length=3)
    tracking: str


class EvidenceWording(StrictModel):
    columns: list[str] = Field(min_length=4, max_length=4)
    not_answered: str
    said_intro: str
    said_item: str
    no_quote: str
    quote_chars: int = Field(ge=40)
    cut_note: str


class AppendixWording(StrictModel):
    total: str
    total_partial: str
    level: str
    level_partial: str
    finished_early: str
    answer_yes: str
    answer_no: str
    session: str
    model: str
    calls: str
    tokens: str
    cost: str
    rubric: str
    note: str
    sources_intro: str


class NotesWording(StrictModel):
    top: str
    unscored: str
    planned_from: str
    flagged: str  # replies with text aimed at the assessor (screened out), for a reader to weigh


class Prerequisite(StrictModel):
    """An action bringing `step`'s question to at least that option needs the `needs` answers."""

    step: dict[str, int] = Field(min_length=1, max_length=1)
    needs: dict[str, int] = Field(min_length=1)
    why: str

    @model_validator(mode="after")
    def _known_questions(self) -> Prerequisite:
        for qid, option in [*self.step.items(), *self.needs.items()]:
            if qid not in QUESTION_IDS or not 1 <= option <= 5:
                raise ValueError(f"prerequisite {self.step}: {qid}={option} is not a question and option 1-5")
        return self

    @property
    def question(self) -> str:
        return next(iter(self.step))

    @property
    def option(self) -> int:
        return next(iter(self.step.values()))


class ReportWording(StrictModel):
    version: int
    framework: str
    headings: Headings
    header: Header
    gap: GapWording
    summary: SummaryWording
    first: FirstWording
    plan: PlanWording
    areas: AreasWording
    strengths: StrengthsWording
    scores: ScoresWording
    resources: ResourcesWording
    outcomes: OutcomesWording
    kpis: KpisWording
    evidence: EvidenceWording
    appendix: AppendixWording
    notes: NotesWording
    flag_kinds: dict[str, str] = Field(default_factory=dict)
    prerequisites: list[Prerequisite]


class ReportWordingError(DataFileError):
    """knowledge/report.yaml is missing or invalid."""


@lru_cache(maxsize=2)
def load_report_wording(path: Path | str = REPORT_WORDING_PATH) -> ReportWording:
    """The report's wording (cached; raises ReportWordingError naming the problem)."""
    return load_yaml_model(path, ReportWording, "report wording", ReportWordingError)


def sentence_start(text: str) -> str:
    """`text` with its first letter capitalised."""
    return text[:1].upper() + text[1:]


def lower_first(text: str) -> str:
    """`text` with its first letter in lower case for use mid-sentence, unless it starts an acronym
    ("AI access" stays as it is)."""
    return text if text[1:2].isupper() else text[:1].lower() + text[1:]
