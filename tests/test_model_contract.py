"""The interpret contract as real models meet it: a scripted model (tests/scripted_provider.py) that
answers like OpenAI, Anthropic and Ollama models do — paraphrased quotes, a preamble, a fence,
extra fields, one answer out of range or without a quote, answers to questions nobody asked — and
what the gateway and the interview keep of it (the good answers, with the interviewee's own words
as evidence) and drop (only the bad ones)."""

from __future__ import annotations

import json

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from pydantic import ValidationError

from agent.app import App
from agent.common.config import load_settings
from agent.core.prompts import render
from agent.core.schemas import InterpretContext, QuestionBrief, RubricUpdate, ScoredAnswer
from agent.gateway import structured
from agent.reporting.followup import FollowupDraft
from agent.reporting.grounded import AdviceDraft
from tests.helpers import new_interview
from tests.scripted_provider import scripted_gateway

GATEWAY = ("Everything goes through our LiteLLM proxy. If OpenAI is down, traffic fails over to Anthropic "
           "automatically, but we don't route by cost or latency yet. Alerts fire when a team reaches 80% of "
           "its monthly budget.")
MSGS = [{"role": "user", "content": "Read this."}]


def gateway(scripted, mode="json_schema"):
    # The scripted provider is unknown to LiteLLM's capability map, so the mode is set explicitly.
    settings = load_settings().model_copy(update={"num_retries": 0, "structured_output": mode})
    return scripted_gateway(settings, scripted, "scripted/primary")


def interview(scripted, mode="json_schema"):
    """A started session (the first question asks about q1 and q2) whose model is `scripted`."""
    gw = gateway(scripted, mode)
    iv = new_interview("contract", InMemorySaver(), app=App(gw.settings, gateway=gw))
    iv.start()
    assert iv.state["asking"] == ["q1", "q2"]
    return iv


def answer(qid, score, evidence, confidence=0.9, **extra):
    return {"question_id": qid, "score": score, "confidence": confidence, "evidence": evidence, **extra}


# -- what the gateway reads --------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["json_schema", "json_mode"])
def test_a_preamble_a_fence_and_extra_fields_are_read(scripted, mode):
    body = {"reasoning": "The user uses a proxy.", "answers": [
        answer("q1", 2, "Everything goes through our LiteLLM proxy", rationale="central gateway")]}
    scripted.replies.append(f"Here is the update:\n```JSON\n{json.dumps(body, indent=2)}\n```\nLet me know if "
                            "you need anything else.")
    value, calls = gateway(scripted, mode).structured("interpret", MSGS, RubricUpdate)
    assert value is not None and [a.question_id for a in value.answers] == ["q1"]
    assert len(calls) == 1 and calls[0].ok  # read the first time: no repair request


def test_one_bad_answer_drops_that_answer_only(scripted):
    content = "Sure! " + json.dumps({"answers": [
        answer("q1", 2, "Everything goes through our LiteLLM proxy"),
        answer("q2", 7, "traffic fails over to Anthropic automatically"),  # out of range
        answer("q10", 2, ""),  # no quote
        answer("q13", 2, "we don't route by cost"),  # no such question
    ], "question_back": {"kind": "a question"}})  # an optional field the model got wrong
    scripted.replies.append(content)
    value, calls = gateway(scripted).structured("interpret", MSGS, RubricUpdate)
    assert value is not None and [a.question_id for a in value.answers] == ["q1"] and value.question_back is None
    assert len(calls) == 1 and calls[0].ok
    _, dropped = structured.parse_lenient(RubricUpdate, content)  # what a caller counts as dropped
    assert len(dropped) == 4
    assert dropped[:3] == ["answers[1]: score: Input should be less than or equal to 5",
                           "answers[2]: evidence: String should have at least 1 character",
                           "answers[3]: question_id: Input should be 'q1', 'q2', 'q3', 'q4', 'q5', 'q6', 'q7', "
                           "'q8', 'q9', 'q10', 'q11' or 'q12'"]
    assert dropped[3].startswith("question_back: kind: ")


