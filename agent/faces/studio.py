"""The interview graph for LangGraph's own server and LangGraph Studio (see langgraph.json).

`graph` is agent.interview.graph's builder compiled without a checkpointer (the server brings its own). The
nodes need the agent's Services (settings, rubric, model gateway) as run context, which a server
run cannot send as JSON, so this graph fills them in from config.yaml and the environment when a
run brings none; a run's context may still name the organization: {"organization": "Acme"}.
The thread id becomes the session name (tracing, report).

    uvx --from "langgraph-cli[inmem]" langgraph dev     # then open the Studio link it prints
"""

from __future__ import annotations

import functools
from typing import Any

from langgraph.graph.state import CompiledStateGraph

from agent.app import App
from agent.common.config import load_settings
from agent.interview.context import Services
from agent.interview.graph import build_graph
from agent.interview.state import InterviewState


@functools.lru_cache(maxsize=1)
def _app() -> App:
    """One composition root for the server process (config.yaml and the environment)."""
    return App(load_settings())


def services_for(config: Any, context: Any = None) -> Services:
    """The run's Services: as given, or built for the run's thread."""
    if isinstance(context, Services):
        return context
    thread = str(((config or {}).get("configurable") or {}).get("thread_id") or "studio")
    organization = context.get("organization") if isinstance(context, dict) else None
    return _app().services(thread, organization=organization)


class StudioGraph(CompiledStateGraph[InterviewState, Services, InterviewState, InterviewState]):
    """The compiled interview graph, with Services filled in when a run brings no context
    (`invoke`/`ainvoke` and the server's calls all go through `stream`/`astream`)."""

    def stream(self, input: Any, config: Any = None, *, context: Any = None, **kwargs: Any) -> Any:
        return super().stream(input, config, context=services_for(config, context), **kwargs)

    def astream(self, input: Any, config: Any = None, *, context: Any = None, **kwargs: Any) -> Any:
        return super().astream(input, config, context=services_for(config, context), **kwargs)


def make_graph() -> StudioGraph:
    compiled = build_graph().compile(name="aiops")
    return StudioGraph(**{k: v for k, v in compiled.__dict__.items() if k != "__orig_class__"})


graph = make_graph()
