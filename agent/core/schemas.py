"""Typed shapes of what models return (structured output) and what the graph keeps per answer."""

from __future__ import annotations

from typing import Literal, cast

from pydantic import BaseModel, ConfigDict, Field

QuestionId = Literal["q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "q9", "q10", "q11", "q12"]
QUESTION_ID_SET = frozenset(f"q{i}" for i in range(1, 13))


def as_question_id(value: str) -> QuestionId:
    """`value` as a question id, checked (ValueError for anything but q1..q12)."""
    if value not in QUESTION_ID_SET:
        raise ValueError(f"not a question id: {value!r} (use q1..q12)")
    return cast(QuestionId, value)


QuestionBackKind = Literal["options", "why", "clarify", "scores", "other"]


class ScoredAnswer(BaseModel):
    """One rubric answer read from the interviewee's words."""

    model_config = ConfigDict(extra="ignore")

    question_id: QuestionId
    score: int = Field(ge=0, le=5, description="The questionnaire option that fits, 0-5.")
    confidence: float = Field(ge=0.0, le=1.0, description="How sure the reading is, 0-1.")
    evidence: str = Field(
        min_length=1,
        description="A verbatim quote from the interviewee's own words that supports the score.",
    )


class QuestionBack(BaseModel):
    """A question the interviewee asked the interviewer."""

    kind: QuestionBackKind = Field(
        description="options: wants the answer choices; why: why the question matters; "
        "clarify: what a term means; scores: wants current scores; other: anything else."
    )
    text: str


class RubricUpdate(BaseModel):
    """What one user reply tells us about the rubric (the interpret step's structured output)."""

    model_config = ConfigDict(extra="ignore")

    answers: list[ScoredAnswer] = Field(default_factory=list)
    is_correction: bool = Field(False, description="The reply corrects an earlier answer.")
    off_topic: bool = Field(False, description="The reply says nothing about AI operations.")
    question_back: QuestionBack | None = Field(None, description="A question asked back, if any.")
    wants_stop: bool = Field(False, description="The interviewee wants to finish now.")
    language: str = Field("en", description="ISO 639-1 code of the reply's language.")
    understood: bool = Field(
        True, description="False when the reply could not be read at all (e.g. unsupported language)."
    )


class AnswerRecord(BaseModel):
    """An answer as held in the interview state."""

    question_id: QuestionId
    score: int = Field(ge=0, le=5)
    confidence: float = Field(ge=0.0, le=1.0)
    evidence: str
    turn: int  # index of the user turn that gave it


# --- What the graph hands a model for each task -------------------------------------------------
# Prompts embed these as JSON inside <context>...</context>; an LLM reads them like any prompt
# text, and the offline engine parses them, so both see exactly the same request.


class QuestionBrief(BaseModel):
    id: QuestionId
    dimension: str
    text: str
    options: list[str] = Field(default_factory=list, description="Option labels, index = score.")


class KnownAnswer(BaseModel):
    question_id: QuestionId
    score: int
    label: str
    evidence: str
    confidence: float


class Turn(BaseModel):
    role: Literal["assistant", "user"]
    content: str


class InterpretContext(BaseModel):
    """Input of the interpret task: read `reply` into rubric answers."""

    task: Literal["interpret"] = "interpret"
    reply: str
    current_question: QuestionBrief | None = None
    questions: list[QuestionBrief]  # the whole questionnaire, so one reply can answer several
    known: list[KnownAnswer] = Field(default_factory=list)
    recent: list[Turn] = Field(default_factory=list, description="The last few turns, oldest first.")


class AskContext(BaseModel):
    """Input of the ask task: write the interviewer's next message."""

    task: Literal["ask"] = "ask"
    mode: Literal["first", "next", "clarify", "reask", "back", "confirm_changes"] = "next"
    question: QuestionBrief | None = None
    question_why: str | None = None
    same_dimension: bool = Field(False, description="The question continues the dimension just discussed.")
    understood: list[KnownAnswer] = Field(
        default_factory=list, description="What the last reply told us, to acknowledge briefly."
    )
    respond_to: QuestionBack | None = None
    show_options: bool = False
    notices: list[str] = Field(default_factory=list, description="Facts to tell the user verbatim.")
    progress: str = ""


class SummaryContext(BaseModel):
    """Input of the summary task: the executive summary paragraph of the report."""

    task: Literal["summary"] = "summary"
    level: int | None
    level_name: str | None
    level_range: tuple[int, int]
    total: int
    target_level: int
    target_level_name: str
    strengths: list[str]
    gaps: list[str]
    missing: list[str]
