"""interpret: read the reply into the answers (agent.interview.reading, which the batch evaluation
shares): a pick from numbered options or a yes to "so it's X?" without a model, anything else with
one structured model call, corrections at the review step from their facts."""

from __future__ import annotations

from langgraph.runtime import Runtime

from agent.interview.context import Services
from agent.interview.notices import fallback_alerts
from agent.interview.reading import read_reply
from agent.interview.state import InterviewState


def interpret(state: InterviewState, runtime: Runtime[Services]) -> dict:
    svc = runtime.context
    reading = read_reply(
        svc, state["reply"], current=state.get("current"), asking=state.get("asking", []),
        answers=state.get("answers", {}), messages=state.get("messages", []), turn=state.get("user_turns", 0),
        pending=state.get("pending"), review=state.get("review") if state.get("phase") == "confirm" else None,
    )
    notices = [*state.get("notices", []), *reading.notices]
    alerts, announced = fallback_alerts(reading.calls, state.get("announced", []))
    out: dict = {"update": reading.update, "notices": notices, "calls": [c.model_dump() for c in reading.calls],
                 "outage": reading.outage, "pending": reading.pending, "alerts": [*state.get("alerts", []), *alerts],
                 "announced": announced}
    if reading.flags:
        # Recorded with the turn, so the report and the trace can show that a reply carried text
        # aimed at the assessor (and what the evidence check refused), not only that nothing changed.
        out["flags"] = [*state.get("flags", []), {"turn": state.get("user_turns", 0), **reading.flags}]
    if reading.update is None:
        return out
    if state.get("model") and svc.gateway.model != state.get("model"):
        # The gateway gave up on the configured model when it first loaded (e.g. unknown model).
        out["model"] = svc.gateway.model
        notices.append(svc.gateway.notice or f"Now using {svc.gateway.model}.")
    changed = set(reading.update.get("changed", []))
    conflicts = {q: s for q, s in (state.get("conflicts") or {}).items() if q not in changed}
    out["conflicts"] = {**conflicts, **reading.conflicts}
    out["choose"] = reading.choose
    out["hints"] = {**(state.get("hints") or {}), **reading.hints}
    if reading.declined:
        declined = dict(state.get("declined") or {})
        for q, opts in reading.declined.items():
            declined[q] = sorted({*declined.get(q, []), *opts})
        out["declined"] = declined
    return {**out, "answers": reading.answers}
