"""Simulated interviewees for `aiops-assess eval --simulate`: they answer the agent's own questions
from a recorded interview's facts and gold answers.

- ScriptedInterviewee (deterministic, used with the offline engine): the first time a question is
  asked it replies with the recorded user turn that answered that question (the transcript's own
  words); asked again, or when the transcript has no such turn, it states the gold option plainly.
  It confirms the agent's summary as it stands, so the run measures the agent's reading.
- LLMInterviewee (when a model is available): the model plays the interviewee from the persona,
  the recorded turns and the gold answers (prompts/simulate.md).
"""

from __future__ import annotations

import itertools
from collections import Counter
from typing import Literal

from pydantic import BaseModel

from agent.common.providers import is_offline
from agent.core.calls import CallRecord
from agent.core.prompts import render
from agent.core.rubric import Rubric
from agent.evaluation.interviews import RecordedInterview
from agent.evaluation.transcript import guesser
from agent.gateway.router import Gateway


class ScriptedInterviewee:
    """Deterministic interviewee (see the module docstring)."""

    def __init__(self, iv: RecordedInterview, rubric: Rubric) -> None:
        self.rubric = rubric
        self.gold = iv.expected.answers
        self.facts: dict[str, list[str]] = {}
        guess = guesser(rubric)
        turns = iv.transcript
        for prev, nxt in itertools.pairwise(turns):
            if prev.role == "assistant" and nxt.role == "user":
                q = guess.guess(prev.content)
                if q:
                    self.facts.setdefault(q, []).append(nxt.content)
        self.asked: Counter = Counter()
        self.calls: list[CallRecord] = []

    def plain(self, qid: str) -> str:
        """The gold answer in the questionnaire's own words."""
        q = self.rubric.question(qid)
        return f"{q.topic}: {q.label(self.gold[qid])}."

    def reply(self, phase: str, current: str | None, message: str) -> str:
        if phase == "confirm" or current is None:
            return "yes"
        self.asked[current] += 1
        facts = self.facts.get(current, [])
        if self.asked[current] == 1 and facts:
            return facts[-1]  # the latest word on it (corrections come later in a transcript)
        return self.plain(current)


class SimulateContext(BaseModel):
    """Input of the simulate task (prompts/simulate.md)."""

    task: Literal["simulate"] = "simulate"
    persona: str
    facts: list[str]
    answers: dict[str, str]  # question id -> "question: gold option"
    phase: str
    message: str


class LLMInterviewee:
    """A model plays the interviewee; falls back to the scripted answer if the model gives nothing."""

    def __init__(self, iv: RecordedInterview, rubric: Rubric, gateway: Gateway) -> None:
        self.iv, self.rubric, self.gateway = iv, rubric, gateway
        self.scripted = ScriptedInterviewee(iv, rubric)
        self.calls: list[CallRecord] = []

    def reply(self, phase: str, current: str | None, message: str) -> str:
        ctx = SimulateContext(
            persona=self.iv.persona or "Someone responsible for how their organization runs AI",
            facts=self.iv.user_turns,
            answers={q.id: f"{q.text} → {q.label(self.iv.expected.answers[q.id])}" for q in self.rubric.questions},
            phase=phase, message=message,
        )
        text, calls = self.gateway.text("simulate", render("simulate", ctx))
        self.calls += calls
        return text or self.scripted.reply(phase, current, message)


def make_simulator(iv: RecordedInterview, rubric: Rubric, gateway: Gateway):
    """The LLM interviewee when a model is available, the scripted one with the offline engine."""
    if is_offline(gateway.model):
        return ScriptedInterviewee(iv, rubric)
    return LLMInterviewee(iv, rubric, gateway)
