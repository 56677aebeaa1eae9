"""A model that fails is never hidden (issue 12): permanent failures (rejected key, no quota,
unknown model) are told apart from passing ones, stop or fall back as configured, and every
fallback is announced once and recorded with each answer. The providers' real error responses
(tests/fixtures/provider_errors.yaml) come from a local server."""

from __future__ import annotations

import io
import sys

import pytest

from agent.faces.exits import EXIT_UNAVAILABLE
from tests.error_server import error_server
from tests.helpers import FULL

HOSTED = {"openai": "openai/gpt-5.4-mini", "anthropic": "anthropic/claude-haiku-4-5",
          "ollama": "ollama_chat/llama3.1"}
KEYS = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}


def _use(monkeypatch, provider: str, srv, policy: str | None = None) -> None:
    monkeypatch.setenv("AIOPS_MODEL", HOSTED[provider])
    monkeypatch.setenv("AIOPS_NUM_RETRIES", "0")
    if provider == "ollama":
        monkeypatch.setenv("OLLAMA_API_BASE", srv.url)
    else:
        monkeypatch.setenv(KEYS[provider], "sk-test-not-a-real-key")
        monkeypatch.setenv("AIOPS_API_BASE", srv.url + ("/v1" if provider == "openai" else ""))
    if policy:
        monkeypatch.setenv("AIOPS_ON_PERMANENT_ERROR", policy)


# -- what each real error means -------------------------------------------------------------------
@pytest.mark.parametrize("provider,error,kind,permanent,says", [
    ("openai", "bad_key", "auth", True, "OpenAI rejected the API key (401). Check OPENAI_API_KEY"),
    ("openai", "no_quota", "quota", True, "OpenAI says the account has no quota or billing left (429)"),
    ("openai", "no_model", "model_not_found", True, "OpenAI does not know the model gpt-5.4-mini"),
    ("openai", "rate_limit", "rate_limit", False, "OpenAI is rate-limiting requests (429)"),
    ("anthropic", "bad_key", "auth", True, "Anthropic rejected the API key (401). Check ANTHROPIC_API_KEY"),
    ("anthropic", "no_model", "model_not_found", True, "unknown or retired"),
    ("anthropic", "overloaded", "overloaded", False, "Anthropic is overloaded"),
    ("anthropic", "no_credit", "quota", True, "no quota or billing left"),
    ("ollama", "no_model", "model_not_found", True, "Run `ollama pull llama3.1`"),
])
def test_each_real_error_is_classified(monkeypatch, provider, error, kind, permanent, says):
    from agent.app import build_gateway
    from agent.common.config import load_settings

    with error_server(provider, error) as srv:
        _use(monkeypatch, provider, srv, policy="stop")
        gw = build_gateway(load_settings())
        text, calls = gw.text("ask", [{"role": "user", "content": "Hello"}])
    assert not calls[0].ok and calls[0].permanent is permanent and says in calls[0].failure
    assert (gw.model in gw.disabled) is permanent
    # on_permanent_error: stop — a permanent failure ends the call; a passing one goes on to the
    # offline engine, which says so on the record.
    assert (text is None) is permanent
    assert permanent or (calls[-1].model == "offline/rubric" and calls[-1].fallback_from == gw.model)
    assert srv.requests == 1  # a rejected key is not retried (AIOPS_NUM_RETRIES=0 here anyway)


# -- the terminal ---------------------------------------------------------------------------------
def test_rejected_key_stops_with_the_fix_and_keeps_the_reply(aiops, monkeypatch):
    with error_server("openai", "bad_key") as srv:
        _use(monkeypatch, "openai", srv)
        r = aiops(["chat", "--session", "key"], FULL[0] + "\n")
    assert r.returncode == EXIT_UNAVAILABLE, r.stdout
    assert "OpenAI rejected the API key (401). Check OPENAI_API_KEY, then resume the session." in r.stdout
    assert "To continue with the offline engine" in r.stdout and "AIOPS_ON_PERMANENT_ERROR=fallback" in r.stdout
    assert "Resume with:" in r.stdout and "Traceback" not in r.stdout + r.stderr
    assert srv.requests == 1  # stopped at once: no retries of a rejected key, no silent offline reading


