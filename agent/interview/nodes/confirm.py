"""confirm: show our understanding of every answer, with the evidence, and let the user confirm
or correct it before the report (human in the loop)."""

from __future__ import annotations

from langgraph.runtime import Runtime

from agent.core.schemas import AnswerRecord
from agent.core.understanding import understanding_line, understanding_lines
from agent.interview.context import Services
from agent.interview.state import InterviewState


def confirm(state: InterviewState, runtime: Runtime[Services]) -> dict:
    rubric = runtime.context.rubric
    answers = {q: AnswerRecord.model_validate(a) for q, a in state.get("answers", {}).items()}
    missing = [q.id for q in rubric.questions if q.id not in answers]
    ask_ok = ("Is this right? Reply **yes** for your report, or tell me what to change "
              "(e.g. \"actually we do have automatic failover\").")
    parts = list(state.get("notices", []))
    if state.get("phase") == "confirm":
        # A reply while reviewing: say what changed, or ask what to change; don't repeat the list.
        changed = [answers[q] for q in (state.get("update") or {}).get("changed", []) if q in answers]
        if not changed:
            parts.append("I didn't find a change in that. Tell me what to correct in your own words, "
                         "or reply **yes** for your report.")
            return _say(parts)
        parts.append("Noted:\n" + "\n".join(f"- {understanding_line(rubric, a)}" for a in changed))
        parts.append(ask_ok)
        return _say(parts)
    lines = understanding_lines(rubric, answers, missing)
    parts += ["Here is what I understood:", "\n".join(f"- {ln}" for ln in lines)]
    if missing:
        parts.append(f"{len(missing)} question(s) are unanswered; the report will say so. "
                     "You can still answer them now in your own words.")
    parts.append(ask_ok)
    return _say(parts)


def _say(parts: list[str]) -> dict:
    return {"messages": [{"role": "assistant", "content": "\n\n".join(parts)}], "phase": "confirm",
            "current": None, "notices": []}
