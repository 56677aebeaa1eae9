"""Typed shapes of what models return (structured output) and what the graph keeps per answer."""

from __future__ import annotations

from typing import ClassVar, Literal, cast

from pydantic import BaseModel, Field

from agent.common.strict import ModelOutput

QuestionId = Literal["q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "q9", "q10", "q11", "q12"]
QUESTION_ID_SET = frozenset(f"q{i}" for i in range(1, 13))


def as_question_id(value: str) -> QuestionId:
    """`value` as a question id, checked (ValueError for anything but q1..q12)."""
    if value not in QUESTION_ID_SET:
        raise ValueError(f"not a question id: {value!r} (use q1..q12)")
    return cast(QuestionId, value)


QuestionBackKind = Literal["options", "why", "clarify", "scores", "other"]


class ScoredAnswer(ModelOutput):
    """One rubric answer read from the interviewee's words."""

    question_id: QuestionId
    score: int = Field(ge=0, le=5, description="The questionnaire option that fits, 0-5.")
    confidence: float = Field(ge=0.0, le=1.0, description="How sure the reading is, 0-1.")
    evidence: str = Field(
        min_length=1,
        description="A verbatim quote from the interviewee's own words that supports the score.",
    )
    corrects: bool = Field(
        False,
        description="True when this reading corrects or updates something said earlier "
        "(\"scratch that\", \"actually we now ...\", \"we no longer ...\").",
    )


class QuestionBack(ModelOutput):
    """A question the interviewee asked the interviewer."""

    kind: QuestionBackKind = Field(
        description="options: wants the answer choices; why: why the question matters; "
        "clarify: what a term means; scores: wants current scores; other: anything else."
    )
    text: str


class LikelyOptions(ModelOutput):
    """The options that might fit a question the reply touched but did not settle."""

    question_id: QuestionId
    options: list[int] = Field(description="Two or three option scores, 0-5.")


class RubricUpdate(ModelOutput):
    """What one user reply tells us about the rubric (the interpret step's structured output)."""

    essential_list: ClassVar[str | None] = "answers"

    answers: list[ScoredAnswer] = Field(default_factory=list)
    is_correction: bool = Field(False, description="The reply corrects an earlier answer.")
    off_topic: bool = Field(False, description="The reply says nothing about AI operations.")
    question_back: QuestionBack | None = Field(None, description="A question asked back, if any.")
    wants_stop: bool = Field(False, description="The interviewee wants to finish now.")
    language: str = Field("en", description="ISO 639-1 code of the reply's language.")
    understood: bool = Field(
        True, description="False when the reply could not be read at all (e.g. unsupported language)."
    )
    likely: list[LikelyOptions] = Field(
        default_factory=list,
        description="For questions asked that the reply touches but does not settle: the 2-3 options that might fit.",
    )


# How an answer came to be, which decides what may replace it (agent.core.answers):
#   direct     read from a reply to this question (it was among the questions asked)
#   inferred   read from a reply to another question: provisional, confirmed when its turn comes
#   confirmed  an inferred answer the interviewee confirmed
#   corrected  changed by an explicit correction
#   chosen     picked by the interviewee from numbered options
Source = Literal["direct", "inferred", "confirmed", "corrected", "chosen"]
FIRM_SOURCES: frozenset[str] = frozenset({"direct", "confirmed", "corrected", "chosen"})


class AnswerRecord(BaseModel):
    """An answer as held in the interview state."""

    question_id: QuestionId
    score: int = Field(ge=0, le=5)
    confidence: float = Field(ge=0.0, le=1.0)
    evidence: str
    turn: int  # index of the user turn that gave it
    source: Source = "direct"
    model: str | None = None  # the model whose reading it is (None: set by the interviewee's choice)

    @property
    def firm(self) -> bool:
        """Given in answer to its own question, confirmed, corrected or chosen (not inferred)."""
        return self.source in FIRM_SOURCES


class Change(BaseModel):
    """One answer that a reply set or changed, for acknowledging it in one line."""

    question_id: QuestionId
    old: int | None
    new: int
    evidence: str
    source: Source


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
    asking: list[QuestionBrief] = Field(
        default_factory=list, description="Every question the interviewer's last message asked (current first)."
    )
    questions: list[QuestionBrief]  # the whole questionnaire, so one reply can answer several
    known: list[KnownAnswer] = Field(default_factory=list)
    recent: list[Turn] = Field(default_factory=list, description="The last few turns, oldest first.")


class Choice(BaseModel):
    """A numbered option offered when a free-text answer could not settle a question."""

    number: int
    score: int
    label: str
    plain: str = ""  # the option in plain words


class ChoiceSet(BaseModel):
    """The numbered options of one question, when two are offered in one message."""

    question_id: QuestionId
    topic: str
    choices: list[Choice]


class ChangeNote(BaseModel):
    """One answer the last reply set or changed, to acknowledge in one line."""

    question_id: QuestionId
    topic: str
    old: str | None = None  # the option it had (None: newly answered)
    new: str
    said: str = ""  # the interviewee's words that caused it


AskMode = Literal["first", "next", "dimension", "clarify", "reask", "back", "verify", "options", "confirm_changes"]


class AskContext(BaseModel):
    """Input of the ask task: write the interviewer's next message."""

    task: Literal["ask"] = "ask"
    mode: AskMode = "next"
    question: QuestionBrief | None = None
    questions: list[QuestionBrief] = Field(
        default_factory=list, description="dimension mode: both questions of the dimension, to ask in one open question."
    )
    verify: list[KnownAnswer] = Field(
        default_factory=list, description="Answers inferred from earlier replies: confirm them in one short question."
    )
    choices: list[Choice] = Field(
        default_factory=list, description="options mode: offer these numbered options, plus 'something else'."
    )
    changes: list[ChangeNote] = Field(
        default_factory=list, description="Answers changed by the last reply: acknowledge each in one line (old → new)."
    )
    conflict: bool = Field(False, description="options mode: two replies gave different answers; ask which is right.")
    choice_sets: list[ChoiceSet] = Field(
        default_factory=list,
        description="options mode for two questions at once: a numbered list per question; ask for one number each.",
    )
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