def test_an_answer_with_nothing_usable_is_asked_for_again(scripted):
    # Every reading is out of range (the model scored 1-10); the hints alone are not worth keeping.
    scripted.replies.extend([json.dumps({"answers": [answer("q1", 9, "Everything goes through our LiteLLM proxy")],
                                         "likely": [{"question_id": "q2", "options": [1, 2]}]}),
                             json.dumps({"answers": [answer("q1", 2, "Everything goes through our LiteLLM proxy")]})])
    value, calls = gateway(scripted).structured("interpret", MSGS, RubricUpdate)
    assert value is not None and value.answers[0].score == 2
    assert [c.ok for c in calls] == [False, True] and "less than or equal to 5" in calls[0].error


def test_a_cut_off_answer_is_not_read_as_an_empty_one():
    with pytest.raises(ValueError, match="no complete JSON object"):
        structured.parse(RubricUpdate, '{"answers": [{"question_id": "q1", "score": 2, "confidence": 0.9}, '
                                       '{"question_id": "q2", "sco')


@pytest.mark.parametrize("schema", [RubricUpdate, AdviceDraft, FollowupDraft])
def test_the_schema_sent_is_the_openai_sdks_strict_schema(scripted, schema):
    from openai.lib._parsing._completions import type_to_response_format_param

    scripted.replies.append(json.dumps({"answers": []}))
    gateway(scripted).structured("interpret", MSGS, schema)
    sent = scripted.params[0]["response_format"]
    assert sent == type_to_response_format_param(schema) == structured.response_format(schema)
    assert sent["json_schema"]["strict"] is True
    problems = list(_strict_mode_problems(sent["json_schema"]["schema"]))
    assert not problems, problems


def _strict_mode_problems(node, path="$", names=False):
    """Where a JSON schema breaks OpenAI's strict-mode rules: every object closed and every property
    required; no keyword strict mode refuses."""
    if isinstance(node, dict):
        if not names:
            for key in ("default", "minLength", "maxLength"):
                if key in node:
                    yield f"{path}: {key}"
            if node.get("type") == "object" or "properties" in node:
                if node.get("additionalProperties") is not False:
                    yield f"{path}: additionalProperties is not false"
                if sorted(node.get("required", [])) != sorted(node.get("properties", {})):
                    yield f"{path}: not every property is required"
        for key, value in node.items():
            yield from _strict_mode_problems(value, f"{path}.{key}", names=not names and key in ("properties", "$defs"))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _strict_mode_problems(value, f"{path}[{i}]")


def test_the_models_still_check_what_the_schema_leaves_out():
    ok = {"question_id": "q1", "score": 2, "confidence": 0.5, "evidence": "we log it"}
    for bad in ({"score": 7}, {"score": -1}, {"confidence": 1.5}, {"evidence": ""}):
        with pytest.raises(ValidationError):
            ScoredAnswer.model_validate({**ok, **bad})
    update = RubricUpdate.model_validate({"answers": [ok]})  # defaults still fill what was left out
    assert update.language == "en" and update.understood and not update.answers[0].corrects


# -- what the interview keeps ------------------------------------------------------------------------
def test_paraphrased_quotes_are_kept_as_the_interviewees_own_words(scripted):
    iv = interview(scripted)
    scripted.replies.extend([json.dumps({"answers": [
        answer("q1", 2, "everything goes through our litellm proxy ... but we dont route by cost or latency yet"),
        answer("q2", 2, "If OpenAI is down traffic fails over to Anthropic automatically"),  # a comma dropped
        answer("q10", 2, "Alerts fire when a team reaches 80 percent of its monthly budget", confidence=0.8),
    ]}), "And how would you find out what happened when a user reports a bad answer?"])
    iv.reply(GATEWAY)
    got = {q: (a["score"], a["evidence"], a["source"]) for q, a in iv.state["answers"].items()}
    assert got == {
        "q1": (2, "Everything goes through our LiteLLM proxy. If OpenAI is down, traffic fails over to Anthropic "
                  "automatically, but we don't route by cost or latency yet", "direct"),
        "q2": (2, "If OpenAI is down, traffic fails over to Anthropic automatically", "direct"),
        "q10": (2, "Alerts fire when a team reaches 80% of its monthly budget", "inferred"),
    }


