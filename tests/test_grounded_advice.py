"""Advice from retrieved passages and follow-up answers: tailored to the answers, citing only
passages that exist and were retrieved, honest when the model does not cover a question."""

from __future__ import annotations

import json
import random

import pytest

from agent.app import build_gateway
from agent.common.config import load_settings
from agent.core.rubric import QUESTION_IDS, load_rubric
from agent.core.schemas import AnswerRecord
from agent.core.scoring import score
from agent.core.transitions import load_transitions
from agent.reporting.advice import select_actions
from agent.reporting.advice_writer import retrieve_passages, write_advice
from agent.reporting.context import ReportingContext
from agent.reporting.followup import NOT_COVERED, parse_question
from agent.reporting.followup_answer import answer_followup
from agent.reporting.grounded import AdviceDraft, DraftAction, advice_queries, candidates, checked_actions
from agent.retrieval.retriever import Retriever
from tests.scripted_provider import scripted_gateway

LEVEL1 = {"q1": 1, "q2": 0, "q3": 2, "q4": 1, "q5": 1, "q6": 2, "q7": 2, "q8": 1, "q9": 1, "q10": 1, "q11": 3, "q12": 2}


@pytest.fixture(scope="module")
def retriever(tmp_path_factory):
    s = load_settings()
    s = s.model_copy(update={"data_dir": tmp_path_factory.mktemp("advice-data")})
    return Retriever(s).open()


def records(scores: dict[str, int], said: dict[str, str] | None = None) -> dict[str, AnswerRecord]:
    said = said or {}
    return {q: AnswerRecord(question_id=q, score=s, confidence=0.9, evidence=said.get(q, f"answer to {q}"), turn=1)
            for q, s in scores.items()}


def services(retriever, gateway=None) -> ReportingContext:
    s = retriever.settings
    return ReportingContext(rubric=load_rubric(), transitions=load_transitions(), gateway=gateway or build_gateway(s),
                            retriever=lambda: retriever, top_k=s.retrieval.top_k)


def run_advise(retriever, rubric, scores, gateway=None, said=None):
    written = write_advice(services(retriever, gateway), score(rubric, scores), records(scores, said))
    return written.advice, written


def test_queries_target_each_weak_dimension_and_the_right_guides(rubric):
    a = score(rubric, LEVEL1)
    qs = advice_queries(rubric, a, records(LEVEL1))
    weak = {d.dimension for d in a.dimensions if d.gap and d.gap > 0}
    assert {q.dimension for q in qs} == weak
    for q in qs:
        if q.purpose == "current":
            assert q.from_level == 1 and q.kinds == ("transition",)
        elif q.purpose == "next":
            assert q.from_level == 2
        else:
            assert q.origin == "organization"
    assert advice_queries(rubric, score(rubric, dict.fromkeys(QUESTION_IDS, 5))) == []


def test_retrieved_passages_respect_the_filters(retriever, rubric):
    a = score(rubric, LEVEL1)
    passages = retrieve_passages(services(retriever), advice_queries(rubric, a, records(LEVEL1)))
    assert passages and len({p.id for p in passages}) == len(passages)
    for p in passages:
        assert p.origin == "framework"  # no organization documents in this index
        assert p.from_level == (1 if p.purpose == "current" else 2)
        assert p.for_dimension in p.dimensions


def test_advice_never_recommends_what_the_answers_show(retriever, rubric, transitions):
    rng = random.Random(11)
    for _ in range(25):
        scores = {q: rng.randint(0, 4) for q in QUESTION_IDS}
        a = score(rubric, scores)
        passages = retrieve_passages(services(retriever), advice_queries(rubric, a, records(scores)))
        cands, in_place = candidates(rubric, transitions, a, passages)
        done = {it.text for g in transitions.guides for b in g.blocks for it in b.items if it.satisfied(scores) is True}
        assert not {c.text for c in cands} & done
        assert set(in_place) <= done
        known = {p.id for p in passages}
        assert all(c.cite in known for c in cands)


