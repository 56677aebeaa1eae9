"""The LiteLLM gateway against a scripted provider: structured output, repair, degradation,
fallbacks, streaming and usage records."""

from __future__ import annotations

import json

import litellm

from agent.common.config import load_settings
from agent.core.schemas import RubricUpdate
from agent.gateway.models import ModelChoice
from agent.gateway.router import Gateway
from agent.gateway.structured import choose_mode
from tests.scripted_provider import scripted_gateway

GOOD = json.dumps({"answers": [{"question_id": "q1", "score": 2, "confidence": 0.9,
                                "evidence": "Everything goes through our LiteLLM proxy"}]})


def gateway(scripted, fallbacks=(), offline=False, mode="json_schema", **settings_update):
    # The scripted provider is unknown to LiteLLM's capability map, so the mode is set explicitly.
    settings = load_settings().model_copy(update={"num_retries": 0, "structured_output": mode, **settings_update})
    fb = [*fallbacks, *(["offline/rubric"] if offline else [])]
    return scripted_gateway(settings, scripted, "scripted/primary", fb)


def interview(gw, name, saver=None):
    """A session whose model calls go through `gw`."""
    from langgraph.checkpoint.memory import InMemorySaver

    from agent.app import App

    return App(gw.settings, gateway=gw).interview(name, saver or InMemorySaver())


MSGS = [{"role": "user", "content": "Read this."}]


def test_structured_output_is_requested_as_schema_and_validated(scripted):
    scripted.replies.append("```json\n" + GOOD + "\n```")
    value, calls = gateway(scripted).structured("interpret", MSGS, RubricUpdate)
    assert isinstance(value, RubricUpdate) and value.answers[0].score == 2
    rf = scripted.params[0]["response_format"]
    assert rf["type"] == "json_schema" and "answers" in json.dumps(rf["json_schema"]["schema"])
    assert calls[0].ok and calls[0].prompt_tokens == 100 and calls[0].completion_tokens == 20


def test_malformed_json_is_repaired_with_the_validation_error(scripted):
    scripted.replies.extend(['{"answers": [{"question_id": "q99", "score": 9}]}', GOOD])
    value, calls = gateway(scripted).structured("interpret", MSGS, RubricUpdate)
    assert value is not None and value.answers[0].question_id == "q1"
    assert len(calls) == 2 and not calls[0].ok and "invalid RubricUpdate" in calls[0].error
    repair = scripted.requests[1][-1]["content"]
    assert "not valid RubricUpdate" in repair and "q99" in scripted.requests[1][-2]["content"]


def test_malformed_twice_degrades_to_none(scripted):
    scripted.replies.extend(["not json", "still not json"])
    value, calls = gateway(scripted).structured("interpret", MSGS, RubricUpdate)
    assert value is None and len(calls) == 2 and not any(c.ok for c in calls)


def test_rate_limited_primary_falls_back(scripted):
    scripted.replies.extend([litellm.RateLimitError("slow down", llm_provider="scripted", model="primary"),
                             "Hello from the backup"])
    text, calls = gateway(scripted, fallbacks=["scripted/backup"]).text("ask", MSGS)
    assert text == "Hello from the backup"
    assert not calls[0].ok and calls[0].model == "scripted/primary" and not calls[0].permanent
    assert calls[1].ok and calls[1].model == "scripted/backup" and calls[1].fallback_from == "scripted/primary"
    assert "rate-limiting" in calls[1].fallback_reason


def test_every_model_down_falls_back_to_offline_engine_when_allowed(scripted):
    scripted.replies.append(litellm.ServiceUnavailableError("down", llm_provider="scripted", model="primary"))
    from agent.core.prompts import render
    from agent.core.schemas import InterpretContext, QuestionBrief

    ctx = InterpretContext(reply="Everything goes through our LiteLLM proxy.",
                           questions=[QuestionBrief(id="q1", dimension="gateway", text="How?")])
    value, calls = gateway(scripted, offline=True).structured("interpret", render("interpret", ctx), RubricUpdate)
    assert value is not None and value.answers[0].score == 2 and calls[-1].model.startswith("offline")
    assert calls[-1].fallback_from == "scripted/primary" and not calls[0].ok


def test_every_model_down_without_offline_is_a_failed_record_not_a_crash(scripted):
    scripted.replies.append(litellm.ServiceUnavailableError("down", llm_provider="scripted", model="primary"))
    text, calls = gateway(scripted).text("ask", MSGS)
    assert text is None and not calls[0].ok and "ServiceUnavailable" in calls[0].error