def test_a_wrapped_answer_with_one_bad_reading_keeps_the_good_ones(scripted):
    iv = interview(scripted, mode="json_mode")
    body = {"answers": [
        answer("q1", 2, "Everything goes through our LiteLLM proxy.", notes="LiteLLM = gateway"),
        answer("q2", 7, "traffic fails over to Anthropic automatically"),
        answer("q10", 2, ""),
    ], "summary": "Central gateway with failover."}
    scripted.replies.extend([f"Here is the rubric update:\n```json\n{json.dumps(body)}\n```",
                             "Thanks. How do you trace a request?"])
    said = iv.reply(GATEWAY)
    st = iv.state
    assert set(st["answers"]) == {"q1"} and st["answers"]["q1"]["evidence"] == "Everything goes through our LiteLLM proxy."
    assert [(c["task"], c["ok"]) for c in st["calls"]] == [("interpret", True), ("ask", True)]
    assert said[-1] == "Thanks. How do you trace a request?"


def test_over_answering_from_passing_mentions_never_displaces_a_firm_answer(scripted):
    iv = interview(scripted)
    scripted.replies.extend([json.dumps({"answers": [
        answer("q1", 2, "Everything goes through our LiteLLM proxy"),
        answer("q2", 2, "If OpenAI is down, traffic fails over to Anthropic automatically"),
    ]}), "How would you trace a bad answer?"])
    iv.reply(GATEWAY)
    assert iv.state["asking"][:1] == ["q3"]
    # The reply to the tracing question mentions the proxy in passing; the model over-answers the
    # gateway question (already answered) and the cost question (never asked) from it.
    scripted.replies.extend([json.dumps({"answers": [
        answer("q3", 2, "we log every request and response in the proxy"),
        answer("q1", 3, "the proxy also picks the cheapest model", confidence=0.9),
        answer("q9", 2, "the proxy dashboard shows what each app spends", confidence=0.9),
    ]}), "And how do you measure quality?"])
    iv.reply("We log every request and response in the proxy, and the proxy also picks the cheapest model. "
             "The proxy dashboard shows what each app spends.")
    answers = iv.state["answers"]
    assert answers["q3"]["source"] == "direct" and answers["q3"]["score"] == 2
    assert answers["q1"]["score"] == 2 and answers["q1"]["source"] == "direct"  # the firm answer stands
    assert answers["q9"]["source"] == "inferred"  # provisional: checked with the interviewee later


def test_translated_and_invented_quotes_are_dropped_and_the_rest_kept(scripted):
    iv = interview(scripted)
    reply = "Ehrlich gesagt rufen alle Teams die OpenAI-API direkt auf, ein zentrales Gateway gibt es nicht."
    scripted.replies.extend([json.dumps({"language": "de", "answers": [
        answer("q1", 0, "rufen alle Teams die OpenAI-API direkt auf"),
        answer("q2", 0, "when OpenAI is down, everything fails"),  # invented: nothing was said about outages
        answer("q11", 1, "all teams share the same API key"),  # a translation of nothing said
    ]}), "Und wenn OpenAI ausfällt?"])
    iv.reply(reply)
    answers = iv.state["answers"]
    assert set(answers) == {"q1"} and answers["q1"]["evidence"] == "rufen alle Teams die OpenAI-API direkt auf"


# -- what the model is asked ------------------------------------------------------------------------
def test_the_interpret_prompt_states_the_contract():
    ctx = InterpretContext(reply="We use LiteLLM.", questions=[QuestionBrief(id="q1", dimension="gateway", text="How?")],
                           asking=[QuestionBrief(id="q1", dimension="gateway", text="How?")])
    system, user = (m["content"] for m in render("interpret", ctx))
    said = " ".join(system.split())
    for promise in ("`asking`", "outright", "in passing", "copied exactly", "Never translate", "never invent",
                    "right 9 times in 10", "hedges", "plans and pilots", "Return only the JSON object"):
        assert promise in said, promise
    assert "$" not in system + user and '"reply": "We use LiteLLM."' in user
