"""Answers a real provider may give that are not errors, and slow ones (issue 13, item 9): no
crash, no raw JSON shown, no reply lost, no reply waiting for minutes — and never silently."""

from __future__ import annotations

import json
import time

from tests.error_server import error_server
from tests.helpers import FULL
from tests.test_model_failures import _use


def test_a_response_without_choices_is_a_failure_the_next_model_covers(aiops, monkeypatch):
    with error_server("openai", "empty_choices") as srv:
        _use(monkeypatch, "openai", srv)
        r = aiops(["chat", "--session", "empty"], FULL[0] + "\n/status\n")
    said = r.stdout + r.stderr
    assert r.returncode == 0, said
    assert "IndexError" not in said and "Something went wrong" not in said
    assert "OpenAI returned an empty response" in said  # announced, not hidden
    assert "now offline/rubric" in said
    assert "AI access — centralized gateway" in said  # the reply was read (by the offline engine)


def test_json_of_the_wrong_shape_is_neither_lost_nor_shown(aiops, monkeypatch, tmp_path):
    """Every call answers with JSON that is not the update asked for: the reply goes to the next
    model (announced), and the question is worded by the fixed phrasing, never the raw JSON."""
    with error_server("openai", "junk_json") as srv:
        _use(monkeypatch, "openai", srv)
        r = aiops(["chat", "--session", "junk"], FULL[0] + "\n")
        asked = srv.requests
    said = r.stdout + r.stderr
    assert r.returncode == 0, said
    assert '"result"' not in said and "see above" not in said
    assert "answer could not be read" in said
    assert "AI access — centralized gateway" in said
    assert asked >= 2  # the model was asked, and asked again with the error, before falling back
    data = json.loads(aiops(["report", "--session", "junk", "--format", "json"]).stdout)
    q1 = data["answers"]["q1"]
    assert q1["score"] == 2 and q1["model"] == "offline/rubric"


def test_a_reply_waits_at_most_reply_timeout_seconds(aiops, monkeypatch):
    """A provider that never answers: retries and fallbacks share one window per reply
    (reply_timeout_seconds), then the offline engine reads the reply, and the user is told."""
    with error_server("openai", "slow") as srv:
        _use(monkeypatch, "openai", srv)
        monkeypatch.setenv("AIOPS_NUM_RETRIES", "2")
        monkeypatch.setenv("AIOPS_TIMEOUT_SECONDS", "2")
        monkeypatch.setenv("AIOPS_REPLY_TIMEOUT_SECONDS", "3")
        started = time.monotonic()
        r = aiops(["chat", "--session", "slow"], FULL[0] + "\n")
        took = time.monotonic() - started
    said = r.stdout + r.stderr
    assert r.returncode == 0, said
    # Without the window: 3 attempts × 2 s for reading the reply, and as many for the question.
    assert took < 9, took
    assert "did not answer within the 3 s a reply may wait" in said
    assert "AI access — centralized gateway" in said