def test_streaming_passes_tokens_as_they_arrive(scripted):
    scripted.replies.append("How do your applications reach AI models?")
    tokens: list[str] = []
    text, calls = gateway(scripted).text("ask", MSGS, on_token=tokens.append)
    assert len(tokens) == 7 and "".join(tokens) == text == "How do your applications reach AI models?"
    assert calls[0].ok


def test_whole_interview_on_a_failing_llm_degrades_gracefully(scripted):
    """Bad JSON twice, then the provider is down: the interview goes on with the plain question
    and loses nothing."""


    scripted.replies.extend(["garbage", "garbage",
                             litellm.ServiceUnavailableError("down", llm_provider="scripted", model="primary")])
    iv = interview(gateway(scripted), "g")
    iv.start()
    msgs = iv.reply("Everything goes through our LiteLLM proxy.")
    st = iv.state
    assert "couldn't process that reply" in msgs[-1]
    assert st["messages"][-2]["content"] == "Everything goes through our LiteLLM proxy."
    assert iv.services.rubric.question("q1").text in msgs[-1]  # asked again in the seed's words


def test_unusable_model_is_a_failed_call_not_a_crash(monkeypatch):
    monkeypatch.setenv("AIOPS_OFFLINE_FALLBACK", "false")
    g = Gateway(load_settings(), ModelChoice(model="nosuchprovider/x", fallbacks=[]))
    value, calls = g.structured("interpret", MSGS, RubricUpdate)
    assert value is None and "does not know the model" in calls[0].error
    text, calls = g.text("ask", MSGS, on_token=lambda t: None)
    assert text is None and not calls[0].ok


def test_interview_turn_on_an_llm_uses_its_reading_and_its_wording(scripted):
    """What a real model returns drives the turn; a quote the user never said is dropped."""


    reading = {"answers": [
        {"question_id": "q1", "score": 2, "confidence": 0.9, "evidence": "Everything goes through our LiteLLM proxy"},
        {"question_id": "q3", "score": 4, "confidence": 0.9, "evidence": "we have predictive anomaly detection"},
    ]}
    scripted.replies.extend([json.dumps(reading), "Understood, a central LiteLLM gateway. What happens when a provider fails?"])
    iv = interview(gateway(scripted), "llm")
    iv.start()
    msgs = iv.reply("Everything goes through our LiteLLM proxy.")
    st = iv.state
    assert set(st["answers"]) == {"q1"} and st["answers"]["q1"]["score"] == 2  # q3's quote was invented
    assert msgs[-1] == "Understood, a central LiteLLM gateway. What happens when a provider fails?"
    interpret_prompt = scripted.requests[0][-1]["content"]
    assert "<context>" in interpret_prompt and "Everything goes through our LiteLLM proxy." in interpret_prompt
    ask_prompt = scripted.requests[1][-1]["content"]
    assert "I ignored 1 reading(s)" in ask_prompt  # the notice reaches the model, to be said verbatim
    assert [c["task"] for c in st["calls"]] == ["interpret", "ask"]
    assert all(c["model"] == "scripted/primary" and c["prompt_tokens"] == 100 for c in st["calls"])


def test_structured_output_via_tool_calling_for_a_model_without_json_schema(scripted):
    from litellm import ModelResponse

    scripted.replies.append(ModelResponse(choices=[{"index": 0, "finish_reason": "tool_calls", "message": {
        "role": "assistant", "content": None, "tool_calls": [{"id": "call_1", "type": "function", "function": {
            "name": "RubricUpdate", "arguments": GOOD}}]}}]))
    value, calls = gateway(scripted, mode="tools").structured("interpret", MSGS, RubricUpdate)
    assert value is not None and value.answers[0].score == 2 and calls[0].ok
    params = scripted.params[0]
    assert params["tools"][0]["function"]["name"] == "RubricUpdate"
    assert "answers" in json.dumps(params["tools"][0]["function"]["parameters"])
    assert params["tool_choice"]["function"]["name"] == "RubricUpdate"
    assert "JSON schema" in scripted.requests[0][0]["content"]  # the schema is in the prompt too


def test_json_mode_puts_the_schema_in_the_prompt(scripted):
    scripted.replies.append(GOOD)
    value, _ = gateway(scripted, mode="json_mode").structured("interpret", MSGS, RubricUpdate)
    assert value is not None
    assert scripted.params[0]["response_format"] == {"type": "json_object"}
    system = scripted.requests[0][0]
    assert system["role"] == "system" and '"answers"' in system["content"]