def test_a_team_on_litellm_is_not_told_to_deploy_it(retriever, rubric):
    on_gateway = LEVEL1 | {"q1": 2, "q2": 0}
    adv, _ = run_advise(retriever, rubric, on_gateway)
    planned = [a.text for a in adv.short_term + adv.medium_term + adv.long_term]
    assert "Deploy LiteLLM (start with Docker)" not in planned
    assert any("LiteLLM" in a.text for a in adv.already_in_place)
    without, _ = run_advise(retriever, rubric, LEVEL1)
    assert "Deploy LiteLLM (start with Docker)" in [a.text for a in without.short_term]


def test_offline_advice_is_extractive_and_cites_real_chunks(retriever, rubric):
    adv, out = run_advise(retriever, rubric, LEVEL1)
    assert adv.grounded and adv.written_by == "extractive"
    assert out.calls == []  # offline: no model call for the advice
    known = {c.id for c in retriever.framework}
    actions = adv.short_term + adv.medium_term + adv.long_term
    assert actions
    for a in actions:
        assert a.cites and set(a.cites) <= known
        assert a.term in ("short", "medium", "long")
    assert adv.kpi_level == score(rubric, LEVEL1).target_level == 2


def test_checked_actions_drop_uncited_wrongly_cited_and_repeated(retriever, rubric, transitions):
    a = score(rubric, LEVEL1 | {"q1": 2})
    passages = retrieve_passages(services(retriever), advice_queries(rubric, a, records(LEVEL1)))
    pid = passages[0].id
    draft = AdviceDraft(actions=[
        DraftAction(text="Add a fallback provider to the gateway", term="short", dimension="gateway", cites=[pid]),
        DraftAction(text="Hire a chief AI officer", term="short", cites=[]),
        DraftAction(text="Adopt a vendor we like", term="medium", cites=["made-up-passage"]),
        DraftAction(text="Deploy LiteLLM with Docker", term="short", cites=[pid]),
    ])
    kept, dropped = checked_actions(draft, passages, ["Deploy LiteLLM (start with Docker)"])
    assert [k.text for k in kept] == ["Add a fallback provider to the gateway"]
    assert kept[0].source == passages[0].section and kept[0].cites == [pid]
    assert len(dropped) == 3
    assert any("no citation" in d for d in dropped) and any("made-up-passage" in d for d in dropped)
    assert any("already in place" in d for d in dropped)


def advisor(retriever, scripted):
    return scripted_gateway(retriever.settings.model_copy(update={"num_retries": 0}), scripted, "scripted/advisor")


def test_llm_advice_with_a_wrong_citation_is_regenerated(retriever, rubric, scripted):
    a = score(rubric, LEVEL1)
    passages = retrieve_passages(services(retriever), advice_queries(rubric, a, records(LEVEL1)))
    good = passages[0].id
    first = {"actions": [{"text": "Stand up the gateway", "term": "short", "dimension": "gateway", "cites": [good]},
                         {"text": "Buy GPUs", "term": "short", "cites": ["gpu-guide"]}]}
    second = {"actions": [{"text": "Stand up the gateway", "term": "short", "dimension": "gateway", "cites": [good]},
                          {"text": "Route traffic through it", "term": "medium", "dimension": "gateway", "cites": [good]}]}
    scripted.replies.extend([json.dumps(first), json.dumps(second)])
    adv, out = run_advise(retriever, rubric, LEVEL1, gateway=advisor(retriever, scripted))
    assert adv.written_by == "scripted/advisor"
    assert [x.text for x in adv.short_term][:1] == ["Stand up the gateway"]
    assert "Route traffic through it" in [x.text for x in adv.medium_term]
    assert all(set(x.cites) <= {p.id for p in adv.passages} for x in adv.short_term + adv.medium_term + adv.long_term)
    assert "gpu-guide" in scripted.requests[1][-1]["content"]  # the retry names the rejected citation
    context = json.loads(scripted.requests[0][1]["content"].split("<context>")[1].split("</context>")[0])
    given = {p["id"] for p in context["passages"]}
    assert given == {p.id for p in adv.passages if p.purpose != "ladder"}
    assert "Buy GPUs" not in [x.text for x in adv.short_term + adv.medium_term + adv.long_term]
    assert len(out.calls) == 2


