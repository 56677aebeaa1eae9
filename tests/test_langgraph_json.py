"""langgraph.json (for LangGraph's server and Studio) points at a graph that imports, compiles and runs."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

from langgraph.checkpoint.memory import InMemorySaver
from langgraph.pregel import Pregel
from langgraph.types import Command

ROOT = Path(__file__).resolve().parent.parent
CONFIG = json.loads((ROOT / "langgraph.json").read_text())


def _load(spec: str):
    """Import 'PATH.py:NAME' by file path, as LangGraph's server does; a factory is called."""
    path, _, attr = spec.partition(":")
    file = (ROOT / path).resolve()
    assert file.is_file() and file.is_relative_to(ROOT), spec
    mod_spec = importlib.util.spec_from_file_location(f"_langgraph_json_{file.stem}", file)
    module = importlib.util.module_from_spec(mod_spec)
    sys.modules[mod_spec.name] = module
    mod_spec.loader.exec_module(module)
    obj = getattr(module, attr)
    return obj if isinstance(obj, Pregel) else obj()


def test_config_shape():
    assert CONFIG["dependencies"] == ["."]
    assert set(CONFIG["graphs"]) == {"aiops"}
    assert CONFIG["python_version"] == "3.11"


def test_graph_path_imports_and_compiles():
    graph = _load(CONFIG["graphs"]["aiops"])
    assert isinstance(graph, Pregel)
    nodes = set(graph.get_graph().nodes)
    assert {"greet", "listen", "interpret", "plan", "ask", "confirm", "score", "advise", "report",
            "followup"} <= nodes
    assert graph.checkpointer is None  # the server brings its own


def test_graph_runs_without_context_as_the_server_calls_it():
    """A server run sends no Services: the graph fills them in (thread id = session name)."""
    graph = _load(CONFIG["graphs"]["aiops"]).copy({"checkpointer": InMemorySaver()})
    config = {"configurable": {"thread_id": "studio-test"}}
    out = graph.invoke({}, config)
    assert "Maturity Model" in out["messages"][-1]["content"] and out["__interrupt__"]
    out = graph.invoke(Command(resume="Everything goes through our LiteLLM proxy."), config)
    assert out["answers"]["q1"]["score"] == 2
    assert out["model"] == "offline/rubric"
