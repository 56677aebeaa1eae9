"""`chat --org …` and `org …` through the command line, as a facilitator and respondents would use
them (offline engine; each test on the SQLite default and on a real Postgres)."""

from __future__ import annotations

import csv
import io
import json

import pytest


@pytest.fixture(autouse=True)
def _on_each_backend(storage_url, monkeypatch):
    """Every test here runs on the embedded SQLite storage and on a real Postgres (storage.url)."""
    if storage_url.startswith("postgres"):
        monkeypatch.setenv("AIOPS_STORAGE__URL", storage_url)


PLATFORM = ("Every application goes through our LiteLLM gateway, and it fails over to a second provider "
            "automatically.\n/finish\nyes\n")
SECURITY = ("Honestly, teams share one API key in a config file, and people paste customer data into prompts.\n"
            "/finish\nyes\n")


def _chat(aiops, session: str, *extra: str, stdin: str = PLATFORM):
    r = aiops(["chat", "--session", session, "--org", "Acme Retail", "--round", "2026-Q3", *extra], stdin)
    assert r.returncode == 0, r.stderr + r.stdout
    return r


def test_respondents_join_a_round_and_org_show_aggregates_them(aiops):
    r = _chat(aiops, "acme-ana", "--respondent", "Ana", "--role", "Platform lead")
    assert "Answering for Acme Retail, round 2026-Q3 (Ana, Platform lead)" in r.stdout
    _chat(aiops, "acme-sec", "--respondent", "Sam", "--role", "Security lead", "--dimensions", "security",
          stdin=SECURITY)
    shown = aiops(["org", "show", "acme-retail"])
    assert shown.returncode == 0, shown.stderr
    out = shown.stdout
    assert "# Acme Retail — AI Operations Maturity, round 2026-Q3" in out
    assert "| Ana | Platform lead |" in out and "| Sam | Security lead |" in out
    assert "median of the respondents' answers" in out
    # The security lead was asked about security only: both their answers, nothing else of theirs.
    data = json.loads(aiops(["org", "show", "Acme Retail", "--format", "json"]).stdout)
    sam = [a for q in data["aggregate"]["questions"] for a in q["answers"] if a["respondent"] == "Sam"]
    assert sam and {a["question"] for a in sam} <= {"q11", "q12"}
    assert data["participations"][1]["scope"] == ["security"]


def test_a_security_lead_is_asked_only_about_security(aiops):
    r = _chat(aiops, "sec-only", "--respondent", "Sam", "--dimensions", "Security", stdin="/finish\n")
    first_question = r.stdout.split("Commands:")[1]
    assert "access" in first_question.lower() and "gateway" not in first_question.lower().split("?")[0]


def test_settle_history_and_export(aiops):
    _chat(aiops, "q3-ana", "--respondent", "Ana", "--role", "Platform lead")
    _chat(aiops, "q3-sam", "--respondent", "Sam", "--role", "Security lead", stdin=SECURITY)
    r = aiops(["org", "settle", "Acme Retail", "q11", "2", "--round", "2026-Q3", "--note",
               "virtual keys exist but two teams still share one", "--by", "Lee (facilitator)"])
    assert r.returncode == 0, r.stderr
    assert "q11 settled at 2 by Lee (facilitator)" in r.stdout
    out = aiops(["org", "show", "acme-retail", "--round", "2026-Q3"]).stdout
    assert "Settled at **2** by Lee (facilitator)" in out or "settled (median" in out
    # a second round: one respondent answers again, better
    r = aiops(["chat", "--session", "q4-ana", "--org", "Acme Retail", "--round", "2026-Q4", "--respondent", "Ana"],
              PLATFORM.replace("Every application", "Since last quarter every application"))
    assert r.returncode == 0
    hist = aiops(["org", "history", "acme-retail"])
    assert hist.returncode == 0, hist.stderr
    assert "| 2026-Q3 |" in hist.stdout and "| 2026-Q4 |" in hist.stdout
    assert "since 2026-Q3" in hist.stdout
    assert json.loads(aiops(["org", "history", "acme-retail", "--format", "json"]).stdout)["headlines"][0].startswith(
        "since 2026-Q3")
    csv_text = aiops(["org", "export", "acme-retail", "--format", "csv"]).stdout
    rows = list(csv.DictReader(io.StringIO(csv_text)))
    assert {r["round"] for r in rows} == {"2026-Q3", "2026-Q4"}
    assert {r["respondent"] for r in rows if r["round"] == "2026-Q3"} >= {"Ana", "Sam"}
    settled = [r for r in rows if r["round"] == "2026-Q3" and r["question"] == "q11"]
    assert settled and all(r["settled_score"] == "2" for r in settled)
    listing = aiops(["org", "list"]).stdout
    assert "Acme Retail" in listing and "2026-Q4" in listing


