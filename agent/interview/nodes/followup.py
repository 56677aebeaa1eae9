"""followup: after the report, answer a question about next steps from the model's passages and
the user's own assessment, with citations (see agent.reporting.followup)."""

from __future__ import annotations

from langgraph.runtime import Runtime

from agent.interview.context import Services
from agent.interview.notices import fallback_alerts
from agent.interview.state import InterviewState
from agent.reporting.followup import render_answer
from agent.reporting.followup_answer import answer_followup
from agent.retrieval.retriever import INDEX_UNAVAILABLE as UNAVAILABLE


def followup(state: InterviewState, runtime: Runtime[Services]) -> dict:
    question = state.get("reply") or ""
    try:
        ans, calls = answer_followup(runtime.context, dict(state), question)
    except UNAVAILABLE as exc:
        msg = f"I can't search the maturity model right now ({exc}). Your report is unaffected; try again later."
        return {"messages": [{"role": "assistant", "content": msg}]}
    alerts, announced = fallback_alerts(calls, state.get("announced", []))
    return {
        "messages": [{"role": "assistant", "content": "\n\n".join([*alerts, render_answer(ans)])}],
        "followups": [ans.model_dump(mode="json")],
        "calls": [c.model_dump() for c in calls], "announced": announced,
    }
