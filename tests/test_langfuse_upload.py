"""`aiops-assess eval --langfuse` against cassettes of the Langfuse public API (no server needed).

The cassettes (tests/cassettes/test_langfuse_upload/) are authored in the wire format of the
langfuse 5.0.4 SDK; tests/cassettes/README.md says how to re-record them against a real Langfuse.
Replaying (the default, pytest-recording's record mode "none") uses dummy keys and
http://localhost:3000 with the network blocked; a request the cassette lacks fails the test.

What goes where:
  REST (in the cassettes)  GET/POST /api/public/v2/datasets, POST /api/public/dataset-items,
                           GET /api/public/projects, POST /api/public/scores (background thread)
  OpenTelemetry spans      the experiment's traces: kept in memory when replaying (an exporter on
                           the test's own TracerProvider), sent to the server when recording but
                           never written to a cassette (protobuf, random ids)

Langfuse keeps one client per public key per process, so the exporter, the tracer provider and the
HTTP client that notes every request (`sent`) are shared by the session; each test gets a new
`Langfuse` object on them (fresh project-id cache) and cleared captures.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from agent.evaluation import langfuse_upload
from agent.evaluation.interviews import INTERVIEWS_DIR, load_interview
from agent.evaluation.langfuse_upload import DATASET_NAME, ITEM_SCORES, RUN_SCORES, LangfuseUploadError, item_id, upload
from agent.evaluation.results import summarize
from agent.evaluation.runner import Run

pytestmark = pytest.mark.block_network

CASSETTES = Path(__file__).resolve().parent / "cassettes"
REPLAY_BASE_URL = "http://localhost:3000"
REPLAY_KEYS = {"LANGFUSE_PUBLIC_KEY": "pk-lf-replay-00000000", "LANGFUSE_SECRET_KEY": "sk-lf-replay-00000000",
               "LANGFUSE_BASE_URL": REPLAY_BASE_URL}
RECORD_VARS = {"LANGFUSE_PUBLIC_KEY": "LANGFUSE_RECORD_PUBLIC_KEY", "LANGFUSE_SECRET_KEY": "LANGFUSE_RECORD_SECRET_KEY",
               "LANGFUSE_BASE_URL": "LANGFUSE_RECORD_BASE_URL"}
IDS = ("acme-retail-l2", "lindqvist-freight-l1", "sundial-edtech-l4")
RUN_1 = "offline/rubric transcript 2026-11-20T09:00:00Z"
RUN_2 = "offline/rubric transcript 2026-11-20T09:05:00Z"


def _before_record(request):
    """Spans (OTLP protobuf) never go into a cassette; every request is stored against the replay
    address, so the server you record against does not appear in the cassette."""
    if "/api/public/otel/" in request.path:
        return None
    parts, netloc = urlsplit(request.uri), urlsplit(REPLAY_BASE_URL).netloc
    request.uri = urlunsplit(("http", netloc, parts.path, parts.query, parts.fragment))
    if "host" in request.headers:
        request.headers["host"] = netloc
    return request


@pytest.fixture
def vcr_config():
    return {
        "filter_headers": ["authorization", "x-api-key", "api-key", "x-langfuse-public-key"],
        # method/host/path/query as usual; `langfuse_body` (tests/conftest.py) compares JSON bodies
        # exactly, except the random ids and timestamps inside a score batch.
        "match_on": ["method", "scheme", "host", "port", "path", "query", "langfuse_body"],
        "before_record_request": _before_record,
        "decode_compressed_response": True,
    }


@dataclass
class Capture:
    options: dict
    spans: object  # InMemorySpanExporter
    sent: list = field(default_factory=list)  # httpx.Request, as the SDK sent them

    def clear(self) -> None:
        self.spans.clear()
        self.sent.clear()

    def requests(self) -> list[tuple[str, str, object]]:
        """(method, path, JSON body) of every REST request sent."""
        return [(r.method, r.url.path, json.loads(r.content) if r.content else None) for r in self.sent]

    def bodies(self, method: str, path: str) -> list:
        return [b for m, p, b in self.requests() if (m, p) == (method, path)]

    def scores(self) -> list[dict]:
        return [s for batch in self.bodies("POST", "/api/public/scores") for s in batch]

    def finished_spans(self, name: str) -> list:
        return [s for s in self.spans.get_finished_spans() if s.name == name]


@pytest.fixture(scope="session")
def langfuse_keys(record_mode):
    if record_mode == "none":
        return REPLAY_KEYS
    missing = [v for k, v in RECORD_VARS.items() if k != "LANGFUSE_BASE_URL" and not os.environ.get(v)]
    if missing:
        pytest.fail(f"recording needs {' and '.join(missing)} (see tests/cassettes/README.md)")
    return {k: os.environ[v] for k, v in RECORD_VARS.items() if os.environ.get(v)}


@pytest.fixture(scope="session")
def capture(record_mode):
    import httpx
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    spans = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    sent: list = []
    options = {
        "tracer_provider": provider,
        "httpx_client": httpx.Client(timeout=10, event_hooks={"request": [sent.append]}),
        # Scores wait for flush() and go as ONE batch (the default sends every second or 15 scores,
        # which makes the batches depend on timing).
        "flush_at": 1000, "flush_interval": 3600,
    }
    if record_mode == "none":
        options["span_exporter"] = InMemorySpanExporter()  # replaying: no OTLP export at all
    return Capture(options, spans, sent)


@pytest.fixture
def client(capture, langfuse_keys, monkeypatch):
    for k in RECORD_VARS:
        monkeypatch.delenv(k, raising=False)
    for k, v in langfuse_keys.items():
        monkeypatch.setenv(k, v)
    capture.clear()
    return langfuse_upload.client_from_env(**capture.options)


@pytest.fixture(scope="module")
def evaluated():
    """Three recorded interviews and `summarize`d results: one scored perfectly, one with answers
    off by one and two, one with two questions unanswered (no level)."""
    from agent.core.rubric import load_rubric

    rubric = load_rubric()
    ivs = [load_interview(INTERVIEWS_DIR / f"{i}.yaml", rubric) for i in IDS]
    gold = {iv.id: dict(iv.expected.answers) for iv in ivs}
    off = dict(gold[IDS[1]])
    off["q1"] = min(5, off["q1"] + 1)
    off["q2"] = max(0, off["q2"] - 1)
    off["q3"] = off["q3"] + 2 if off["q3"] <= 3 else off["q3"] - 2
    partial = {q: s for q, s in gold[IDS[2]].items() if q not in ("q11", "q12")}
    predicted = {IDS[0]: gold[IDS[0]], IDS[1]: off, IDS[2]: partial}
    runs = [Run(id=i, predicted=predicted[i], model_calls=0, prompt_tokens=0, completion_tokens=0, cost_usd=0.0,
                model_latency_ms=0.0, seconds=0.1, user_turns=12) for i in IDS]
    results = summarize(rubric, ivs, runs, mode="transcript", model="offline/rubric", repeat=1, seconds=0.3)
    return ivs, results


def _replayed_completely(cassette, capture, record_mode) -> None:
    """Every request the test sent was played from the cassette and every recorded one was used.
    (A score batch the cassette lacks does not raise in the test: the SDK's background thread logs
    and drops it, so this check is what catches it.)"""
    if record_mode != "none":
        return
    assert cassette.all_played, "unused interactions in the cassette"
    assert cassette.play_count == len(capture.sent)


def _expected_item_scores(results: dict) -> dict[str, dict[str, float]]:
    out = {}
    for it in results["items"]:
        within = sum(1 for q, g in it["expected"].items() if q in it["predicted"] and abs(it["predicted"][q] - g) <= 1)
        out[it["id"]] = {"exact": round(it["exact"] / 12, 4), "within_one": round(within / 12, 4),
                         "level_correct": float(it["predicted_level"] == it["expected_level"])}
    return out


@pytest.mark.vcr
def test_first_upload_creates_dataset_items_and_experiment(client, capture, evaluated, vcr, record_mode):
    ivs, results = evaluated
    line = upload(ivs, results, client, run_name=RUN_1)

    rest = [(m, p) for m, p, _ in capture.requests()]
    assert rest[:2] == [("GET", f"/api/public/v2/datasets/{DATASET_NAME}"), ("POST", "/api/public/v2/datasets")]
    assert rest[2:5] == [("POST", "/api/public/dataset-items")] * 3
    assert set(rest[5:]) == {("GET", "/api/public/projects"), ("POST", "/api/public/scores")}
    assert capture.bodies("POST", "/api/public/v2/datasets")[0]["name"] == DATASET_NAME

    # one item per interview: stable id, the transcript in, the gold out, persona/notes/rubric version
    items = capture.bodies("POST", "/api/public/dataset-items")
    assert [b["id"] for b in items] == [item_id(i) for i in IDS] == [f"aiops-assess-{i}" for i in IDS]
    for body, iv in zip(items, ivs, strict=False):
        assert body["datasetName"] == DATASET_NAME
        assert body["input"] == [t.model_dump() for t in iv.transcript]
        assert body["expectedOutput"] == {"answers": iv.expected.answers, "total": iv.expected.total,
                                          "level": iv.expected.level}
        assert body["metadata"]["interview_id"] == iv.id and body["metadata"]["persona"] == iv.persona
        assert body["metadata"]["notes"] == iv.notes and body["metadata"]["rubric_version"]

    # the experiment: one trace per item, on the dataset items, task output = the results' predictions
    runs = capture.finished_spans("experiment-item-run")
    tasks = capture.finished_spans("experiment-item-task")
    assert len(runs) == len(tasks) == 3
    assert sorted(s.attributes["langfuse.experiment.item.id"] for s in tasks) == sorted(item_id(i) for i in IDS)
    experiment_ids = {s.attributes["langfuse.experiment.id"] for s in tasks}
    assert len(experiment_ids) == 1
    assert {s.attributes["langfuse.experiment.name"] for s in tasks} == {RUN_1}
    by_item = {s.attributes["langfuse.experiment.item.id"]: s for s in tasks}
    for it in results["items"]:
        out = json.loads(by_item[item_id(it["id"])].attributes["langfuse.observation.output"])
        assert out == {"answers": it["predicted"], "total": it["predicted_total"], "level": it["predicted_level"]}

    # item scores on each item's trace, values from `results`
    scores = capture.scores()
    item_scores = [s for s in scores if "traceId" in s]
    want = _expected_item_scores(results)
    assert len(item_scores) == 3 * len(ITEM_SCORES)
    trace_of = {s.attributes["langfuse.experiment.item.id"]: format(s.context.trace_id, "032x") for s in tasks}
    span_of = {s.attributes["langfuse.experiment.item.id"]: format(s.context.span_id, "016x") for s in tasks}
    for s in item_scores:
        iid = s["metadata"]["interview_id"]
        assert s["value"] == want[iid][s["name"]], (iid, s)
        assert s["traceId"] == trace_of[item_id(iid)] and s["observationId"] == span_of[item_id(iid)]
    assert {(s["metadata"]["interview_id"], s["name"]) for s in item_scores} == {(i, n) for i in IDS for n in ITEM_SCORES}
    assert want[IDS[0]] == {"exact": 1.0, "within_one": 1.0, "level_correct": 1.0}
    assert want[IDS[2]]["level_correct"] == 0.0 and want[IDS[1]]["exact"] == 0.75

    # run-level scores on the experiment: the run's aggregate metrics
    run_scores = {s["name"]: s for s in scores if "datasetRunId" in s}
    assert set(run_scores) == set(RUN_SCORES)
    assert {s["datasetRunId"] for s in run_scores.values()} == experiment_ids
    for name, s in run_scores.items():
        assert s["value"] == results["metrics"][name] and s["dataType"] == "NUMERIC"

    assert f"dataset '{DATASET_NAME}'" in line and RUN_1 in line and "9 item score(s) and 5 run score(s)" in line
    assert f"/experiments/results?baseline={experiment_ids.pop()}" in line
    assert "pk-lf" not in line and "sk-lf" not in line
    _replayed_completely(vcr, capture, record_mode)


@pytest.mark.vcr
def test_second_upload_upserts_the_same_items(client, capture, evaluated, vcr, record_mode):
    ivs, results = evaluated
    upload(ivs, results, client, run_name=RUN_1)
    first = capture.requests()
    n = len(first)
    upload(ivs, results, client, run_name=RUN_2)
    second = capture.requests()[n:]

    def item_ids(reqs):
        return [b["id"] for m, p, b in reqs if (m, p) == ("POST", "/api/public/dataset-items")]

    assert item_ids(first) == item_ids(second) == [item_id(i) for i in IDS]
    creates = [i for i, (m, p, _) in enumerate(first + second) if (m, p) == ("POST", "/api/public/v2/datasets")]
    assert len(creates) <= 1 and ("POST", "/api/public/v2/datasets") not in [(m, p) for m, p, _ in second]
    # each upload is its own experiment run
    run_ids = {s["datasetRunId"] for s in capture.scores() if "datasetRunId" in s}
    assert len(run_ids) == 2

    # the dataset holds each interview once
    dataset = client.get_dataset(DATASET_NAME)
    assert sorted(it.id for it in dataset.items) == sorted(item_id(i) for i in IDS)
    _replayed_completely(vcr, capture, record_mode)


@pytest.mark.vcr(record_mode="none")  # replayed even when the others are re-recorded
def test_an_unrecorded_request_fails(client, capture, evaluated):
    """Its cassette holds only GET /api/public/projects: the upload's first request is not in it."""
    from vcr.errors import CannotOverwriteExistingCassetteException

    ivs, results = evaluated
    with pytest.raises(CannotOverwriteExistingCassetteException):
        upload(ivs, results, client, run_name=RUN_1)


