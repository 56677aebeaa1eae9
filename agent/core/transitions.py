"""The seed's transition guides, level KPIs and organization profiles as typed data.

Loads and validates knowledge/transitions.yaml. Pure apart from reading the file; the report and
the advice code receive a `Transitions` and never parse YAML.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator, model_validator

from agent.common.datafile import DataFileError, load_yaml_model
from agent.common.paths import KNOWLEDGE_DIR
from agent.common.strict import StrictModel
from agent.core.rubric import DIMENSION_IDS, QUESTION_IDS

TRANSITIONS_PATH = KNOWLEDGE_DIR / "transitions.yaml"
ITEM_DIMENSIONS = (*DIMENSION_IDS, "general")
_WEEKS = re.compile(r"^Week (\d+)-(\d+): ")


class ChecklistItem(StrictModel):
    text: str
    dimensions: list[str] = Field(min_length=1)
    # Alternatives (any may hold); each maps question id -> minimum score (all must hold).
    satisfied_by: list[dict[str, int]] = Field(default_factory=list)

    @field_validator("satisfied_by", mode="before")
    @classmethod
    def _one_condition_is_a_list_of_one(cls, v: object) -> object:
        if isinstance(v, Mapping):
            return [v]
        return [] if v is None else v

    @model_validator(mode="after")
    def _known_ids(self) -> ChecklistItem:
        bad = [d for d in self.dimensions if d not in ITEM_DIMENSIONS]
        if bad:
            raise ValueError(f"{self.text!r}: unknown dimension(s) {bad}")
        for cond in self.satisfied_by:
            if not cond:
                raise ValueError(f"{self.text!r}: empty satisfied_by condition")
            for qid, minimum in cond.items():
                if qid not in QUESTION_IDS:
                    raise ValueError(f"{self.text!r}: unknown question {qid!r}")
                if not 1 <= minimum <= 5:
                    raise ValueError(f"{self.text!r}: {qid} threshold must be 1..5, got {minimum}")
        return self

    def questions(self) -> list[str]:
        """Every question id the item's conditions look at, in first-seen order."""
        return list(dict.fromkeys(q for cond in self.satisfied_by for q in cond))

    def satisfied(self, answers: Mapping[str, int]) -> bool | None:
        """Whether the answers show the organization already has this item.

        True: some condition holds. None: no condition holds yet but one could, once its
        unanswered questions are answered. False otherwise, including items without conditions
        (the questionnaire cannot vouch for those, so they are never assumed done).
        """
        if not self.satisfied_by:
            return False
        undecided = False
        for cond in self.satisfied_by:
            if all(q in answers and answers[q] >= m for q, m in cond.items()):
                return True
            if not any(q in answers and answers[q] < m for q, m in cond.items()):
                undecided = True
        return None if undecided else False


class Block(StrictModel):
    title: str
    items: list[ChecklistItem] = Field(min_length=1)

    @property
    def weeks(self) -> tuple[int, int]:
        """(first, last) week of the block, parsed from its title ("Week 5-8: ...")."""
        m = _WEEKS.match(self.title)
        if not m:
            raise ValueError(f"block title {self.title!r} does not start with 'Week N-M: '")
        return int(m.group(1)), int(m.group(2))

    @model_validator(mode="after")
    def _title_has_weeks(self) -> Block:
        _ = self.weeks
        return self


class Guide(StrictModel):
    from_level: int = Field(alias="from", ge=0, le=4)
    to_level: int = Field(alias="to", ge=1, le=5)
    title: str
    goal: str
    timeline: str
    blocks: list[Block] = Field(min_length=1)
    success_criteria: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_step(self) -> Guide:
        if self.to_level != self.from_level + 1:
            raise ValueError(f"guide {self.title!r} must go one level up, got {self.from_level}->{self.to_level}")
        return self

    @property
    def heading(self) -> str:
        """The seed's section heading, e.g. 'Level 1 to Level 2'."""
        return f"Level {self.from_level} to Level {self.to_level}"

    def source(self, block: Block) -> str:
        """Where a block's items come from in the seed, for citing next to an action."""
        return f"Transition Guides › {self.heading} › {block.title}"


class Kpi(StrictModel):
    name: str
    target: str
    frequency: str


class LevelKpis(StrictModel):
    level: int = Field(ge=0, le=5)
    tracking: str
    metrics: list[Kpi]


class Profile(StrictModel):
    level: int = Field(ge=0, le=5)
    lines: list[str] = Field(min_length=1)
    people: str | None = None
    budget: str | None = None

    @model_validator(mode="after")
    def _pointers_quote_lines(self) -> Profile:
        for ptr in (self.people, self.budget):
            if ptr is not None and ptr not in self.lines:
                raise ValueError(f"profile L{self.level}: {ptr!r} is not one of its lines")
        return self


class Transitions(StrictModel):
    version: str
    source: str
    guides: list[Guide]
    kpis: list[LevelKpis]
    profiles: list[Profile]

    @model_validator(mode="after")
    def _complete(self) -> Transitions:
        if [g.from_level for g in self.guides] != [0, 1, 2, 3, 4]:
            raise ValueError("guides must be L0->L1 .. L4->L5 in order")
        if [k.level for k in self.kpis] != list(range(6)):
            raise ValueError("kpis must cover levels 0..5 in order")
        if [p.level for p in self.profiles] != list(range(6)):
            raise ValueError("profiles must cover levels 0..5 in order")
        return self

    def guide(self, from_level: int) -> Guide | None:
        """The guide from Level n to n+1; None at Level 5 (there is no level above)."""
        if not 0 <= from_level <= 5:
            raise ValueError(f"level must be 0..5, got {from_level}")
        return self.guides[from_level] if from_level < 5 else None

    def kpis_for(self, level: int) -> LevelKpis:
        """The seed's level-appropriate metrics for a level 0..5."""
        return self.kpis[level]

    def profile(self, level: int) -> Profile:
        """The seed's organization profile of a level 0..5."""
        return self.profiles[level]


class TransitionsError(DataFileError):
    """The transitions file is missing or invalid."""


def parse_transitions(data: dict) -> Transitions:
    """Validate already-parsed transitions data."""
    return Transitions.model_validate(data)


@lru_cache(maxsize=4)
def load_transitions(path: Path | str = TRANSITIONS_PATH) -> Transitions:
    """Load and validate the transitions file (cached); raises TransitionsError with the reason."""
    return load_yaml_model(path, Transitions, "transitions", TransitionsError)
