import copy

import pytest
import yaml

from agent.common.paths import RUBRIC_PATH
from agent.core.rubric import RubricError, load_rubric, parse_rubric


def raw():
    return yaml.safe_load(RUBRIC_PATH.read_text())


def test_questionnaire_matches_the_seed(rubric):
    assert [q.id for q in rubric.questions] == [f"q{i}" for i in range(1, 13)]
    assert rubric.question("q1").text == "How do your applications access AI services?"
    assert rubric.question("q2").label(0) == "Applications fail"
    assert rubric.question("q12").label(4) == "Full DLP with masking"
    assert rubric.question("q4").label(2) == "User feedback only"
    dims = [q.dimension for q in rubric.questions]
    assert dims == ["gateway"] * 2 + ["observability"] * 2 + ["memory"] * 2 + ["orchestration"] * 2 + \
        ["cost"] * 2 + ["security"] * 2
    assert all(len(q.options) == 6 for q in rubric.questions)
    assert [lv.name for lv in rubric.levels] == ["Ad-Hoc", "Reactive", "Organized", "Systematic",
                                                  "Intelligent", "Autonomous"]


def test_every_option_label_is_verbatim_in_the_seed(rubric):
    seed = (RUBRIC_PATH.parent / "AI_OPS_MATURITY_MODEL.md").read_text()
    for q in rubric.questions:
        assert q.text in seed
        for o in q.options:
            assert f"({o.score}) {o.label}" in seed


def test_discrepancies_are_recorded_for_q4_and_q12(rubric):
    assert {"q4", "q12"} <= {d.question for d in rubric.discrepancies}


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda d: d["questions"].pop(), "q1..q12"),
        (lambda d: d["questions"][0]["options"].pop(), "0..5"),
        (lambda d: d["bands"][1].update(min=12), "gap or overlap"),
        (lambda d: d["bands"][1].update(min=10), "gap or overlap"),
        (lambda d: d["bands"][5].update(max=59), "0..60"),
        (lambda d: d["questions"][0].update(dimension="memory"), "exactly 2"),
        (lambda d: d["questions"][0].update(colour="red"), "Extra inputs"),
    ],
)
def test_invalid_rubrics_are_rejected(mutate, message):
    data = copy.deepcopy(raw())
    mutate(data)
    with pytest.raises(ValueError, match=message):
        parse_rubric(data)


def test_unreadable_rubric_file_gives_clear_error(tmp_path):
    bad = tmp_path / "r.yaml"
    bad.write_text("questions: [")
    with pytest.raises(RubricError, match="cannot read rubric"):
        load_rubric(bad)