@pytest.mark.vcr(record_mode="none")  # authored, replayed even when the others are re-recorded
def test_refused_keys_are_a_clear_error(client, capture, evaluated, vcr):
    """Its cassette answers the first request with 401."""
    ivs, results = evaluated
    with pytest.raises(LangfuseUploadError, match="HTTP 401: the keys were refused") as err:
        upload(ivs, results, client, run_name=RUN_1)
    assert "sk-lf" not in str(err.value) and "pk-lf" not in str(err.value)
    _replayed_completely(vcr, capture, "none")


def test_missing_keys_is_a_clear_error_without_network(evaluated, monkeypatch, capsys):
    for k in ("LANGFUSE_PUBLIC_KEY", "LANGFUSE_SECRET_KEY", "LANGFUSE_BASE_URL"):
        monkeypatch.delenv(k, raising=False)
    ivs, results = evaluated
    with pytest.raises(LangfuseUploadError, match="LANGFUSE_PUBLIC_KEY and LANGFUSE_SECRET_KEY"):
        upload(ivs, results)
    monkeypatch.setenv("LANGFUSE_PUBLIC_KEY", REPLAY_KEYS["LANGFUSE_PUBLIC_KEY"])
    with pytest.raises(LangfuseUploadError, match="needs LANGFUSE_SECRET_KEY") as err:
        upload(ivs, results)
    assert REPLAY_KEYS["LANGFUSE_PUBLIC_KEY"] not in str(err.value)


