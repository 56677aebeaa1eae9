"""Recorded interviews with gold labels: the file format (evals/README.md) and its validator.

A malformed file is rejected with its file name, the field and the reason, e.g.
"evals/interviews/x.yaml: expected.total: 20 is not the sum of the answers (21)".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError, field_validator, model_validator

from agent.core.rubric import QUESTION_IDS, Rubric

INTERVIEWS_DIR = Path(__file__).resolve().parent.parent.parent / "evals" / "interviews"


class InterviewFileError(Exception):
    """A recorded interview file is malformed; the message names the file, the field and the reason."""


class TranscriptTurn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["assistant", "user"]
    content: str = Field(min_length=1)


class Expected(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answers: dict[str, StrictInt]
    total: StrictInt
    level: StrictInt

    @field_validator("answers")
    @classmethod
    def _all_questions(cls, v: dict[str, int]) -> dict[str, int]:
        missing = [q for q in QUESTION_IDS if q not in v]
        unknown = [q for q in v if q not in QUESTION_IDS]
        if missing:
            raise ValueError(f"missing {', '.join(missing)}")
        if unknown:
            raise ValueError(f"unknown question(s) {', '.join(unknown)} (use q1..q12)")
        bad = [f"{q}={s}" for q, s in v.items() if not 0 <= s <= 5]
        if bad:
            raise ValueError(f"scores must be 0-5, got {', '.join(bad)}")
        return {q: v[q] for q in QUESTION_IDS}

    @model_validator(mode="after")
    def _total_is_the_sum(self) -> Expected:
        s = sum(self.answers.values())
        if self.total != s:
            raise ValueError(f"total: {self.total} is not the sum of the answers ({s})")
        return self


class RecordedInterview(BaseModel):
    """One recorded interview (the format is exact: other data sets are written in it)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    persona: str | None = None
    transcript: list[TranscriptTurn] = Field(min_length=2)
    expected: Expected
    notes: str | None = None

    @field_validator("transcript")
    @classmethod
    def _alternating(cls, turns: list[TranscriptTurn]) -> list[TranscriptTurn]:
        for i, t in enumerate(turns):
            want = "assistant" if i % 2 == 0 else "user"
            if t.role != want:
                raise ValueError(f"turn {i + 1} is '{t.role}', expected '{want}' (turns alternate, starting with the assistant)")
        if turns[-1].role != "user":
            raise ValueError("must end with a user turn")
        return turns

    @property
    def user_turns(self) -> list[str]:
        return [t.content for t in self.transcript if t.role == "user"]


def _where(err: Any) -> str:
    return ".".join(str(x) for x in err["loc"]) or "(top level)"


def parse_interview(data: object, source: str, rubric: Rubric | None = None) -> RecordedInterview:
    """Validate parsed YAML; `source` names the file in errors. With a rubric, the level must
    follow its bands."""
    if not isinstance(data, dict):
        raise InterviewFileError(f"{source}: (top level): must be a mapping with id, transcript and expected")
    try:
        iv = RecordedInterview.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key (allowed: id, persona, transcript, expected, notes; expected: answers, total, level)"
        elif err["type"] in ("int_type", "int_parsing"):
            msg = f"must be a whole number, got {err.get('input')!r}"
        raise InterviewFileError(f"{source}: {_where(err)}: {msg}") from exc
    if rubric is not None:
        band = rubric.level_for_total(iv.expected.total)
        if iv.expected.level != band:
            raise InterviewFileError(
                f"{source}: expected.level: {iv.expected.level} does not follow the bands "
                f"(a total of {iv.expected.total} is Level {band})"
            )
    return iv


def load_interview(path: Path, rubric: Rubric | None = None) -> RecordedInterview:
    """Read and validate one file; the id must equal the file name."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InterviewFileError(f"{path}: cannot be read ({exc})") from exc
    except yaml.YAMLError as exc:
        raise InterviewFileError(f"{path}: is not valid YAML ({str(exc).splitlines()[0]})") from exc
    iv = parse_interview(data, str(path), rubric)
    if iv.id != path.stem:
        raise InterviewFileError(f"{path}: id: '{iv.id}' must equal the file name '{path.stem}'")
    return iv


def find_files(paths: list[str] | None) -> list[Path]:
    """The YAML files named or inside the folders named (default: evals/interviews/), sorted."""
    out: list[Path] = []
    for p in [Path(x) for x in (paths or [str(INTERVIEWS_DIR)])]:
        if p.is_dir():
            out += sorted([*p.glob("*.yaml"), *p.glob("*.yml")])
        elif p.exists():
            out.append(p)
        else:
            raise InterviewFileError(f"{p}: no such file or folder")
    if not out:
        raise InterviewFileError(f"no recorded interviews (*.yaml) in {', '.join(paths or [str(INTERVIEWS_DIR)])}")
    return out


def load_interviews(paths: list[str] | None, rubric: Rubric) -> list[RecordedInterview]:
    """Every interview, validated; the first malformed file stops with its message; ids unique."""
    found = [load_interview(p, rubric) for p in find_files(paths)]
    seen: dict[str, int] = {}
    for iv in found:
        seen[iv.id] = seen.get(iv.id, 0) + 1
    dupes = [i for i, n in seen.items() if n > 1]
    if dupes:
        raise InterviewFileError(f"duplicate interview id(s): {', '.join(dupes)}")
    return found
