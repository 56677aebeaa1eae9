"""Shared fixtures: an isolated data dir and config for every test, the offline engine as model,
the rubric and guides, the composition root, a scripted model, and the CLI run in-process."""

from __future__ import annotations

import io
import os
import sys
from dataclasses import dataclass

import pytest
from hypothesis import settings as hypothesis_settings

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
# Property tests run the same examples every time (CI must not flake on a new random draw).
hypothesis_settings.register_profile("deterministic", derandomize=True, deadline=None)
hypothesis_settings.load_profile("deterministic")


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path, monkeypatch):
    for key in list(os.environ):
        if key.startswith(("AIOPS_", "LANGFUSE_")) or key.endswith("_API_KEY") or key == "UV":
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AIOPS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("AIOPS_MODEL", "offline/rubric")


@pytest.fixture(scope="session")
def rubric():
    from agent.core.rubric import load_rubric

    return load_rubric()


@pytest.fixture(scope="session")
def transitions():
    from agent.core.transitions import load_transitions

    return load_transitions()


@pytest.fixture
def settings():
    from agent.common.config import load_settings

    return load_settings()


@pytest.fixture
def app(settings):
    """The composition root for this test's settings (offline engine)."""
    from agent.app import App

    return App(settings)


@pytest.fixture
def scripted():
    """A LiteLLM custom provider that replays scripted replies (see tests/scripted_provider.py)."""
    from tests.scripted_provider import Scripted

    return Scripted()


@pytest.fixture(scope="session")
def postgres_server():
    """The URL of a real PostgreSQL server: the one `.ci/run` started (AIOPS_TEST_POSTGRES_URL), else
    one started for this test run from Debian's binaries. Skipped when PostgreSQL is not installed,
    except in CI (CI=true), where that is a failure."""
    import subprocess

    from tests.pg_server import ENV_URL, PostgresServer

    if os.environ.get(ENV_URL):
        yield os.environ[ENV_URL]
        return
    try:
        server = PostgresServer()
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI needs PostgreSQL for the Postgres-backed tests: {exc}")
        pytest.skip(f"no PostgreSQL here ({exc}): apt-get install postgresql")
    yield server.url
    server.stop()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def storage_url(request, tmp_path):
    """Each storage backend in turn: an SQLite file, and a new database on the Postgres server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/store.sqlite"
    from tests.pg_server import fresh_database

    return fresh_database(request.getfixturevalue("postgres_server"))


@pytest.fixture
def web(settings, monkeypatch):
    """The web page's handlers in-process (no server), on the offline engine."""
    from agent.app import App
    from agent.faces.web.page import WebChat

    chat = WebChat(App(settings))
    chat.blocks()
    yield chat
    chat.pool.close_all()


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def aiops(capsys, monkeypatch):
    """Run `aiops-assess ARGS` in this process, as a user with no API key would (a hosted model
    configured, so the offline fallback notice shows), replies piped on stdin."""
    from agent.faces.cli import main

    monkeypatch.setenv("AIOPS_MODEL", "openai/gpt-5.4-mini")
    monkeypatch.setenv("COLUMNS", "120")

    def run(args: list[str], stdin: str | bytes = "") -> CliResult:
        data = stdin.encode() if isinstance(stdin, str) else stdin
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))
        capsys.readouterr()
        code = main(args)
        out, err = capsys.readouterr()
        return CliResult(code, out, err)

    return run


def pytest_recording_configure(config, vcr):
    """Register the cassette matchers and serializers the recorded-API tests use (pytest-recording
    calls this for every cassette)."""
    from tests.cassette_yaml import PrettyYaml, provider_body

    vcr.register_matcher("langfuse_body", langfuse_body)
    # tests/test_providers.py: readable cassettes (pretty JSON bodies) and JSON-aware body matching
    vcr.register_serializer("pretty_yaml", PrettyYaml)
    vcr.register_matcher("provider_body", provider_body)


# In a Langfuse score batch these are random or the clock: score ids, timestamps and the ids of
# the OpenTelemetry trace/observation a score belongs to (traces are exported as spans, not REST).
_VOLATILE_SCORE_FIELDS = ("id", "timestamp", "traceId", "observationId")


def langfuse_body(r1, r2) -> None:
    """Request bodies equal as JSON data; for POST /api/public/scores, equal as a set of scores
    without their volatile fields (the SDK batches scores in a background thread)."""
    import json

    def load(r):
        raw = r.body.decode() if isinstance(r.body, bytes) else r.body
        try:
            return json.loads(raw) if raw else None
        except ValueError:
            return raw

    b1, b2 = load(r1), load(r2)
    if r1.path.endswith("/api/public/scores") and isinstance(b1, list) and isinstance(b2, list):
        def norm(batch):
            kept = [{k: v for k, v in s.items() if k not in _VOLATILE_SCORE_FIELDS} for s in batch]
            return sorted(json.dumps(s, sort_keys=True) for s in kept)

        b1, b2 = norm(b1), norm(b2)
    assert b1 == b2, f"bodies differ:\n{b1!r}\n{b2!r}"
