import pytest

from agent.core.scoring import score, target_level


def answers_for(total: int) -> dict[str, int]:
    """Twelve answers summing to `total` (filled greedily)."""
    vals, left = [], total
    for _ in range(12):
        vals.append(min(5, left))
        left -= vals[-1]
    assert sum(vals) == total
    return {f"q{i + 1}": v for i, v in enumerate(vals)}


@pytest.mark.parametrize(
    "total, level",
    [(0, 0), (10, 0), (11, 1), (20, 1), (21, 2), (30, 2), (31, 3), (40, 3), (41, 4), (50, 4), (51, 5), (60, 5)],
)
def test_band_edges(rubric, total, level):
    result = score(rubric, answers_for(total))
    assert result.complete and result.total == total and result.level == level
    assert result.level_name == rubric.level(level).name


def test_dimension_scores_are_means_with_one_decimal(rubric):
    answers = {f"q{i}": 0 for i in range(1, 13)} | {"q1": 2, "q2": 1, "q3": 3, "q4": 3}
    result = score(rubric, answers)
    dims = {d.dimension: d for d in result.dimensions}
    assert dims["gateway"].score == 1.5
    assert dims["observability"].score == 3.0
    assert result.level == 0 and result.target_level == 1
    assert dims["gateway"].gap == 0.0 and dims["memory"].gap == 1.0
    assert dims["observability"].gap == 0.0  # above target: no negative gap


def test_target_is_capped_at_five():
    assert [target_level(n) for n in range(6)] == [1, 2, 3, 4, 5, 5]


def test_partial_assessment_is_marked_and_never_counts_missing_as_zero(rubric):
    answers = {"q1": 2, "q2": 2, "q3": 1}
    result = score(rubric, answers)
    assert not result.complete
    assert result.missing == [f"q{i}" for i in range(4, 13)]
    assert result.total == 5 and result.max_total == 50
    assert result.level is None and result.level_range == (0, 4)
    dims = {d.dimension: d for d in result.dimensions}
    assert dims["observability"].score == 1.0 and dims["observability"].missing == ["q4"]
    assert dims["memory"].score is None and dims["memory"].gap is None


def test_partial_with_a_determined_level(rubric):
    answers = {f"q{i}": 5 for i in range(1, 12)}  # 55 already: L5 whatever q12 is
    result = score(rubric, answers)
    assert not result.complete and result.level == 5 and result.missing == ["q12"]


def test_out_of_range_answer_is_rejected(rubric):
    with pytest.raises(ValueError):
        score(rubric, {"q1": 6})
