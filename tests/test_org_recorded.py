"""Recorded organizations (evals/organizations/: 4 organizations × 2 rounds × 3 respondents, written
blind with deliberate disagreements) drive aggregation, settlement, history and the reports.

The disagreements each round must flag are the ones the data's author wrote on purpose (listed in
each org.yaml's notes), not whatever the code computes."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from agent.evaluation.organizations import load_organizations, replay
from agent.reporting.org.export import round_csv, round_json
from agent.reporting.org.markdown import render_history, render_round
from agent.reporting.org.view import build_history, build_round_view
from agent.storage.organizations import OrgStore

ROOT = Path(__file__).resolve().parent.parent / "evals" / "organizations"

# What the data's author says they wrote in (their report, and the notes in each org.yaml).
DELIBERATE = {
    ("brasserie-saint-etienne", "2026-Q1"): {"q3", "q12"},
    ("brasserie-saint-etienne", "2026-Q3"): {"q7", "q8"},
    ("pinecrest-mutual", "2025-Q4"): {"q1", "q11"},
    ("pinecrest-mutual", "2026-Q2"): {"q4", "q12"},
    ("qubit-lane", "2026-Q1"): {"q5", "q11"},
    ("qubit-lane", "2026-Q3"): {"q1", "q10", "q11"},
    ("okura-lindqvist", "2025-Q3"): {"q3", "q12"},
    ("okura-lindqvist", "2026-Q1"): {"q9", "q10", "q12"},
}


@pytest.fixture(scope="module")
def orgs():
    return load_organizations(ROOT)


@pytest.fixture
def store(storage_url, orgs):
    s = OrgStore(storage_url)
    replay(s, orgs)
    return s


def test_the_data_set_has_what_the_issue_asks_for(orgs):
    assert len(orgs) >= 3
    for org in orgs:
        assert len(org.rounds) >= 2
        for rnd in org.rounds:
            assert len(rnd.respondents) >= 3
            assert any(len(p.expected.answers) < 12 for p in rnd.respondents), "a partial respondent per round"
    assert any(not org.name.isascii() or "&" in org.name for org in orgs), "an organization name with odd characters"


def test_every_deliberate_disagreement_is_flagged_and_nothing_else(store, rubric, transitions, orgs):
    for org in orgs:
        slug = store.org(org.name).slug
        for rnd in org.rounds:
            view = build_round_view(store, rubric, transitions, org.name, rnd.name)
            assert {q.question for q in view.aggregate.disagreements} == DELIBERATE[(org.slug, rnd.name)], \
                (slug, rnd.name)
            for q in view.aggregate.disagreements:  # who said what, with their words
                assert len({a.respondent for a in q.answers}) >= 2 and all(a.quote for a in q.answers)


def test_each_round_reports_its_respondents_roles_and_the_rule(store, rubric, transitions, orgs):
    for org in orgs:
        for rnd in org.rounds:
            view = build_round_view(store, rubric, transitions, org.name, rnd.name)
            md = render_round(rubric, view)
            for person in rnd.respondents:
                assert person.respondent.name in md and person.respondent.role in md
            assert "median of the respondents' answers" in md
            lo, hi = view.aggregate.level_range
            assert lo <= (view.aggregate.assessment.level or lo) <= hi


def test_a_settlement_narrows_the_level_range(store, rubric, transitions):
    before = build_round_view(store, rubric, transitions, "qubit-lane-inc", "2026-Q3")
    assert before.aggregate.level_range[0] < before.aggregate.level_range[1]
    org = store.org("qubit-lane-inc")
    for qid, score in (("q1", 3), ("q10", 3), ("q11", 3)):
        store.settle(org, "2026-Q3", qid, score, "agreed in the review with the CISO", "Facilitator")
    after = build_round_view(store, rubric, transitions, "qubit-lane-inc", "2026-Q3")
    assert after.aggregate.level_range[0] == after.aggregate.level_range[1]
    assert all(q.settlement and q.settlement.by == "Facilitator" for q in after.aggregate.disagreements)
    assert "Settled at **3** by Facilitator" in render_round(rubric, after)


def test_history_says_what_changed_and_why(store, rubric, transitions, orgs):
    for org in orgs:
        history = build_history(store, rubric, transitions, org.name)
        assert [r.round for r in history.rounds] == [r.name for r in org.rounds]
        [change] = history.changes
        assert change.headline().startswith(f"since {org.rounds[0].name}: ")
        assert change.moved, org.slug  # every recorded organization changed something
        for m in change.moved:
            assert m.said_now or m.said_before
        md = render_history(rubric, history)
        assert f"| {org.rounds[1].name} |" in md and "Success criteria" in md


def test_pinecrest_got_worse_on_sensitive_data_and_better_on_cost(store, rubric, transitions):
    # the data's notes: q12 dropped to policy-only for security and claims, q9 2 -> 3
    view = build_round_view(store, rubric, transitions, "pinecrest-mutual-insurance", "2026-Q2")
    moved = {m.question: (m.before, m.after) for m in view.change.moved}
    assert moved["q9"][1] > moved["q9"][0]
    assert view.aggregate.question("q12").median < view.previous.question("q12").median


def test_a_new_person_replaces_a_respondent_between_rounds(store, rubric, transitions):
    q1 = build_round_view(store, rubric, transitions, "qubit-lane-inc", "2026-Q1")
    q3 = build_round_view(store, rubric, transitions, "qubit-lane-inc", "2026-Q3")
    assert "Sven Aalto" in {p.respondent for p in q1.participations}
    assert "Sven Aalto" not in {p.respondent for p in q3.participations}


def test_exports_of_every_round(store, rubric, transitions, orgs):
    views = [build_round_view(store, rubric, transitions, org.name, rnd.name) for org in orgs for rnd in org.rounds]
    rows = list(csv.DictReader(io.StringIO(round_csv(rubric, views))))
    gold_answers = sum(len(p.expected.answers) for org in orgs for rnd in org.rounds for p in rnd.respondents)
    assert len([r for r in rows if r["respondent"]]) == gold_answers
    for view in views:
        data = json.loads(round_json(view))
        assert data["summary"]["disagreements"] == [q.question for q in view.aggregate.disagreements]


def test_a_respondent_answering_twice_counts_once_with_the_latest(store, rubric, transitions, orgs):
    org = next(o for o in orgs if o.slug == "pinecrest-mutual")
    person = org.rounds[1].respondents[0]
    store.attach(person.id + "-again", org.name, org.rounds[1].name, respondent=person.respondent.name,
                 role=person.respondent.role)
    store.record(person.id + "-again", "done", {"q1": {"score": 0, "evidence": "I was wrong, most teams bypass it"}})
    view = build_round_view(store, rubric, transitions, org.name, org.rounds[1].name)
    mine = [p for p in view.participations if p.respondent == person.respondent.name]
    assert [p.superseded for p in mine] == [True, False]
    assert [a.score for a in view.aggregate.question("q1").answers if a.respondent == person.respondent.name] == [0]
    assert len(view.counting) == 3
