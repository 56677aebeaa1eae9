"""Readings you can trust (issue 11): answers are not overwritten by passing mentions, answers
inferred from other replies are confirmed, closed options when a free-text answer does not settle
a question, corrections and confirmations in plain words, and every change acknowledged."""

from __future__ import annotations

import pytest

from agent.core.answers import merge
from agent.core.schemas import RubricUpdate, ScoredAnswer
from tests.helpers import new_interview


def rec(qid, score, source="direct", conf=0.9, evidence="earlier words"):
    return {"question_id": qid, "score": score, "confidence": conf, "source": source, "evidence": evidence, "turn": 1}


def update(*answers, correction=False):
    return RubricUpdate(answers=[ScoredAnswer(question_id=q, score=s, confidence=c, evidence=e)
                                 for q, s, c, e in answers], is_correction=correction)


def at_review(answers: dict[str, int], name: str = "review"):
    """A session showing its review of these answers (as if the interview had given them)."""
    iv = new_interview(name)
    iv.start()
    iv.graph.update_state(iv.config, {"phase": "confirm", "answers": {
        q: {"question_id": q, "score": s, "confidence": 0.9, "evidence": f"about {q}", "turn": 1}
        for q, s in answers.items()}}, as_node="confirm")
    iv.refresh()
    return iv


LEVEL1 = {"q1": 1, "q2": 0, "q3": 1, "q4": 1, "q5": 0, "q6": 1, "q7": 1, "q8": 0, "q9": 1, "q10": 1, "q11": 1, "q12": 0}


# -- the merge rules, for every engine ----------------------------------------------------------


def test_a_passing_mention_never_replaces_a_direct_answer():
    answers = {"q6": rec("q6", 3)}
    out = merge(answers, update(("q6", 1, 0.8, "policy against pasting")), turn=2, asking=["q11"], threshold=0.6)
    assert out.answers["q6"]["score"] == 3 and out.changes == []


def test_a_sure_contradiction_is_kept_to_ask_about():
    out = merge({"q6": rec("q6", 3)}, update(("q6", 1, 0.9, "we paste docs by hand")), turn=2, asking=["q11"], threshold=0.6)
    assert out.answers["q6"]["score"] == 3 and [c.score for c in out.conflicts] == [1]


def test_direct_statements_and_explicit_corrections_replace_an_answer():
    answers = {"q2": rec("q2", 0)}
    direct = merge(answers, update(("q2", 2, 0.8, "fails over")), turn=2, asking=["q2"], threshold=0.6)
    assert direct.answers["q2"]["score"] == 2 and direct.changes[0].old == 0
    corrected = merge(answers, update(("q2", 2, 0.8, "fails over"), correction=True), turn=2, asking=["q9"],
                      threshold=0.6)
    assert corrected.answers["q2"] == {**corrected.answers["q2"], "score": 2, "source": "corrected"}


def test_a_correction_replaces_only_what_it_corrects():
    # "Yes. There's a policy ... Oh — scratch that about budgets: we do have alerts now."
    answers = {"q2": rec("q2", 0), "q10": rec("q10", 0)}
    upd = RubricUpdate(is_correction=True, answers=[
        ScoredAnswer(question_id="q2", score=4, confidence=0.9, evidence="a policy that staff remove details"),
        ScoredAnswer(question_id="q10", score=2, confidence=0.9, evidence="a threshold alert", corrects=True)])
    out = merge(answers, upd, turn=3, asking=["q12"], threshold=0.6)
    assert out.answers["q10"]["score"] == 2 and out.answers["q10"]["source"] == "corrected"
    assert out.answers["q2"]["score"] == 0 and [c.question_id for c in out.changes] == ["q10"]


def test_the_offline_reader_corrects_only_what_follows_the_correction():
    iv = new_interview("corr")
    iv.start()
    iv.graph.update_state(iv.config, {"current": "q11", "asking": ["q11", "q12"], "answers": {
        "q1": rec("q1", 3, evidence="a central LiteLLM proxy"), "q10": rec("q10", 0, evidence="no budget controls")}},
        as_node="ask")
    iv.refresh()
    iv.reply("Every team calls Azure OpenAI directly with its own little wrapper script. "
             "Oh, and scratch that about budgets: finance set a threshold alert that emails them at 80%.")
    answers = iv.state["answers"]
    assert answers["q10"]["score"] == 2 and answers["q10"]["source"] == "corrected"
    assert answers["q1"]["score"] == 3 and answers["q1"]["evidence"] == "a central LiteLLM proxy"


