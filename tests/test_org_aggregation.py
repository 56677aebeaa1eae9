"""Aggregating several respondents' answers into one round, and comparing rounds (pure core)."""

from __future__ import annotations

import pytest

from agent.core.aggregation import RespondentAnswer, Settlement, aggregate_round, lower_median
from agent.core.history import compare_rounds
from agent.core.org_names import OrgNameError, org_slug, respondent_key, round_name


def _a(qid: str, score: int, who: str, role: str = "Platform lead", quote: str = "") -> RespondentAnswer:
    return RespondentAnswer(question=qid, score=score, respondent=who, role=role, session=f"s-{who}",
                            quote=quote or f"{who} on {qid}")


def _all(score: int, who: str) -> list[RespondentAnswer]:
    return [_a(f"q{i}", score, who) for i in range(1, 13)]


@pytest.mark.parametrize(("values", "median"), [([3], 3), ([1, 4], 1), ([2, 2, 5], 2), ([0, 1, 4, 5], 1),
                                                  ([5, 0, 3], 3)])
def test_median_is_the_lower_middle_value(values, median):
    assert lower_median(values) == median


def test_two_options_apart_is_a_disagreement_and_one_is_not(rubric):
    agg = aggregate_round(rubric, [_a("q1", 4, "Ana"), _a("q1", 2, "Bo", "Security lead"),
                                   _a("q2", 3, "Ana"), _a("q2", 2, "Bo")])
    q1, q2 = agg.question("q1"), agg.question("q2")
    assert (q1.median, q1.low, q1.high, q1.disagreement) == (2, 2, 4, True)
    assert (q2.median, q2.disagreement) == (2, False)
    assert [d.question for d in agg.disagreements] == ["q1"]
    # who said what, lowest first
    assert [(a.respondent, a.score) for a in q1.answers] == [("Bo", 2), ("Ana", 4)]


def test_scores_and_level_come_from_the_aggregates(rubric):
    answers = _all(2, "Ana") + _all(2, "Bo") + _all(3, "Cy")
    agg = aggregate_round(rubric, answers)
    assert agg.assessment.complete
    assert agg.assessment.total == 24  # median 2 on every question
    assert agg.assessment.level == rubric.level_for_total(24)
    assert agg.level_range == (agg.assessment.level, agg.assessment.level)


def test_disagreements_widen_the_level_range(rubric):
    answers = _all(2, "Ana") + _all(2, "Bo")
    answers += [_a("q1", 5, "Cy"), _a("q9", 0, "Cy")]  # one far above, one far below
    agg = aggregate_round(rubric, answers)
    assert agg.assessment.total == 24
    lo, hi = agg.level_range
    # q1 anywhere in 2..5, q9 in 0..2
    assert (lo, hi) == (rubric.level_for_total(22), rubric.level_for_total(27))


def test_partial_respondents_count_for_what_they_answered(rubric):
    security_only = [_a("q11", 1, "Sec", "Security lead"), _a("q12", 1, "Sec", "Security lead")]
    agg = aggregate_round(rubric, [*_all(3, "Ana"), *security_only])
    assert agg.question("q11").median == 1  # lower median of 1 and 3
    assert agg.question("q3").answers[0].respondent == "Ana" and len(agg.question("q3").answers) == 1
    assert agg.question("q11").disagreement


def test_a_settlement_replaces_the_median_and_narrows_the_range(rubric):
    answers = _all(2, "Ana") + _all(2, "Bo") + [_a("q1", 5, "Cy")]
    older = Settlement(question="q1", score=3, note="first look", by="fac", at="2026-12-01T10:00:00+00:00")
    newer = Settlement(question="q1", score=4, note="the gateway covers every team since May",
                       by="Facilitator", at="2026-12-02T10:00:00+00:00")
    agg = aggregate_round(rubric, answers, [newer, older])
    q1 = agg.question("q1")
    assert q1.median == 2 and q1.score == 4 and q1.settlement == newer
    assert q1.disagreement and not q1.disputed
    assert agg.assessment.total == 26
    assert agg.level_range == (rubric.level_for_total(26),) * 2


def test_nobody_answered_leaves_the_question_open(rubric):
    agg = aggregate_round(rubric, [_a("q1", 2, "Ana")])
    assert agg.question("q2").median is None and not agg.question("q2").disagreement
    assert not agg.assessment.complete
    assert agg.level_range == agg.assessment.level_range


def test_history_names_what_moved_with_quotes_and_the_guide_progress(rubric, transitions):
    before = aggregate_round(rubric, _all(1, "Ana"))
    now_answers = [a if a.question not in ("q9", "q10") else _a(a.question, 3, "Ana", quote="budget alerts now")
                   for a in _all(1, "Ana")]
    now = aggregate_round(rubric, now_answers)
    change = compare_rounds(rubric, transitions, ("2026-Q3", before), ("2026-Q4", now))
    assert change.headline() == "since 2026-Q3: Cost 1 → 3"
    assert [m.question for m in change.moved] == ["q9", "q10"]
    assert change.moved[0].said_now[0].quote == "budget alerts now"
    assert change.progress is not None and change.progress.heading == "Level 1 to Level 2"
    assert len(change.progress.done_now) > len(change.progress.done_before)
    assert change.progress.success_criteria


def test_history_headline_says_the_level_change(rubric, transitions):
    before = aggregate_round(rubric, _all(1, "Ana"))
    now = aggregate_round(rubric, _all(2, "Ana"))
    headline = compare_rounds(rubric, transitions, ("2026-Q3", before), ("2026-Q4", now)).headline()
    lvl = rubric.level_for_total
    assert headline.endswith(f"level {lvl(12)} → {lvl(24)}")
    assert "Gateway 1 → 2" in headline


@pytest.mark.parametrize(("name", "slug"), [
    ("Acme Retail", "acme-retail"), ("ACME   retail!", "acme-retail"),
    ("Müller & Söhne GmbH (R&D)", "muller-sohne-gmbh-r-d"), ("日本語", "org-65e5-672c-8a9e"),
    ("Ōkura–Lindqvist Biotech AB", "okura-lindqvist-biotech-ab")])
def test_org_slugs_are_stable_and_fold_case_accents_and_punctuation(name, slug):
    assert org_slug(name) == slug


def test_a_name_without_letters_or_digits_is_refused():
    with pytest.raises(OrgNameError, match="not an organization name"):
        org_slug(" -- ")


@pytest.mark.parametrize(("given", "stored"), [("2026q4", "2026-Q4"), ("2026-q1", "2026-Q1"), ("pilot-1", "pilot-1")])
def test_round_names(given, stored):
    assert round_name(given) == stored


def test_the_default_round_is_the_current_quarter():
    from datetime import date

    assert round_name(None, date(2026, 12, 2)) == "2026-Q4"
    assert round_name("", date(2026, 1, 31)) == "2026-Q1"


def test_a_bad_round_name_is_refused_with_the_format():
    with pytest.raises(OrgNameError, match="2026-Q4"):
        round_name("../etc")


def test_respondents_are_told_apart_by_name_not_case():
    assert respondent_key("Dana  Okafor", "s1") == respondent_key("dana okafor", "s2")
    assert respondent_key(None, "s1") != respondent_key(None, "s2")
