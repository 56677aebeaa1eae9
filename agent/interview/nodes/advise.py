"""advise: the recommended actions for the improvement areas, grounded in the transition guides'
passages (agent.reporting.advice_writer), kept for the report."""

from __future__ import annotations

from langgraph.runtime import Runtime

from agent.core.schemas import AnswerRecord
from agent.core.scoring import Assessment
from agent.interview.context import Services
from agent.interview.state import InterviewState
from agent.reporting.advice_writer import write_advice


def advise(state: InterviewState, runtime: Runtime[Services]) -> dict:
    assessment = Assessment.model_validate((state.get("result") or {})["assessment"])
    records = {q: AnswerRecord.model_validate(a) for q, a in state.get("answers", {}).items()}
    written = write_advice(runtime.context, assessment, records)
    out: dict = {"advice": written.advice.model_dump(mode="json"),
                 "calls": [c.model_dump() for c in written.calls]}
    if written.notices:
        out["notices"] = written.notices
    return out