def test_unusable_llm_advice_falls_back_to_extractive(retriever, rubric, scripted):
    scripted.replies.extend(["not json", "still not json"])
    adv, _ = run_advise(retriever, rubric, LEVEL1, gateway=advisor(retriever, scripted))
    assert adv.written_by == "extractive"
    assert adv.short_term and all(a.cites for a in adv.short_term)
    offline = select_actions(rubric, load_transitions(), score(rubric, LEVEL1))
    assert adv.kpis == offline.kpis


# -- follow-up questions -------------------------------------------------------------------------


@pytest.mark.parametrize("text,intent,dimension", [
    ("how do we get from level 2 to 3 on cost?", "transition", "cost"),
    ("what should we do first?", "first_steps", None),
    ("which KPIs should we track?", "kpis", None),
    ("why did I get a 1 on tracing?", "why_score", "observability"),
    ("what does level 4 look like?", "general", None),
])
def test_followup_questions_are_recognised(rubric, text, intent, dimension):
    q = parse_question(text, rubric)
    assert q.intent == intent
    assert q.dimension == dimension


def session_values(rubric, retriever, scores, said=None) -> dict:
    """A finished session's state, as the followup step reads it."""
    adv, _ = run_advise(retriever, rubric, scores, said=said)
    return {"answers": {q: r.model_dump() for q, r in records(scores, said).items()},
            "advice": adv.model_dump(mode="json"), "phase": "done"}


def test_followup_answers_cite_the_passages_they_use(retriever, rubric):
    scores = LEVEL1 | {"q1": 2, "q2": 2, "q3": 1}
    values = session_values(rubric, retriever, scores, said={"q3": "we only have console logs"})
    svc = services(retriever)
    known = {c.id for c in retriever.framework}

    cost, _ = answer_followup(svc, values, "how do we get from level 2 to 3 on cost?")
    assert cost.covered and cost.cites and set(cost.cites) <= known
    assert "transition-l2-l3-week-11-12" in cost.cites
    assert "Configure budget enforcement" in cost.answer

    kpis, _ = answer_followup(svc, values, "which KPIs should we track?")
    assert kpis.cites == ["kpi-level-2"] and "Gateway Latency P50" in kpis.answer

    why, _ = answer_followup(svc, values, "why did I get a 1 on tracing?")
    assert why.cites == ["questionnaire-q3"]
    assert "we only have console logs" in why.answer and "Full trace" not in why.answer.split("next option")[0]

    first, _ = answer_followup(svc, values, "what should we do first?")
    adv_first = values["advice"]["short_term"][0]
    assert adv_first["text"] in first.answer and set(first.cites) <= known and first.cites


@pytest.mark.parametrize("text", ["what's the weather in Lisbon tomorrow?", "how do I bake sourdough bread at home?"])
def test_questions_the_model_does_not_cover_get_an_honest_answer(retriever, rubric, text):
    values = session_values(rubric, retriever, LEVEL1)
    ans, calls = answer_followup(services(retriever), values, text)
    assert not ans.covered and ans.answer == NOT_COVERED and ans.cites == []
    assert calls == []


def test_llm_followup_citing_an_unknown_passage_is_replaced_by_the_extractive_answer(retriever, rubric, scripted):
    values = session_values(rubric, retriever, LEVEL1)
    scripted.replies.append(json.dumps({"answer": "Buy GPUs [gpu-guide]", "cites": ["gpu-guide"], "covered": True}))
    ans, calls = answer_followup(services(retriever, advisor(retriever, scripted)), values, "which KPIs should we track?")
    assert ans.written_by == "extractive" and ans.cites == ["kpi-level-2"] and "GPU" not in ans.answer
    assert len(calls) == 1


def test_llm_followup_with_valid_citations_is_used(retriever, rubric, scripted):
    values = session_values(rubric, retriever, LEVEL1)
    scripted.replies.append(json.dumps(
        {"answer": "Track request volume and cost per application daily [kpi-level-2].", "cites": [], "covered": True}))
    ans, _ = answer_followup(services(retriever, advisor(retriever, scripted)), values, "which KPIs should we track?")
    assert ans.written_by == "scripted/advisor" and ans.cites == ["kpi-level-2"]
    assert ans.sources == ["Metrics and KPIs › Level-Appropriate Metrics › Level 2 [kpi-level-2]"]
