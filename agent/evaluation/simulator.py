"""Simulated interviewees for `aiops-assess eval --simulate`: they answer the agent's own questions
from a recorded interview.

- ScriptedInterviewee (deterministic, used with the offline engine) behaves as an honest person
  who knows their facts but not the questionnaire: asked about a topic, it replies with what it
  said about that topic in the recorded interview (its own turns, verbatim); asked again, it has
  nothing to add; offered numbered options, it picks the one that is true (the gold option) or
  "none of these" when it is not offered; asked to confirm an inferred answer, it says yes only if
  it is right; at the review it confirms the list as shown (so the run measures the agent's
  reading). It never states an option in the questionnaire's words.
- LLMInterviewee (when a model is available): the model plays the interviewee from the persona,
  the recorded turns and the gold answers (prompts/simulate.md).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel

from agent.common.providers import is_offline
from agent.core.calls import CallRecord
from agent.core.prompts import render
from agent.core.rubric import Rubric
from agent.evaluation.interviews import RecordedInterview
from agent.evaluation.transcript import guesser
from agent.gateway.router import Gateway

NOTHING_TO_ADD = "I've told you what I know about that."
DONT_KNOW = "I'm not sure, I don't really know about that one."
NONE_OF_THESE = "None of these, really."


class ScriptedInterviewee:
    """Deterministic, honest interviewee (see the module docstring)."""

    def __init__(self, iv: RecordedInterview, rubric: Rubric) -> None:
        self.rubric = rubric
        self.gold = iv.expected.answers
        self.turns: list[str] = []  # the recorded user turns, in order
        self.about: dict[str, list[int]] = {}  # question → indexes of the turns that replied to it
        guess = guesser(rubric)
        transcript = iv.transcript
        for prev, nxt in itertools.pairwise(transcript):
            if prev.role == "assistant" and nxt.role == "user":
                self.turns.append(nxt.content)
                for q in guess.guess_all(prev.content):
                    self.about.setdefault(q, []).append(len(self.turns) - 1)
        self.given: set[int] = set()
        self.calls: list[CallRecord] = []

    def reply(self, state: Mapping[str, Any], message: str) -> str:
        """The reply to the agent's last message, given the session's state."""
        pending = state.get("pending") or {}
        if pending.get("kind") == "options":
            sets = pending.get("sets") or {pending["question"]: pending.get("options", [])}
            picks = [str(opts.index(self.gold[q]) + 1) if self.gold.get(q) in opts else str(len(opts) + 1)
                     for q, opts in sets.items()]
            if len(picks) == 1 and picks[0] == str(len(next(iter(sets.values()))) + 1):
                return NONE_OF_THESE
            return ", ".join(picks)
        if pending.get("kind") == "verify":
            answers = state.get("answers", {})
            checked = list(pending.get("questions", []))
            right = all(answers.get(q, {}).get("score") == self.gold.get(q) for q in checked)
            more = self._about([q for q in state.get("asking", []) if q not in checked])
            return " ".join(["Yes, that's right." if right else "No, that's not it.", more]).strip()
        if state.get("phase") == "confirm" or (not state.get("asking") and not state.get("current")):
            return "yes"
        asking = list(state.get("asking") or [state.get("current")])
        return self._about(asking) or (NOTHING_TO_ADD if any(q in self.about for q in asking) else DONT_KNOW)

    def _about(self, qids: list[str]) -> str:
        """The recorded turns about these questions not said yet, joined; "" when none."""
        idx = sorted({i for q in qids for i in self.about.get(q, []) if i not in self.given})
        self.given.update(idx)
        return " ".join(self.turns[i] for i in idx)


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

    def reply(self, state: Mapping[str, Any], message: str) -> str:
        ctx = SimulateContext(
            persona=self.iv.persona or "Someone responsible for how their organization runs AI",
            facts=self.iv.user_turns,
            answers={q.id: f"{q.text} → {q.label(self.iv.expected.answers[q.id])}" for q in self.rubric.questions},
            phase=str(state.get("phase", "interview")), message=message,
        )
        text, calls = self.gateway.text("simulate", render("simulate", ctx))
        self.calls += calls
        return text or self.scripted.reply(state, message)


def make_simulator(iv: RecordedInterview, rubric: Rubric, gateway: Gateway) -> ScriptedInterviewee | LLMInterviewee:
    """The LLM interviewee when a model is available, the scripted one with the offline engine."""
    if is_offline(gateway.model):
        return ScriptedInterviewee(iv, rubric)
    return LLMInterviewee(iv, rubric, gateway)