def test_auto_mode_asks_litellm_what_the_model_supports():
    import litellm

    from agent.common.config import load_settings

    s = load_settings()
    assert choose_mode(litellm, "openai/gpt-4o-mini", "auto") == "json_schema"
    assert choose_mode(litellm, "scripted/x", "auto") == "json_mode"  # unknown to litellm's map
    assert choose_mode(litellm, "scripted/x", "tools") == "tools"  # config forces it
    g = Gateway(s, ModelChoice(model="offline/rubric", fallbacks=[]))
    g.ready()
    assert g.structured_mode == "json_schema"


def test_personal_data_never_reaches_the_provider_and_replies_are_restored(scripted):
    reply = json.dumps({"answers": [{"question_id": "q11", "score": 1, "confidence": 0.9,
                                     "evidence": "we share one key [API_KEY_1] and mail [EMAIL_1]"}]})
    scripted.replies.append(reply)
    msgs = [{"role": "user", "content": "We share one key sk-abc123def456ghi789jkl and mail ops@acme.example "
                                        "from 10.1.2.3, card 4111 1111 1111 1111."}]
    value, _ = gateway(scripted).structured("interpret", msgs, RubricUpdate)
    sent = json.dumps(scripted.requests[0])
    for secret in ("sk-abc123def456ghi789jkl", "ops@acme.example", "10.1.2.3", "4111 1111 1111 1111"):
        assert secret not in sent
    assert "[API_KEY_1]" in sent and "[EMAIL_1]" in sent and "[IP_1]" in sent and "[CARD_1]" in sent
    assert value.answers[0].evidence == "we share one key sk-abc123def456ghi789jkl and mail ops@acme.example"
    assert msgs[0]["content"].startswith("We share one key sk-")  # the caller's messages are untouched


def test_redaction_can_be_turned_off(scripted):
    scripted.replies.append(GOOD)
    msgs = [{"role": "user", "content": "mail ops@acme.example"}]
    gateway(scripted, redact_pii=False).structured("interpret", msgs, RubricUpdate)
    assert "ops@acme.example" in json.dumps(scripted.requests[0])


def test_streamed_tokens_have_placeholders_restored(scripted):
    scripted.replies.append("Shall I send the report to [EMAIL_1] then?")
    got: list[str] = []
    text, _ = gateway(scripted).text("ask", [{"role": "user", "content": "send it to ops@acme.example"}], on_token=got.append)
    assert text == "Shall I send the report to ops@acme.example then?"
    assert "".join(got).strip() == text
    assert "[EMAIL" not in "".join(got)


def test_budget_stops_paid_calls_and_hands_over_to_the_offline_engine(scripted):
    from agent.gateway import budget

    g = gateway(scripted, offline=True, budget_usd=0.01)
    scripted.replies.append(GOOD)
    with budget.session_spend(0.0):
        value, calls = g.structured("interpret", MSGS, RubricUpdate)
        assert calls[0].model.startswith("scripted") and calls[0].note is None
    with budget.session_spend(0.02):  # over budget: the scripted (paid) model is not called again
        n = len(scripted.requests)
        value, calls = g.structured("interpret", MSGS, RubricUpdate)
        assert len(scripted.requests) == n and calls[0].note == "budget_exceeded"
        assert calls[0].model.startswith("offline")
    no_offline = gateway(scripted, budget_usd=0.01)
    with budget.session_spend(0.05):
        value, calls = no_offline.structured("interpret", MSGS, RubricUpdate)
        assert value is None and not calls[0].ok and "budget" in calls[0].error


def test_every_model_down_stops_with_one_message_and_resumes_from_the_same_question(scripted):
    from langgraph.checkpoint.memory import InMemorySaver


    saver = InMemorySaver()
    down = litellm.ServiceUnavailableError("down", llm_provider="scripted", model="primary")
    scripted.replies.extend([down, down])
    iv = interview(gateway(scripted, fallbacks=["scripted/backup"]), "down", saver)
    first = iv.start()
    said = iv.reply("Everything goes through our LiteLLM proxy.")
    assert said == [] and iv.outage and "No model could be reached" in iv.outage
    assert iv.state["current"] == "q1" and not iv.state.get("answers")
    assert iv.state["messages"][-1]["content"] == "Everything goes through our LiteLLM proxy."  # kept
    scripted.replies.extend([GOOD, "And when a provider fails?"])
    again = interview(gateway(scripted, fallbacks=["scripted/backup"]), "down", saver)
    assert again.start() == first[-1:]  # the same open question
    again.reply("Everything goes through our LiteLLM proxy.")
    assert again.outage is None and again.state["answers"]["q1"]["score"] == 2
