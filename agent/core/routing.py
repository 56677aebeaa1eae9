"""What the follow-up router asks a model when its rules find no topic: which questionnaire
question (if any) a follow-up question is about. Shared by the reporting layer (which asks) and
the offline engine (which answers from its reader)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from agent.common.strict import ModelOutput


class RouteQuestion(BaseModel):
    id: str
    text: str
    topic: str


class RouteContext(BaseModel):
    """Input of the route task (prompts/route.md)."""

    task: Literal["route"] = "route"
    question: str
    questions: list[RouteQuestion]


class RouteGuess(ModelOutput):
    """The route task's structured output."""

    question_id: str | None = Field(None, description="q1..q12 the follow-up question is about, or null.")
    confidence: float = Field(0.0, ge=0.0, le=1.0, description="How sure, 0..1.")
