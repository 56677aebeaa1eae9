"""Follow-up questions are routed by what they are about and answered in sentences, from the
person's own answer, the result, or the glossary — never a dump of passages (issue 14)."""

from __future__ import annotations

import json
import re

import pytest

from agent.core.rubric import load_rubric
from agent.reporting.followup import NOT_COVERED, render_answer
from agent.reporting.followup_answer import answer_followup
from agent.reporting.followup_route import asked_term, route
from agent.reporting.glossary import load_glossary
from tests.scripted_provider import scripted_gateway
from tests.test_grounded_advice import LEVEL1, retriever, services, session_values  # noqa: F401 - fixture

SAID = {"q11": "Everyone uses one shared API key from env vars",
        "q3": "we only have console logs"}


@pytest.fixture(scope="module")
def values(retriever):  # noqa: F811 - the fixture above
    return session_values(load_rubric(), retriever, LEVEL1 | {"q11": 1}, said=SAID)


def ask(retriever, values, text, gateway=None):  # noqa: F811
    ans, calls = answer_followup(services(retriever, gateway), values, text)
    return ans, calls


def test_a_question_about_one_practice_starts_from_their_own_answer(retriever, values):  # noqa: F811
    ans, _ = ask(retriever, values, "what should we do about the shared API key?")
    assert (ans.topic.kind, ans.topic.id) == ("question", "q11")
    assert "Everyone uses one shared API key from env vars" in ans.answer  # their words
    assert "(2) “Gateway authentication”" in ans.answer  # the next option up
    assert "Set up basic authentication" in ans.answer  # the guide's step for it, quoted whole
    assert {"questionnaire-q11", "transition-l1-l2-week-1-2"} <= set(ans.cites)


def test_questions_about_the_result_are_answered_from_the_result(retriever, values):  # noqa: F811
    ans, _ = ask(retriever, values, "remind me, what level are we and what's our total?")
    assert ans.topic.kind == "result"
    assert "Level 1 (Reactive)" in ans.answer and "total of 15/60" in ans.answer and "6 more points" in ans.answer
    assert "SCORING" not in ans.answer and "OBSERVABILITY" not in ans.answer  # no template, no ASCII diagram
    weakest, _ = ask(retriever, values, "what's our weakest area?")
    assert weakest.topic.id == "weakest" and weakest.answer.startswith("Your weakest areas are")
    far, _ = ask(retriever, values, "how far are we from level 2?")
    assert far.topic.id == "next_level" and "Level 2 (Organized) starts at 21" in far.answer


@pytest.mark.parametrize("text", ["how do we stop sharing one API key across apps?", "how do we improve observability?",
                                  "what should we do first?", "how do we get from level 1 to 2 on cost?"])
def test_answers_quote_whole_lines_never_a_cut_passage(retriever, values, text):  # noqa: F811
    ans, _ = ask(retriever, values, text)
    assert ans.covered
    for para in re.split(r"\n+", ans.answer):
        assert not re.search(r"[A-Za-z]$", para.strip()), para  # every line ends a sentence, item or citation
    assert "+ Pr" not in render_answer(ans)


def test_what_a_term_means_is_defined_with_an_example_and_the_models_words(retriever, values):  # noqa: F811
    ans, _ = ask(retriever, values, "What do you mean by chains?")
    assert (ans.topic.kind, ans.topic.id) == ("term", "chain")
    assert "A fixed sequence of steps" in ans.answer and "For example" in ans.answer
    assert "“Chains: Basic pipelines”" in ans.answer and ans.cites == ["ladder-orchestration"]
    rag, _ = ask(retriever, values, "what does RAG mean?")
    assert rag.topic.id == "rag" and rag.answer.startswith("**RAG**")
    label, _ = ask(retriever, values, "what do you mean by 'simple chains'?")  # an option's label
    assert label.topic.id == "chain" and "option 2 of 0-5 for q7" in label.answer


def test_every_option_label_and_glossary_term_can_be_asked_about():
    rubric, glossary = load_rubric(), load_glossary()
    for q in rubric.questions:
        for o in q.options:
            if len(o.label.split()) < 2 and o.label.lower() in ("no", "yes"):
                continue
            topic = asked_term(f"what do you mean by '{o.label}'?", rubric)
            assert topic is not None and topic.kind in ("term", "option"), (q.id, o.label)
    for term in glossary.terms:
        assert route(f"what does {term} mean?", rubric).id == term


def test_glossary_entries_cite_passages_that_exist(retriever):  # noqa: F811
    known = {c.id for c in retriever.framework}
    for term, entry in load_glossary().terms.items():
        assert entry.cites and set(entry.cites) <= known, term
        assert entry.definition.endswith(".") and len(entry.definition.split()) <= 45, term


def test_out_of_scope_questions_are_declined_and_near_misses_too(retriever, values):  # noqa: F811
    for text in ("what's the capital of France?", "write me a haiku about kubernetes"):
        ans, _ = ask(retriever, values, text)
        assert not ans.covered and ans.answer == NOT_COVERED and ans.topic.kind == "out_of_scope"


def test_with_an_llm_the_model_routes_what_the_rules_cannot(retriever, values, scripted):  # noqa: F811
    """An LLM answers the route task (the offline engine uses its reader), then rewrites the answer
    from the same passages; its citations are checked."""
    settings = retriever.settings.model_copy(update={"num_retries": 0, "structured_output": "json_mode"})
    gw = scripted_gateway(settings, scripted, "scripted/primary")
    scripted.replies.append('Sure! {"question_id": "q9", "confidence": 0.8}')
    scripted.replies.append(json.dumps({"answer": "Start by tracking cost per application [questionnaire-q9].",
                                        "cites": ["questionnaire-q9"], "covered": True}))
    ans, calls = ask(retriever, values, "our invoice tripled and nobody can explain it", gw)
    assert (ans.topic.kind, ans.topic.id, ans.topic.by) == ("question", "q9", "model")
    assert ans.written_by == "scripted/primary" and ans.cites == ["questionnaire-q9"]
    assert [c.task for c in calls] == ["route", "followup"]
    assert "q9" in json.dumps(scripted.requests[0])  # the twelve questions went with the route task


@pytest.mark.parametrize("asked,says", [("what does RAG mean?", "**RAG**: Retrieval-augmented generation"),
                                        ("What do you mean by chains?", "**Chain**: A fixed sequence of steps"),
                                        ("what do you mean by 'Optimized gateway'?", "is option 3 of 0-5")])
def test_during_the_interview_a_term_is_explained_before_the_question_comes_back(asked, says):
    from tests.helpers import new_interview

    iv = new_interview("terms")
    iv.start()
    said = iv.reply(asked)
    assert said and says in said[0].split("\n\n")[0]  # first, before the question
    assert not iv.state.get("answers")  # a question about a word is not an answer
