"""After the report the chat stays open for follow-up questions (graph, resume, one-shot `ask`)."""

from __future__ import annotations

import re

from langgraph.checkpoint.memory import InMemorySaver

from agent.interview.graph import build_graph
from tests.helpers import TO_REVIEW, new_interview, run_script


def finished(saver=None, name="t"):
    iv = new_interview(name, saver=saver)
    run_script(iv, [*TO_REVIEW, "yes"])
    assert iv.is_done and iv.waiting_for_reply
    return iv


def test_graph_has_advice_and_followup_steps():
    nodes = set(build_graph().compile().get_graph().nodes)
    assert {"advise", "followup"} <= nodes


def test_report_advice_is_grounded_and_every_citation_is_listed():
    iv = finished()
    md = iv.state["report_md"]
    adv = iv.state["advice"]
    assert adv["grounded"] and adv["written_by"] == "extractive"
    listed = set(re.findall(r"^- `([a-z0-9\-]+)` — ", md, re.MULTILINE))
    cited = {c for term in ("short_term", "medium_term", "long_term") for a in adv[term] for c in a["cites"]}
    assert cited and cited <= listed
    assert "### Sources" in md and "See: Transition Guides" in md


def test_followups_in_the_chat_cite_sources_and_are_kept_in_the_session():
    saver = InMemorySaver()
    iv = finished(saver)
    out = iv.reply("which KPIs should we track?")
    assert len(out) == 1 and "Sources:" in out[0] and "[kpi-level-3]" in out[0]  # acme is Level 2; target 3
    out = iv.reply("how do we get from level 2 to 3 on cost?")
    assert "Week 11-12: Cost Optimization" in out[0]
    out = iv.reply("skip")  # after the report, words like "skip" are questions, not commands
    assert out and iv.is_done
    out = iv.reply("what's the weather in Lisbon tomorrow?")
    assert "doesn't say" in out[0] and "Sources:" not in out[0]
    assert [f["question"] for f in iv.state["followups"]][:2] == [
        "which KPIs should we track?", "how do we get from level 2 to 3 on cost?"]
    again = new_interview("t", saver=saver)  # a resumed session takes follow-ups too
    assert again.is_done and again.waiting_for_reply
    assert "Sources:" in again.reply("what should we do first?")[0]


def test_piped_chat_answers_followups_after_the_report_then_ask_one_shot(aiops):
    r = aiops(["chat", "--session", "fu"], "\n".join([*TO_REVIEW, "yes", "what should we do first?"]) + "\n")
    assert r.returncode == 0, r.stderr
    assert "Assessment complete" in r.stdout and "Ask me about next steps" in r.stdout
    after = r.stdout.split("you › what should we do first?", 1)[1]
    assert "Sources:" in after and "Traceback" not in r.stdout + r.stderr
    a = aiops(["ask", "why did I get a 2 on tracing?", "--session", "fu"])
    assert a.returncode == 0, a.stderr
    assert "[questionnaire-q3]" in a.stdout
    j = aiops(["ask", "which KPIs should we track?", "--session", "fu", "--json"])
    assert '"cites": [\n    "kpi-level-3"' in j.stdout
    missing = aiops(["ask", "what first?", "--session", "nope"])
    assert missing.returncode == 2 and "Traceback" not in missing.stderr


def test_without_an_index_the_report_still_comes_and_followups_say_why(tmp_path, settings):
    empty = tmp_path / "no-corpus"
    empty.mkdir()
    s = settings.model_copy(update={"retrieval": settings.retrieval.model_copy(update={"corpus_dir": empty})})
    iv = new_interview("noindex", settings=s)
    run_script(iv, [*TO_REVIEW, "yes"])
    assert iv.is_done
    md = iv.state["report_md"]
    assert "## Recommended Actions" in md and "retrieval index is unavailable" in md and str(empty) in md
    assert "Deploy" in md or "Implement" in md  # the actions come straight from the guides
    out = iv.reply("which KPIs should we track?")
    assert "can't search the maturity model" in out[0] and "Traceback" not in out[0]
