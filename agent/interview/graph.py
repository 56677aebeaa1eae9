"""The interview as a LangGraph graph. Read it as the flow chart:

    greet → listen ─┬─ (command: skip/back/finish) ──────────────┐
                    ├─ (reply) → interpret ─(no model reachable: → listen)─→ plan ─┬→ ask → listen
                    ├─ (confirmed) → score → advise → report → listen    └→ confirm → listen
                    └─ (after the report) → followup → listen

`listen` is where the interviewee speaks: it pauses the graph with `interrupt()` and the face
resumes it with `Command(resume=reply)`. Every node is `traced` (a Langfuse span when tracing is
on, see agent.observability.tracing). Export the builder; faces compile it with the checkpointer they need
(SQLite in the apps, in-memory in tests).
"""

from __future__ import annotations

from langgraph.graph import START, StateGraph

from agent.interview.context import Services
from agent.interview.nodes.advise import advise
from agent.interview.nodes.ask import ask
from agent.interview.nodes.confirm import confirm
from agent.interview.nodes.followup import followup
from agent.interview.nodes.greet import greet
from agent.interview.nodes.interpret import interpret
from agent.interview.nodes.listen import listen
from agent.interview.nodes.plan import plan, route_after_plan
from agent.interview.nodes.report import report, score
from agent.interview.state import InterviewState
from agent.observability.tracing import traced


def route_after_listen(state: InterviewState) -> str:
    if state.get("phase") == "done":
        return "followup" if state.get("reply") else "listen"
    command = state.get("command")
    if command == "confirm":
        return "score"
    if command is not None or not state.get("reply"):
        return "plan"
    return "interpret"


def route_after_interpret(state: InterviewState) -> str:
    # No model could be reached: wait (the face says so and stops; resuming re-asks the question).
    return "listen" if state.get("outage") else "plan"


def build_graph() -> StateGraph[InterviewState, Services, InterviewState, InterviewState]:
    """The uncompiled interview graph."""
    g = StateGraph(InterviewState, context_schema=Services)
    g.add_node("greet", traced(greet))
    g.add_node("listen", traced(listen))
    g.add_node("interpret", traced(interpret))
    g.add_node("plan", traced(plan))
    g.add_node("ask", traced(ask))
    g.add_node("confirm", traced(confirm))
    g.add_node("score", traced(score))
    g.add_node("advise", traced(advise))
    g.add_node("report", traced(report))
    g.add_node("followup", traced(followup))

    g.add_edge(START, "greet")
    g.add_edge("greet", "listen")
    g.add_conditional_edges("listen", route_after_listen, ["interpret", "plan", "score", "followup", "listen"])
    g.add_conditional_edges("interpret", route_after_interpret, ["plan", "listen"])
    g.add_conditional_edges("plan", route_after_plan, {"ask": "ask", "confirm": "confirm"})
    g.add_edge("ask", "listen")
    g.add_edge("confirm", "listen")
    g.add_edge("score", "advise")
    g.add_edge("advise", "report")
    g.add_edge("report", "listen")
    g.add_edge("followup", "listen")
    return g