def test_an_answer_to_another_question_is_provisional():
    out = merge({}, update(("q9", 1, 0.8, "one invoice a month")), turn=1, asking=["q1"], threshold=0.6)
    assert out.answers["q9"]["source"] == "inferred"
    again = merge(out.answers, update(("q9", 2, 0.8, "per app")), turn=2, asking=["q1"], threshold=0.6)
    assert again.answers["q9"]["score"] == 1  # of two equally sure inferences the first stays


# -- the bugs of issue 11, through the interview -------------------------------------------------


def test_bug1_a_later_reply_does_not_overwrite_an_earlier_answer():
    iv = new_interview("b1")
    iv.start()
    iv.reply("The FAQ chatbot searches our FAQ and policy docs with pgvector, reindexed nightly. "
             "It only remembers things within one conversation.")
    assert iv.state["answers"]["q6"]["score"] == 3
    iv.reply("Everyone uses one shared API key from env vars, and we have a written policy against pasting "
             "owners' phone numbers, no filtering.")
    answers = iv.state["answers"]
    assert answers["q6"]["score"] == 3 and "pgvector" in answers["q6"]["evidence"]
    assert answers["q11"]["score"] == 1 and answers["q12"]["score"] == 1


def test_bug2_an_introduction_does_not_answer_a_question_that_is_then_skipped():
    iv = new_interview("b2")
    iv.start()
    iv.reply("We've got two AI things: a summarizer that turns vets' visit notes into a summary, and an FAQ chatbot.")
    q5 = iv.state["answers"].get("q5")
    assert q5 is None or q5["source"] == "inferred"
    for _ in range(12):  # answer "skip" to everything until memory comes up
        if "q5" in (iv.state.get("asking") or []) or iv.state["phase"] == "confirm":
            break
        iv.reply("/skip")
    assert "q5" in iv.state["asking"], "memory was never asked or confirmed"


def test_bug3_an_answer_about_another_question_lands_on_that_question():
    iv = new_interview("b3")
    iv.start()
    iv.graph.update_state(iv.config, {"current": "q1", "asking": ["q1"]}, as_node="ask")
    iv.refresh()
    iv.reply("Not really. We get one OpenAI invoice a month")
    answers = iv.state["answers"]
    assert "q1" not in answers and "q10" not in answers
    assert answers["q9"]["score"] == 1 and answers["q9"]["source"] == "inferred"


def test_bug4_corrections_in_plain_words_at_the_review():
    iv = at_review(LEVEL1, "b4")
    msgs = iv.reply("Tracing should be higher: it's basic logging, just no spans")
    assert iv.state["answers"]["q3"]["score"] == 2 and iv.state["phase"] == "confirm"
    assert "q3 Tracing: Sometimes, with effort → Yes, basic request/response logs (2/5)" in msgs[-1]
    iv.reply("it only remembers things within a single conversation; once the chat ends it forgets everything")
    assert iv.state["answers"]["q5"]["score"] == 1


def test_bug4_a_direction_without_facts_offers_the_options_in_that_direction():
    iv = at_review(LEVEL1, "b4b")
    msgs = iv.reply("budgets should be higher")
    pending = iv.state["pending"]
    assert pending["kind"] == "options" and pending["question"] == "q10" and pending["options"] == [2, 3, 4]
    assert "1. alerts when spending crosses a threshold" in msgs[-1]
    iv.reply("1")
    assert iv.state["answers"]["q10"] == {**iv.state["answers"]["q10"], "score": 2, "source": "chosen"}
    assert iv.state["phase"] == "confirm"


@pytest.mark.parametrize("reply", ["yes that looks right now", "Yes, that's correct", "looks right to me",
                                   "perfect, thanks", "no, that's right", "all good, go ahead"])
def test_bug5_natural_confirmations_produce_the_report(reply):
    iv = at_review(LEVEL1, "b5")
    iv.reply(reply)
    assert iv.is_done


def test_bug5_the_list_can_be_shown_again():
    iv = at_review(LEVEL1, "b5b")
    msgs = iv.reply("can you show me the whole list again?")
    assert msgs[-1].count("\n- q") == 12 and "Here is what I understood" in msgs[-1]
    assert iv.state["answers"] == at_review(LEVEL1, "b5c").state["answers"]