def test_csv_cells_that_a_spreadsheet_would_run_are_defused(aiops):
    _chat(aiops, "x", "--respondent", "=HYPERLINK(\"http://evil\")", stdin=PLATFORM)
    rows = list(csv.DictReader(io.StringIO(aiops(["org", "export", "acme-retail"]).stdout)))
    assert all(not r["respondent"].startswith("=") for r in rows)


@pytest.mark.parametrize(("args", "message"), [
    (["org", "show", "Globex"], "No organization 'Globex' (organizations: none yet)"),
    (["org", "settle", "Globex", "q1", "3", "--note", "x"], "No organization 'Globex'"),
    (["org", "history", "Globex"], "No organization 'Globex'"),
    (["chat", "--respondent", "Ana"], "--respondent need --org"),
    (["chat", "--org", "Acme", "--dimensions", "bananas"], "'bananas' is not one dimension"),
    (["chat", "--org", "Acme", "--round", "../x"], "Invalid round '../x'"),
    (["chat", "--org", "!!!"], "is not an organization name"),
])
def test_bad_input_is_one_clear_message(aiops, args, message):
    r = aiops(args, "/quit\n")
    assert r.returncode == 2
    assert message in r.stderr
    assert "Traceback" not in r.stderr + r.stdout


def test_unknown_round_and_bad_settlements(aiops):
    _chat(aiops, "a1", "--respondent", "Ana")
    r = aiops(["org", "show", "acme-retail", "--round", "2025-Q1"])
    assert r.returncode == 2 and "has no round '2025-Q1' (rounds: 2026-Q3)" in r.stderr
    assert "q1..q12" in aiops(["org", "settle", "acme-retail", "q13", "3", "--note", "x"]).stderr
    assert "0..5" in aiops(["org", "settle", "acme-retail", "q1", "7", "--note", "x"]).stderr
    assert "needs a note" in aiops(["org", "settle", "acme-retail", "q1", "3", "--note", " "]).stderr


def test_a_session_stays_in_its_round(aiops):
    _chat(aiops, "a1", "--respondent", "Ana")
    r = aiops(["chat", "--session", "a1", "--org", "Acme Retail", "--round", "2026-Q4"], "/quit\n")
    assert r.returncode == 2
    assert "belongs to acme-retail round 2026-Q3" in r.stderr


def test_sessions_without_an_organization_work_as_before(aiops):
    r = aiops(["chat", "--session", "solo"], PLATFORM)
    assert r.returncode == 0 and "Answering for" not in r.stdout
    assert aiops(["report", "--session", "solo"]).returncode == 0
    assert "No organizations yet" in aiops(["org", "list"]).stdout


def test_an_existing_session_can_join_a_round_when_resumed(aiops):
    aiops(["chat", "--session", "old"], "We call OpenAI directly from every app.\n/quit\n")
    r = aiops(["chat", "--session", "old", "--org", "Acme Retail", "--respondent", "Ana"], "/quit\n")
    assert r.returncode == 0
    out = aiops(["org", "sync", "--session", "old"])
    assert out.returncode == 0 and "Copied" in out.stdout
    assert "| Ana |" in aiops(["org", "show", "acme-retail"]).stdout