KEY_PATTERNS = {
    "secret key": re.compile(r"(?<![A-Za-z0-9])sk-(?:lf-)?[A-Za-z0-9_-]{8,}"),
    "public key": re.compile(r"(?<![A-Za-z0-9])pk-lf-[A-Za-z0-9_-]+"),
    "basic auth": re.compile(r"Basic\s+[A-Za-z0-9+/=]{8,}"),
    "bearer token": re.compile(r"Bearer\s+[A-Za-z0-9._~+/=-]{8,}"),
    "auth header": re.compile(r"^\s*(authorization|x-api-key|api-key|x-langfuse-public-key):", re.I | re.M),
}


def test_no_cassette_contains_a_key():
    files = sorted(CASSETTES.rglob("*.yaml"))
    assert files, "no cassettes found"
    leaks = [f"{f.relative_to(CASSETTES)}: {what}" for f in files for what, rx in KEY_PATTERNS.items()
             if rx.search(f.read_text(encoding="utf-8"))]
    assert not leaks, leaks


def test_cli_reports_missing_keys_without_traceback(tmp_path, monkeypatch, aiops):
    """`aiops-assess eval --langfuse` without keys: exit 2 and one line, no traceback, before any
    interview is evaluated."""
    for k in ("LANGFUSE_PUBLIC_KEY", "LANGFUSE_SECRET_KEY"):
        monkeypatch.delenv(k, raising=False)
    r = aiops(["eval", str(INTERVIEWS_DIR / f"{IDS[0]}.yaml"), "--langfuse", "--out", str(tmp_path / "out")])
    assert r.returncode == 2
    assert "aiops-assess: --langfuse needs LANGFUSE_PUBLIC_KEY and LANGFUSE_SECRET_KEY" in r.stderr
    assert "Traceback" not in r.stderr and not (tmp_path / "out").exists()
