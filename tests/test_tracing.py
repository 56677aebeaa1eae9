"""Langfuse tracing, offline: spans go to an in-memory OpenTelemetry exporter, scores to a stand-in
for the SDK's REST call (`api.scores.create`), and nothing may touch the network.

Langfuse keeps one client per public key for the life of the process, so the whole test session
shares ONE client and exporter (`langfuse_client`), cleared before each test.
"""

from __future__ import annotations

import builtins
import json
import logging
import os
import re
import socket
import warnings
from dataclasses import dataclass, field

import pytest

from agent.core.prompts import prompt_versions
from agent.observability import tracing
from tests.helpers import TO_REVIEW, new_interview, run_script

KEYS = {"LANGFUSE_PUBLIC_KEY": "pk-lf-aiops-assess-test", "LANGFUSE_SECRET_KEY": "sk-lf-aiops-assess-test",
        "LANGFUSE_BASE_URL": "http://127.0.0.1:9"}
NODES = {"greet", "listen", "interpret", "plan", "ask", "confirm", "score", "advise", "report"}
SECRETS = ("jane.doe@example.com", "sk-abc123def456ghi789jkl")
LEAKY = "mail me at jane.doe@example.com, key sk-abc123def456ghi789jkl"


@dataclass
class Capture:
    client: object
    exporter: object
    scores: list = field(default_factory=list)

    def clear(self) -> None:
        tracing.flush()
        self.exporter.clear()
        self.scores.clear()

    def spans(self) -> list:
        tracing.flush()
        return sorted(self.exporter.get_finished_spans(), key=lambda s: s.start_time)


@pytest.fixture(scope="session")
def langfuse_client():
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    client = tracing.init(public_key=KEYS["LANGFUSE_PUBLIC_KEY"], secret_key=KEYS["LANGFUSE_SECRET_KEY"],
                          base_url=KEYS["LANGFUSE_BASE_URL"], span_exporter=exporter,
                          tracer_provider=TracerProvider())
    cap = Capture(client, exporter)
    # Scores do not travel as spans: a background thread POSTs them to /api/public/scores.
    client.api.scores.create = lambda *, request, request_options=None: cap.scores.extend(request)
    return cap


def _connect_forbidden(*args, **kwargs):
    raise AssertionError(f"network connection attempted: {args}")


@pytest.fixture
def traced(langfuse_client, monkeypatch):
    """Tracing on (keys in the environment), the capture cleared, the network blocked."""
    for k, v in KEYS.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setattr(tracing, "_client", langfuse_client.client)
    monkeypatch.setattr(socket.socket, "connect", _connect_forbidden)
    langfuse_client.clear()
    return langfuse_client


@pytest.fixture(scope="module")
def full_run(langfuse_client, tmp_path_factory):
    """One whole interview to the report with tracing on (shared: it takes a few seconds)."""
    with pytest.MonkeyPatch.context() as mp:
        for key in list(os.environ):
            if key.startswith("AIOPS_") or key.endswith("_API_KEY"):
                mp.delenv(key)
        mp.setenv("AIOPS_DATA_DIR", str(tmp_path_factory.mktemp("tracing") / "data"))
        mp.setenv("AIOPS_MODEL", "offline/rubric")
        for k, v in KEYS.items():
            mp.setenv(k, v)
        mp.setattr(tracing, "_client", langfuse_client.client)
        mp.setattr(socket.socket, "connect", _connect_forbidden)
        langfuse_client.clear()
        iv = new_interview("acme")
        run_script(iv, [*TO_REVIEW, "yes"])
        spans = langfuse_client.spans()
        return iv, spans, list(langfuse_client.scores)


def _hex(n: int, width: int) -> str:
    return format(n, f"0{width}x")


def _attrs(span) -> dict:
    return dict(span.attributes or {})


def _json(span, key):
    return json.loads(_attrs(span)[key])


