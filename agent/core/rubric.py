"""The questionnaire as typed data: load and validate knowledge/rubric.yaml.

Pure apart from reading the file; every other module receives a `Rubric` and never parses YAML.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, model_validator

from agent.common.datafile import DataFileError, load_yaml_model
from agent.common.paths import RUBRIC_PATH
from agent.common.strict import StrictModel

QUESTION_IDS = tuple(f"q{i}" for i in range(1, 13))
DIMENSION_IDS = ("gateway", "observability", "memory", "orchestration", "cost", "security")


class Option(StrictModel):
    score: int = Field(ge=0, le=5)
    label: str


class Question(StrictModel):
    id: str
    topic: str  # a short name for lists, e.g. "Tracing"
    dimension: str
    text: str
    why: str
    table_rows: list[str] = Field(default_factory=list)
    options: list[Option]

    @model_validator(mode="after")
    def _six_options_in_order(self) -> Question:
        scores = [o.score for o in self.options]
        if scores != [0, 1, 2, 3, 4, 5]:
            raise ValueError(f"{self.id}: options must be scored 0..5 in order, got {scores}")
        return self

    def label(self, score: int) -> str:
        """The seed's wording of the option with this score."""
        return self.options[score].label


class TableRow(StrictModel):
    question: str
    descriptors: list[str] = Field(min_length=6, max_length=6)


class Dimension(StrictModel):
    id: str
    name: str
    section: str
    ladder: list[str] = Field(min_length=6, max_length=6)
    table: list[TableRow]


class Level(StrictModel):
    level: int = Field(ge=0, le=5)
    name: str
    summary: str
    hallmarks: list[str]


class Band(StrictModel):
    level: int = Field(ge=0, le=5)
    min: int
    max: int


class Discrepancy(StrictModel):
    question: str
    note: str


class Rubric(StrictModel):
    version: str
    source: str
    levels: list[Level]
    bands: list[Band]
    dimensions: list[Dimension]
    questions: list[Question]
    discrepancies: list[Discrepancy] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> Rubric:
        ids = tuple(q.id for q in self.questions)
        if ids != QUESTION_IDS:
            raise ValueError(f"questions must be q1..q12 in order, got {list(ids)}")
        dims = tuple(d.id for d in self.dimensions)
        if dims != DIMENSION_IDS:
            raise ValueError(f"dimensions must be {list(DIMENSION_IDS)}, got {list(dims)}")
        for d in dims:
            n = sum(1 for q in self.questions if q.dimension == d)
            if n != 2:
                raise ValueError(f"dimension {d!r} must have exactly 2 questions, has {n}")
        if [lv.level for lv in self.levels] != list(range(6)):
            raise ValueError("levels must be 0..5 in order")
        expected_min = 0
        for band in sorted(self.bands, key=lambda b: b.min):
            if band.min != expected_min:
                raise ValueError(f"bands leave a gap or overlap at {expected_min} (band L{band.level} starts at {band.min})")
            if band.max < band.min:
                raise ValueError(f"band L{band.level} ends before it starts")
            expected_min = band.max + 1
        if expected_min != 61:
            raise ValueError(f"bands must cover 0..60 exactly, they end at {expected_min - 1}")
        if sorted(b.level for b in self.bands) != list(range(6)):
            raise ValueError("there must be exactly one band per level 0..5")
        return self

    # -- lookups -------------------------------------------------------------
    def question(self, qid: str) -> Question:
        """The question with this id (q1..q12); KeyError if unknown."""
        for q in self.questions:
            if q.id == qid:
                return q
        raise KeyError(qid)

    def dimension(self, did: str) -> Dimension:
        for d in self.dimensions:
            if d.id == did:
                return d
        raise KeyError(did)

    def questions_in(self, did: str) -> list[Question]:
        return [q for q in self.questions if q.dimension == did]

    def level(self, n: int) -> Level:
        return self.levels[n]

    def level_for_total(self, total: int) -> int:
        """The seed's band for a total score 0..60."""
        for band in self.bands:
            if band.min <= total <= band.max:
                return band.level
        raise ValueError(f"total {total} is outside 0..60")


class RubricError(DataFileError):
    """The rubric file is missing or invalid."""


def parse_rubric(data: dict) -> Rubric:
    """Validate already-parsed rubric data."""
    return Rubric.model_validate(data)


@lru_cache(maxsize=4)
def load_rubric(path: Path | str = RUBRIC_PATH) -> Rubric:
    """Load and validate the rubric file; raises RubricError with the reason."""
    return load_yaml_model(path, Rubric, "rubric", RubricError)