@pytest.mark.parametrize("error,why", [("bad_key", "OpenAI rejected the API key (401)"),
                                       ("no_quota", "OpenAI says the account has no quota or billing left (429)")])
def test_fallback_is_announced_once_and_recorded_per_answer(aiops, monkeypatch, error, why):
    with error_server("openai", error) as srv:
        _use(monkeypatch, "openai", srv, policy="fallback")
        r = aiops(["chat", "--session", "fb"], "\n".join(FULL[:3]) + "\n/status\n")
        assert srv.requests == 1  # then the model is not called again in this process
    assert r.stdout.count(f"⚠ {why}") == 1
    assert "Continuing with the offline engine (offline/rubric" in r.stdout
    assert "now offline/rubric" in r.stdout  # /status names the model actually reading
    import json

    data = json.loads(aiops(["report", "--session", "fb", "--format", "json"]).stdout)
    assert {a["model"] for a in data["answers"].values()} == {"offline/rubric"}


def test_in_a_terminal_the_user_is_asked_whether_to_continue(monkeypatch, capsys, tmp_path):
    from agent.faces.cli import main

    class TTY(io.StringIO):
        def isatty(self) -> bool:
            return True

    with error_server("openai", "no_quota") as srv:
        _use(monkeypatch, "openai", srv)  # on_permanent_error: ask (the default)
        monkeypatch.setenv("AIOPS_DATA_DIR", str(tmp_path))
        monkeypatch.setattr(sys, "stdin", TTY(f"{FULL[0]}\ny\n"))
        code = main(["chat", "--session", "tty"])
    out = capsys.readouterr().out
    assert "OpenAI says the account has no quota or billing left (429)" in out
    assert "Continue this session with the offline engine" in out
    assert "⚠ OpenAI says the account has no quota" in out and code == 0
    assert "AI access — centralized gateway" in out  # the same reply, read by the offline engine


def test_ollama_model_not_pulled_says_how_to_pull_it(aiops, monkeypatch):
    with error_server("ollama", "no_model") as srv:
        _use(monkeypatch, "ollama", srv, policy="stop")
        r = aiops(["chat", "--session", "pull"], FULL[0] + "\n")
    assert r.returncode == EXIT_UNAVAILABLE
    assert "Ollama does not have the model llama3.1 (404). Run `ollama pull llama3.1`" in r.stdout


def test_a_passing_failure_falls_back_without_disabling_the_model(monkeypatch):
    from agent.app import build_gateway
    from agent.common.config import load_settings

    with error_server("anthropic", "overloaded") as srv:
        _use(monkeypatch, "anthropic", srv)
        gw = build_gateway(load_settings())
        text, calls = gw.text("ask", [{"role": "user", "content": "Hello"}])
    assert text and calls[-1].model == "offline/rubric" and calls[-1].fallback_from == HOSTED["anthropic"]
    assert not gw.disabled  # overloaded now, maybe fine in a minute: tried again next time



def test_an_evaluation_says_when_another_model_answered(aiops, monkeypatch, tmp_path):
    with error_server("openai", "rate_limit") as srv:
        _use(monkeypatch, "openai", srv)
        r = aiops(["eval", "evals/interviews/acme-retail-l2.yaml", "--model", HOSTED["openai"],
                   "--out", str(tmp_path / "eval")])
    assert "answered by a fallback model, not openai/gpt-5.4-mini" in r.stderr
    import json

    data = json.loads((tmp_path / "eval" / "results.json").read_text())
    assert data["metrics"]["fallback_calls"] > 0 and data["metrics"]["evidence_drop_rate"] == 0