def test_invite_link_carries_org_round_role_and_dimensions(aiops):
    r = aiops(["org", "invite", "Müller & Söhne (R&D)", "--round", "2026q4", "--role", "Security lead",
               "--dimensions", "security", "--base-url", "https://assess.example.com"])
    assert r.returncode == 0
    assert r.stdout.strip() == ("https://assess.example.com/?org=M%C3%BCller+%26+S%C3%B6hne+%28R%26D%29"
                                "&round=2026-Q4&role=Security+lead&dimensions=security")


def test_the_report_is_written_to_a_file(aiops, tmp_path):
    _chat(aiops, "a1", "--respondent", "Ana")
    out = tmp_path / "round.md"
    r = aiops(["org", "show", "acme-retail", "--out", str(out)])
    assert r.returncode == 0 and "Wrote" in r.stderr
    assert out.read_text(encoding="utf-8").startswith("# Acme Retail")
    bad = aiops(["org", "show", "acme-retail", "--out", str(tmp_path / "missing" / "x.md")])
    assert bad.returncode == 2 and "Pick another --out path" in bad.stderr


def test_a_storage_failure_keeps_the_interview_and_says_so(aiops, monkeypatch, tmp_path):
    _chat(aiops, "a1", "--respondent", "Ana", stdin="We call OpenAI directly from every app.\n/quit\n")
    from agent.storage.organizations import OrgStore

    def broken(self, *a, **k):
        from agent.storage.database import StorageError

        raise StorageError("The organization store failed (disk I/O error).")

    monkeypatch.setattr(OrgStore, "record", broken)
    r = aiops(["chat", "--session", "a1"], "When OpenAI fails we retry by hand. We trace every request in Langfuse.\n/quit\n")
    assert r.returncode == 0
    assert "the organization's round was not updated" in r.stdout
    report = aiops(["report", "--session", "a1"])  # the session has the reply
    assert report.returncode == 0 and "Langfuse" in report.stdout


def test_a_scoped_respondent_reviews_only_their_dimensions(aiops):
    r = _chat(aiops, "sec-review", "--respondent", "Sam", "--dimensions", "security", stdin=SECURITY)
    review = r.stdout.split("Here is what I understood:")[1].split("Is this right?")[0]
    assert "q11" in review and "q12" in review
    assert not any(f"- q{i} " in review for i in range(1, 11))  # nothing outside their scope
    assert "1/2 answered · Security 1/2" in r.stdout
    report = " ".join(aiops(["report", "--session", "sec-review"]).stdout.replace("\n> ", " ").split())
    assert "asked about Security only, 1 of those 2 questions answered; missing: q12" in report
    assert "Partial assessment" not in report  # the ten questions that were not theirs are not "missing"


def test_answers_a_failed_copy_missed_reach_the_round_when_the_session_is_next_opened(aiops, monkeypatch):
    from agent.storage.organizations import OrgStore

    _chat(aiops, "late", "--respondent", "Ana", stdin="We call OpenAI directly from every app.\n/quit\n")
    real = OrgStore.record
    monkeypatch.setattr(OrgStore, "record", lambda *a, **k: (_ for _ in ()).throw(
        __import__("agent.storage.database", fromlist=["StorageError"]).StorageError("disk I/O error.")))
    aiops(["chat", "--session", "late"], "We trace every request in Langfuse.\n/quit\n")
    monkeypatch.setattr(OrgStore, "record", real)
    before = aiops(["org", "show", "acme-retail", "--format", "json"]).stdout
    assert "Langfuse" not in before
    aiops(["chat", "--session", "late"], "/quit\n")  # just opened again
    assert "Langfuse" in aiops(["org", "show", "acme-retail", "--format", "json"]).stdout