# --- the span tree ---------------------------------------------------------------------------------

def test_one_trace_for_the_session_with_a_span_per_node(full_run):
    iv, spans, _ = full_run
    trace_id = iv.state["trace_id"]  # random per session, kept in its state
    assert re.fullmatch(r"[0-9a-f]{32}", trace_id)
    assert {_hex(s.context.trace_id, 32) for s in spans} == {trace_id}
    turns = [s for s in spans if s.name == "turn"]
    assert len(turns) == len(TO_REVIEW) + 2  # the start and every reply
    assert all(_attrs(t)["langfuse.internal.as_root"] for t in turns)
    by_id = {s.context.span_id: s for s in spans}
    nodes = [s for s in spans if _attrs(s)["langfuse.observation.type"] == "span" and s.name != "turn"]
    assert {s.name for s in nodes} >= NODES
    assert all(by_id[s.parent.span_id].name == "turn" for s in nodes)


def test_generations_are_children_of_the_node_that_made_them(full_run):
    iv, spans, _ = full_run
    by_id = {s.context.span_id: s for s in spans}
    gens = [s for s in spans if _attrs(s)["langfuse.observation.type"] == "generation"]
    assert len(gens) == len(iv.state["calls"])  # one generation per model call
    parents = {(g.name, by_id[g.parent.span_id].name) for g in gens}
    assert {("interpret", "interpret"), ("ask", "ask"), ("summary", "report")} <= parents
    assert all(by_id[g.parent.span_id].parent.span_id in by_id for g in gens)  # node → turn


def test_generations_carry_model_usage_and_cost(full_run):
    _, spans, _ = full_run
    gen = next(s for s in spans if s.name == "interpret" and _attrs(s)["langfuse.observation.type"] == "generation")
    a = _attrs(gen)
    assert a["langfuse.observation.model.name"] == "offline/rubric"
    usage = _json(gen, "langfuse.observation.usage_details")
    assert usage["input"] > 0 and usage["output"] > 0 and usage["total"] == usage["input"] + usage["output"]
    assert _json(gen, "langfuse.observation.cost_details") == {"total": 0.0}
    assert _json(gen, "langfuse.observation.metadata.prompt_version") == prompt_versions()["interpret"]
    messages = _json(gen, "langfuse.observation.input")
    assert [m["role"] for m in messages] == ["system", "user"]
    assert "answers" in _json(gen, "langfuse.observation.output")


def test_trace_carries_session_rubric_prompt_versions_and_model(full_run, rubric):
    _, spans, _ = full_run
    for s in spans:
        a = _attrs(s)
        assert a["session.id"] == "acme" and a["langfuse.trace.name"] == tracing.TRACE_NAME
        assert json.loads(a["langfuse.trace.metadata.rubric_version"]) == rubric.version
        assert json.loads(a["langfuse.trace.metadata.model"]) == "offline/rubric"
        for name, sha in prompt_versions().items():
            assert json.loads(a[f"langfuse.trace.metadata.prompt_{name}"]) == sha


def test_report_answers_become_scores(full_run):
    iv, _, scores = full_run
    assessment = iv.state["result"]["assessment"]
    by_name = {s["name"]: s for s in scores}
    assert set(by_name) == {*(f"q{i}" for i in range(1, 13)), "total", "level"}
    for q, value in assessment["answers"].items():
        assert by_name[q]["value"] == value and 0 <= value <= 5
    assert by_name["total"]["value"] == assessment["total"] and by_name["level"]["value"] == assessment["level"]
    trace_id = iv.state["trace_id"]
    assert {s["traceId"] for s in scores} == {trace_id} and {s["dataType"] for s in scores} == {"NUMERIC"}
    assert by_name["q1"]["id"] == f"{trace_id}-q1"  # re-scoring the same session replaces, not duplicates
    assert by_name["q1"]["metadata"]["rubric_version"] == iv.state["result"]["rubric_version"]
    assert by_name["q1"]["comment"] == iv.state["result"]["answers"]["q1"]["evidence"]


