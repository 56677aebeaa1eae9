"""confirm: show our understanding of every answer, with the evidence, and let the user confirm
or correct it in plain words before the report (human in the loop)."""

from __future__ import annotations

from langgraph.runtime import Runtime

from agent.core.answers import records
from agent.core.attachment import in_scope, scope_of
from agent.core.rubric import Rubric
from agent.core.screening import load_injection
from agent.core.understanding import change_line, understanding_lines
from agent.interview.context import Services
from agent.interview.state import InterviewState

ASK_OK = ("Is this right? Reply **yes** for your report, or tell me what to change in your own words "
          "(e.g. \"actually we do have automatic failover\", \"tracing should be higher\").")


def confirm(state: InterviewState, runtime: Runtime[Services]) -> dict:
    rubric = runtime.context.rubric
    # A respondent asked about some dimensions only reviews those (the others are their colleagues').
    asked = in_scope(rubric, scope_of(state))
    answers = {q: a for q, a in records(state.get("answers", {})).items() if q in asked}
    missing = [q for q in asked if q not in answers]
    parts = [*state.get("alerts", []), *state.get("notices", [])]
    if state.get("phase") == "confirm" and state.get("command") != "show_list":
        # A reply while reviewing: say what changed (old → new), or ask what to change.
        changes = (state.get("update") or {}).get("changes", [])
        raise_ = state.get("pending") or {}
        if raise_.get("kind") == "raise":
            # Raising several answers at once, or one by more than an option with nothing new said:
            # asked about before it is applied (agent.core.review.raises_to_confirm).
            if changes:
                parts.append("Noted:\n" + "\n".join(f"- {change_line(rubric, c)}" for c in changes))
            parts.append(raise_question(rubric, raise_))
            return _say(parts, keep_pending=True)
        if not changes:
            parts.append("I didn't find a change in that. Name what to correct and how it really is, in your "
                         "own words (e.g. \"budgets: we get alerts at 80%\"), ask me to **show the list** "
                         "again, or reply **yes** for your report.")
            return _say(parts)
        parts.append("Noted:\n" + "\n".join(f"- {change_line(rubric, c)}" for c in changes))
        parts.append(ASK_OK)
        return _say(parts)
    lines = understanding_lines(rubric, answers, missing)
    parts += ["Here is what I understood:", "\n".join(f"- {ln}" for ln in lines)]
    if missing:
        parts.append(f"{len(missing)} question(s) are unanswered; the report will say so. "
                     "You can still answer them now in your own words.")
    parts.append(ASK_OK)
    return _say(parts)


def raise_question(rubric: Rubric, pending: dict) -> str:
    """"You asked to raise Provider outage from 0 to 5 — what changed? ..." (knowledge/injection.yaml)."""
    say = load_injection().say
    items = []
    for qid in pending.get("questions", []):
        q = rubric.question(qid)
        old = pending.get("old", {}).get(qid)
        items.append(say["raise_item"].format(topic=q.topic, old="unanswered" if old is None else old,
                                              new=pending["proposed"][qid]["score"]))
    several = len(items) > 1
    template = say["confirm_described"] if pending.get("described") else say["confirm_raise"]
    return template.format(changes=", ".join(items[:-1]) + " and " + items[-1] if several else items[0],
                           it_them="them" if several else "it",
                           the_answers="the answers as they are" if several else "the answer as it is")


def _say(parts: list[str], keep_pending: bool = False) -> dict:
    out = {"messages": [{"role": "assistant", "content": "\n\n".join(parts)}], "phase": "confirm",
           "current": None, "asking": [], "notices": [], "alerts": []}
    if not keep_pending:
        out["pending"] = None
    return out