def test_bug6_a_correction_is_quoted_without_its_meta_text():
    iv = at_review(LEVEL1 | {"q6": 3}, "b6")
    iv.reply("Also our knowledge answer is wrong, we upload the policy PDFs into the chat by hand")
    q6 = iv.state["answers"]["q6"]
    assert q6["score"] == 1 and q6["source"] == "corrected"
    assert q6["evidence"] == "we upload the policy PDFs into the chat by hand"


# -- options, confirmations and acknowledgements in the interview --------------------------------


def test_unsettled_questions_get_numbered_options_once_every_dimension_was_asked():
    iv = new_interview("opts")
    iv.start()
    vague = "Hmm, hard to say, it depends on the team really."
    msgs = iv.reply(vague)
    assert (iv.state.get("pending") or {}).get("kind") != "options"  # first the other dimensions
    for _ in range(5):
        msgs = iv.reply(vague)
    pending = iv.state["pending"]
    qids = list(pending["sets"])  # the dimension just discussed first, then the questionnaire's order
    assert pending["kind"] == "options" and qids == ["q11", "q12", "q1", "q2"]
    assert "4 quick checks" in msgs[-1] and "Something else" in msgs[-1]
    picks = [pending["sets"][q][1] for q in qids]
    iv.reply("2, 2, 2, 2")
    got = [iv.state["answers"][q] for q in qids]
    assert [a["score"] for a in got] == picks and {a["source"] for a in got} == {"chosen"}
    assert got[0]["model"] is None


def test_something_else_is_followed_by_the_other_options():
    iv = new_interview("other")
    iv.start()
    for _ in range(6):
        iv.reply("Hmm, hard to say, it depends on the team really.")
    first = iv.state["pending"]["sets"]["q11"]
    iv.reply("none of them, all four")
    again = iv.state["pending"]
    assert again["kind"] == "options" and "q11" in again["sets"]
    assert not set(again["sets"]["q11"]) & set(first)


def test_an_inferred_answer_is_confirmed_in_one_short_turn():
    iv = new_interview("verify")
    iv.start()
    iv.reply("Every app calls OpenAI directly and nothing happens when it is down, it just fails. "
             "Oh and the support bot forgets everything when the chat closes.")
    assert iv.state["answers"]["q5"]["source"] == "inferred"
    for _ in range(6):
        if (iv.state.get("pending") or {}).get("kind") == "verify":
            break
        iv.reply("/skip")
    assert "q5" in iv.state["pending"]["questions"]
    assert "You mentioned" in iv.state["messages"][-1]["content"]
    iv.reply("Yes, that's right.")
    assert iv.state["answers"]["q5"]["source"] == "confirmed"


def test_every_change_to_an_answer_is_acknowledged_old_to_new():
    iv = new_interview("ack")
    iv.start()
    iv.reply("We call OpenAI directly from each service, and when it is down things just fail.")
    msgs = iv.reply("Actually no, scratch that: if OpenAI is down it now fails over to Azure automatically.")
    assert iv.state["answers"]["q2"]["score"] == 2
    assert "Changed provider outage: applications fail → automatic failover to backup" in msgs[-1]


def test_each_answer_records_the_model_that_read_it():
    iv = new_interview("model")
    iv.start()
    iv.reply("Everything goes through our LiteLLM proxy.")
    assert iv.state["answers"]["q1"]["model"] == "offline/rubric"


def test_i_dont_know_moves_on_instead_of_asking_the_same_again():
    iv = new_interview("dunno")
    iv.start()
    iv.reply("I'm not sure, I don't really know about that one.")
    assert iv.state["asking"] == ["q3", "q4"]


def test_an_unsure_reading_is_not_announced_as_a_fact():
    iv = new_interview("unsure")
    iv.start()
    msgs = iv.reply("Everything goes through our LiteLLM proxy, and if OpenAI is down it fails over to Anthropic.")
    q2 = iv.state["answers"]["q2"]
    assert q2["confidence"] < iv.services.settings.confidence_threshold  # the two readers disagree here
    assert msgs[-1].startswith("Got it: AI access — centralized gateway") and "provider outage" not in msgs[-1]