def test_listen_pausing_is_not_an_error(full_run):
    _, spans, _ = full_run
    paused = [s for s in spans if _attrs(s).get("langfuse.observation.status_message", "").startswith("paused")]
    assert paused and {s.name for s in paused} == {"listen"}
    assert all(s.status.is_ok for s in paused) and not any(s.events for s in paused)


def test_the_same_trace_across_turns_and_restarts(traced):
    from langgraph.checkpoint.memory import InMemorySaver

    saver = InMemorySaver()
    first = new_interview("restart-me", saver)
    run_script(first, ["Everything goes through our LiteLLM proxy."])
    again = new_interview("restart-me", saver)  # a new process would open the same session like this
    again.reply("When OpenAI is down it fails over to Anthropic automatically.")
    new_interview("someone-else").start()
    traces = {}
    for s in traced.spans():
        if s.name == "turn":
            traces.setdefault(_attrs(s)["session.id"], set()).add(s.context.trace_id)
    assert len(traces["restart-me"]) == 1 and traces["restart-me"] != traces["someone-else"]


def test_streamed_and_failed_calls_are_generations_too_but_only_inside_a_turn(traced, scripted):
    import litellm

    from agent.common.config import load_settings
    from tests.scripted_provider import scripted_gateway

    gw = scripted_gateway(load_settings().model_copy(update={"num_retries": 0}), scripted)
    msgs = [{"role": "user", "content": f"Read this: {LEAKY}"}]
    scripted.replies.extend(["Not traced.", "How do your applications reach AI models?",
                             litellm.ServiceUnavailableError("down", llm_provider="scripted", model="primary")])
    gw.text("ask", msgs)  # outside a turn: no trace at all
    with tracing.turn("gw", reply=None, rubric_version="1", model=gw.model):
        text, _ = gw.text("ask", msgs, on_token=lambda tok: None)
        failed, _calls = gw.text("ask", msgs)
    streamed, down = [s for s in traced.spans() if s.name == "ask"]
    assert _attrs(streamed)["langfuse.observation.output"] == text
    assert _json(streamed, "langfuse.observation.usage_details")["input"] == 100
    assert _attrs(streamed)["langfuse.observation.model.name"].endswith("primary")  # as the provider named it
    assert failed is None and _attrs(down)["langfuse.observation.level"] == "ERROR"
    assert "ServiceUnavailable" in _attrs(down)["langfuse.observation.status_message"]
    assert LEAKY not in _attrs(down)["langfuse.observation.input"]


# --- masking ---------------------------------------------------------------------------------------

def test_secrets_and_personal_data_never_leave_unmasked(traced):
    iv = new_interview("masked")
    run_script(iv, [f"We route everything through LiteLLM; {LEAKY}. Call +44 20 7946 0958."])
    spans = traced.spans()
    exported = " ".join(str(v) for s in spans for v in _attrs(s).values())
    assert "[EMAIL]" in exported and "[API_KEY]" in exported and "[PHONE]" in exported
    for secret in (*SECRETS, "7946 0958"):
        assert secret not in exported
    gen = next(s for s in spans if _attrs(s)["langfuse.observation.type"] == "generation")
    assert "[EMAIL]" in _attrs(gen)["langfuse.observation.input"]


def test_ip_addresses_national_numbers_and_dates_of_birth_are_masked_too(traced):
    seeded = ("10.20.30.40", "2001:db8:85a3::8a2e:370:7334", "fe80::1", "536-90-4399", "12/03/1985")
    iv = new_interview("masked-ip")
    run_script(iv, ["Everything goes through our LiteLLM proxy at 10.20.30.40 (IPv6 2001:db8:85a3::8a2e:370:7334, "
                    "fe80::1 on the lab network); a ticket held the SSN 536-90-4399 of someone born 12/03/1985."])
    exported = " ".join(str(v) for s in traced.spans() for v in _attrs(s).values())
    assert "[IP]" in exported and "[NATIONAL_ID]" in exported and "born [DOB]" in exported
    for value in seeded:
        assert value not in exported
    assert "LiteLLM proxy at [IP]" in exported  # the rest of the reply stays readable


