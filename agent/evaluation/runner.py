"""Running recorded interviews through the agent: transcript mode and simulated mode.

Transcript mode feeds each recorded user turn through the agent's own interpretation
(agent.interview.reading.read_reply, exactly what the interpret node runs), in order, with the
recorded interviewer turns as context. Simulated mode runs the whole interview graph and lets a
simulated interviewee (agent.evaluation.simulator) answer the agent's own questions.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Literal

from pydantic import BaseModel, Field

from agent.app import App
from agent.common.text import clean_reply
from agent.core.calls import CallRecord, Usage
from agent.evaluation.interviews import RecordedInterview, TranscriptTurn
from agent.evaluation.transcript import guesser
from agent.interview.context import Services
from agent.interview.reading import read_reply
from agent.interview.state import Message

Mode = Literal["transcript", "simulate"]
MAX_SIMULATED_TURNS = 60


class Run(BaseModel):
    """One interview run once."""

    id: str
    repeat: int = 0
    predicted: dict[str, int]
    model_calls: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    model_latency_ms: float
    seconds: float
    user_turns: int
    finished: bool = True  # simulated: the agent reached its report
    error: str | None = None
    models: list[str] = Field(default_factory=list)
    answers_read: int = 0  # readings the model returned ...
    answers_dropped: int = 0  # ... and those dropped (quote not in the user's words, or invalid)
    fallback_calls: int = 0  # calls answered by another model than the one evaluated


def _usage(calls: Sequence[CallRecord]) -> dict:
    u = Usage.of(calls)
    return {"model_calls": u.model_calls, "prompt_tokens": u.prompt_tokens, "completion_tokens": u.completion_tokens,
            "cost_usd": u.cost_usd, "model_latency_ms": u.latency_ms, "models": u.models,
            "answers_read": sum(c.answers_read for c in calls), "answers_dropped": sum(c.answers_dropped for c in calls),
            "fallback_calls": sum(1 for c in calls if c.ok and c.fallback_from)}


def run_transcript(svc: Services, iv: RecordedInterview, repeat: int = 0) -> Run:
    """The agent's reading of a recorded interview, turn by turn."""
    t0 = time.perf_counter()
    answers, calls, turn = read_transcript(svc, iv.transcript)
    return Run(
        id=iv.id, repeat=repeat, predicted={q: a["score"] for q, a in answers.items()},
        seconds=round(time.perf_counter() - t0, 3), user_turns=turn, **_usage(calls),
    )


def read_transcript(svc: Services, transcript: Sequence[TranscriptTurn]) -> tuple[dict[str, dict], list[CallRecord], int]:
    """(answers as an interview's state holds them, the model calls, the user turns) of the agent's
    reading of a recorded transcript, turn by turn."""
    guess = guesser(svc.rubric)
    limit = svc.settings.input.max_reply_chars
    answers: dict[str, dict] = {}
    messages: list[Message] = []
    calls: list[CallRecord] = []
    current: str | None = None
    turn = 0
    for t in transcript:
        if t.role == "assistant":
            messages.append({"role": "assistant", "content": t.content})
            current = guess.guess(t.content)
            continue
        reply, _ = clean_reply(t.content, limit)
        messages.append({"role": "user", "content": reply})
        turn += 1
        reading = read_reply(svc, reply, current=current, answers=answers, messages=messages, turn=turn)
        answers = reading.answers
        calls += reading.calls
    return answers, calls, turn


def run_simulated(app: App, iv: RecordedInterview, repeat: int = 0,
                  simulator_factory: Callable | None = None) -> Run:
    """A whole interview through the graph, the interviewee played by a simulator."""
    from langgraph.checkpoint.memory import InMemorySaver

    from agent.evaluation.simulator import make_simulator

    t0 = time.perf_counter()
    agent = app.interview(f"eval-{iv.id}-{repeat}", InMemorySaver())
    sim = (simulator_factory or make_simulator)(iv, app.rubric, app.gateway)
    said = agent.start()
    turns = 0
    while not agent.is_done and turns < MAX_SIMULATED_TURNS:
        reply = sim.reply(agent.state, said[-1] if said else "")
        said = agent.reply(reply)
        turns += 1
    st = agent.state
    calls = [CallRecord.model_validate(c) for c in st.get("calls", [])] + sim.calls
    return Run(
        id=iv.id, repeat=repeat, predicted={q: a["score"] for q, a in st.get("answers", {}).items()},
        seconds=round(time.perf_counter() - t0, 3), user_turns=turns, finished=agent.is_done, **_usage(calls),
    )


def run_all(
    app: App,
    interviews: Sequence[RecordedInterview],
    *,
    mode: Mode = "transcript",
    repeat: int = 1,
    concurrency: int = 1,
    on_done: Callable[[Run], None] | None = None,
) -> list[Run]:
    """Every interview `repeat` times, `concurrency` at once; a failing run is recorded, not raised."""
    jobs = [(iv, k) for k in range(repeat) for iv in interviews]

    def one(job: tuple[RecordedInterview, int]) -> Run:
        iv, k = job
        try:
            if mode == "simulate":
                res = run_simulated(app, iv, k)
            else:
                res = run_transcript(app.services(iv.id), iv, k)
        except Exception as exc:  # noqa: BLE001 - one broken run must not end the batch
            res = Run(id=iv.id, repeat=k, predicted={}, model_calls=0, prompt_tokens=0, completion_tokens=0,
                      cost_usd=0.0, model_latency_ms=0.0, seconds=0.0, user_turns=0, finished=False,
                      error=f"{type(exc).__name__}: {exc}")
        if on_done:
            on_done(res)
        return res

    if concurrency <= 1:
        return [one(j) for j in jobs]
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        return list(pool.map(one, jobs))