def test_score_comments_are_masked(traced):
    result = {"rubric_version": "1", "model": "m", "answers": {"q1": {"evidence": LEAKY}},
              "assessment": {"answers": {"q1": 2}, "total": 2, "level": None, "complete": False}}
    tracing.score_report("masked", result)
    tracing.flush()
    (q1,), total = [s for s in traced.scores if s["name"] == "q1"], [s for s in traced.scores if s["name"] == "total"]
    assert q1["comment"] == "mail me at [EMAIL], key [API_KEY]"
    assert total[0]["value"] == 2 and "level" not in {s["name"] for s in traced.scores}  # partial: no level


# --- off, and failing ------------------------------------------------------------------------------

def test_without_keys_tracing_is_a_silent_no_op(langfuse_client, monkeypatch, caplog):
    for k in KEYS:
        monkeypatch.delenv(k, raising=False)
    langfuse_client.clear()
    imported, connects = [], []
    real_import = builtins.__import__

    def spy(name, *args, **kwargs):
        if name.startswith("langfuse"):
            imported.append(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", spy)
    monkeypatch.setattr(socket.socket, "connect", lambda *a: connects.append(a) or _connect_forbidden(*a))
    caplog.set_level(logging.DEBUG)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        iv = new_interview("quiet")
        run_script(iv, ["Everything goes through our LiteLLM proxy.", LEAKY])
        tracing.score_report("quiet", {"assessment": {"answers": {"q1": 2}, "total": 2}})
        tracing.flush()
    assert len(iv.state["answers"]) >= 1
    assert not imported and not connects and not caught
    assert not [r for r in caplog.records if r.name.startswith(("agent.observability.tracing", "langfuse", "opentelemetry"))]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert not langfuse_client.spans() and not langfuse_client.scores


@pytest.mark.parametrize("broken", ["start", "update"])
def test_a_failing_tracer_never_breaks_the_interview(traced, monkeypatch, broken):
    from contextlib import contextmanager

    def boom(*args, **kwargs):
        raise RuntimeError("langfuse is down")

    real_start = traced.client.start_as_current_observation

    @contextmanager
    def failing_updates(*args, **kwargs):
        with real_start(*args, **kwargs) as observation:
            observation.update = boom  # every observation this client hands out fails to update
            yield observation

    monkeypatch.setattr(traced.client, "start_as_current_observation",
                        boom if broken == "start" else failing_updates)
    monkeypatch.setattr(traced.client, "create_score", boom)
    iv = new_interview("broken")
    msgs = run_script(iv, ["Everything goes through our LiteLLM proxy."])
    assert iv.state["answers"]["q1"]["score"] == 2 and len(msgs) == 2
    tracing.score_report("broken", {"assessment": {"answers": {"q1": 2}, "total": 2}})
    assert not traced.scores


def test_two_sessions_with_the_same_name_get_different_traces(tmp_path):
    from agent.app import App
    from agent.common.config import load_settings
    from agent.interview.store import open_checkpointer

    settings = load_settings().model_copy(update={"model": "offline/rubric"})
    ids = []
    for place in ("alice", "bob"):  # two people, two machines (data dirs), one session name
        with open_checkpointer(tmp_path / place, "acme") as saver:
            iv = App(settings).interview("acme", saver)
            iv.start()
            ids.append(iv.state["trace_id"])
    assert ids[0] != ids[1]
    with open_checkpointer(tmp_path / "alice", "acme", must_exist=True) as saver:
        assert App(settings).interview("acme", saver).state["trace_id"] == ids[0]  # kept on resume
