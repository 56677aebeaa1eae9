"""Batch evaluation: the recorded-interview validator, the metrics against hand-computed values,
transcript and simulated runs, repeatability and the `aiops-assess eval` command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from agent.evaluation.interviews import InterviewFileError, load_interview, load_interviews, parse_interview
from agent.evaluation.metrics import aggregate, qwk, score_item, stability
from agent.evaluation.results import summarize, write_outputs
from agent.evaluation.runner import run_all

ROOT = Path(__file__).resolve().parent.parent
ACME = ROOT / "evals" / "interviews" / "acme-retail-l2.yaml"
GOOD = yaml.safe_load(ACME.read_text())


def write(tmp_path, data, name="x") -> Path:
    p = tmp_path / f"{name}.yaml"
    if isinstance(data, dict):  # the file's id follows its name unless a test sets another on purpose
        data = {**data, "id": name if data.get("id", GOOD["id"]) == GOOD["id"] else data["id"]}
    p.write_text(yaml.safe_dump(data))
    return p


def variant(**changes) -> dict:
    d = json.loads(json.dumps(GOOD))
    for path, value in changes.items():
        node = d
        keys = path.split("__")
        for k in keys[:-1]:
            node = node[int(k)] if isinstance(node, list) else node[k]
        if value is None:
            del node[keys[-1]]
        else:
            node[keys[-1]] = value
    return d


# -- validator -----------------------------------------------------------------------------------


def test_the_bundled_interviews_are_valid(rubric):
    ivs = load_interviews(None, rubric)
    assert len(ivs) >= 1 and all(iv.expected.total == sum(iv.expected.answers.values()) for iv in ivs)


@pytest.mark.parametrize("data,field,reason", [
    (variant(transcript=[{"role": "user", "content": "hi"}, {"role": "assistant", "content": "q?"}]),
     "transcript", "expected 'assistant'"),
    (variant(transcript=[{"role": "assistant", "content": "q?"}, {"role": "user", "content": "a"},
                         {"role": "assistant", "content": "q2?"}]), "transcript", "must end with a user turn"),
    (variant(expected__answers={f"q{i}": 1 for i in range(1, 12)}), "expected.answers", "missing q12"),
    (variant(expected__total=99), "expected", "not the sum"),
    (variant(expected__level=4), "expected.level", "does not follow the bands"),
    (variant(expected__answers={**GOOD["expected"]["answers"], "q3": 2.5}), "expected.answers.q3", "whole number"),
    (variant(expected__answers={**GOOD["expected"]["answers"], "q3": "two"}), "expected.answers.q3", "whole number"),
    (variant(expected__answers={**GOOD["expected"]["answers"], "q3": 7}), "expected.answers", "0-5"),
    (variant(expected__answers={**GOOD["expected"]["answers"], "q13": 1}), "expected.answers", "unknown question"),
    (variant(score=3), "score", "unknown key"),
    (variant(expected__confidence=1), "expected.confidence", "unknown key"),
    (variant(transcript__0__speaker="x"), "transcript.0.speaker", "unknown key"),
    (variant(expected=None), "expected", "Field required"),
])
def test_malformed_files_are_rejected_naming_file_field_and_reason(tmp_path, rubric, data, field, reason):
    p = write(tmp_path, data, "bad-file")
    with pytest.raises(InterviewFileError) as err:
        load_interview(p, rubric)
    msg = str(err.value)
    assert str(p) in msg and f": {field}" in msg and reason in msg


def test_id_must_match_the_file_name_and_yaml_must_parse(tmp_path, rubric):
    p = write(tmp_path, variant(id="other"), "named")
    with pytest.raises(InterviewFileError, match="id: 'other' must equal the file name 'named'"):
        load_interview(p, rubric)
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: [unclosed\n")
    with pytest.raises(InterviewFileError, match=r"broken\.yaml: is not valid YAML"):
        load_interview(broken, rubric)
    with pytest.raises(InterviewFileError, match="must be a mapping"):
        parse_interview(["a list"], "list.yaml")


def test_duplicate_ids_and_empty_folders_are_reported(tmp_path, rubric):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    write(tmp_path / "a", GOOD, "same")
    write(tmp_path / "b", GOOD, "same")
    with pytest.raises(InterviewFileError, match="duplicate interview id"):
        load_interviews([str(tmp_path / "a"), str(tmp_path / "b")], rubric)
    (tmp_path / "empty").mkdir()
    with pytest.raises(InterviewFileError, match="no recorded interviews"):
        load_interviews([str(tmp_path / "empty")], rubric)


# -- metrics -------------------------------------------------------------------------------------


def test_qwk_matches_hand_computed_values():
    assert qwk([(0, 0), (1, 1), (2, 3), (3, 2)]) == pytest.approx(0.8)  # 1 - (2/25) / (40/100)
    assert qwk([(g, g) for g in range(6)]) == pytest.approx(1.0)
    assert qwk([(0, 5), (5, 0)]) == pytest.approx(-1.0)  # maximal disagreement: 1 - 2 / 1
    assert qwk([(2, 2), (2, 2)]) == 1.0 and qwk([(2, 3), (2, 3)]) == 0.0  # one category each
    assert qwk([]) == 0.0


def test_aggregate_metrics_match_hand_computed_values(rubric):
    gold = {f"q{i}": 2 for i in range(1, 13)}  # total 24, Level 2
    a = {**gold, "q1": 3, "q2": 0}  # 10 exact, q1 off by one, q2 off by two
    b = {q: s for q, s in gold.items() if q not in ("q11", "q12")}  # 10 exact, 2 unanswered
    items = [score_item(rubric, "a", gold, a), score_item(rubric, "b", gold, b)]
    m = aggregate(rubric, items)
    assert m["exact_accuracy"] == pytest.approx(20 / 24, abs=1e-4)
    assert m["within_one_accuracy"] == pytest.approx(21 / 24, abs=1e-4)
    assert m["answered_exact_accuracy"] == pytest.approx(20 / 22, abs=1e-4)
    assert m["coverage"] == pytest.approx(22 / 24, abs=1e-4)
    assert m["mae"] == pytest.approx(3 / 22, abs=1e-4)
    assert m["total_mae"] == pytest.approx((1 + 4) / 2)  # a: 23 vs 24; b: 20 vs 24
    assert m["level_accuracy"] == 0.5  # a is Level 2; b is incomplete (no level)
    assert m["level_in_range"] == 1.0  # b's provisional range 2..3 holds the gold Level 2
    assert m["per_question"]["q2"]["exact_accuracy"] == 0.5 and m["per_question"]["q12"]["coverage"] == 0.5
    assert m["per_dimension"]["security"]["coverage"] == 0.5
    assert m["confusion"][2][2] == 20 and m["confusion"][2][3] == 1 and m["confusion"][2][0] == 1
    assert m["confusion"][2][6] == 2  # not answered


def test_stability_counts_cells_identical_in_every_run():
    run1 = [{"q1": 1, "q2": 2}, {"q1": 0}]
    run2 = [{"q1": 1, "q2": 3}, {"q1": 0}]
    assert stability([run1, run1]) == 1.0
    assert stability([run1, run2]) == pytest.approx(23 / 24, abs=1e-4)  # one of 24 cells differs


# -- running the agent ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def acme():
    from agent.core.rubric import load_rubric

    return load_interviews([str(ACME)], load_rubric())


def test_transcript_mode_reads_the_recorded_replies(app, rubric, acme):
    runs = run_all(app, acme, mode="transcript")
    assert runs[0].predicted == GOOD["expected"]["answers"]
    assert runs[0].user_turns == 12 and runs[0].model_calls == 12 and not runs[0].error


def test_simulated_mode_runs_the_whole_interview(app, rubric, acme):
    runs = run_all(app, acme, mode="simulate", repeat=2, concurrency=2)
    assert all(r.finished and r.predicted == GOOD["expected"]["answers"] for r in runs)
    assert runs[0].user_turns <= 9  # a dimension per turn, plus the review
    res = summarize(rubric, acme, runs, mode="simulate", model="offline/rubric", repeat=2, seconds=1.0)
    assert res["metrics"]["stability"] == 1.0 and res["metrics"]["finished"] == 1.0


def test_a_failing_run_is_recorded_not_raised(app, rubric, acme, monkeypatch):
    import agent.evaluation.runner as runner

    def boom(*a, **k):
        raise RuntimeError("provider exploded")

    monkeypatch.setattr(runner, "run_transcript", boom)
    runs = run_all(app, acme)
    assert runs[0].error == "RuntimeError: provider exploded" and runs[0].predicted == {}


def test_outputs_hold_the_metrics_items_and_a_png(tmp_path, app, rubric, acme):
    runs = run_all(app, acme)
    res = summarize(rubric, acme, runs, mode="transcript", model="offline/rubric", repeat=1, seconds=0.5)
    paths = write_outputs(res, tmp_path / "out")
    data = json.loads(paths[0].read_text())
    for key in ("exact_accuracy", "within_one_accuracy", "mae", "qwk", "level_accuracy", "coverage"):
        assert key in data["metrics"]
    assert data["items"][0]["predicted"] == data["items"][0]["expected"]
    assert "quadratic weighted kappa" in paths[1].read_text()
    assert paths[2].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_eval_command_gates_on_thresholds(tmp_path, aiops, monkeypatch):
    monkeypatch.setenv("AIOPS_MODEL", "offline/rubric")
    ok = aiops(["eval", str(ACME), "--out", str(tmp_path / "o1"), "--min-exact", "0.9", "--min-qwk", "0.9",
              "--min-level-accuracy", "1.0"])
    assert ok.returncode == 0, ok.stderr
    assert "exact accuracy" in ok.stdout and (tmp_path / "o1" / "results.json").exists()
    bad_dir = tmp_path / "bad"
    bad_dir.mkdir()
    (bad_dir / "half.yaml").write_text(yaml.safe_dump(variant(id="half", expected__answers={
        **GOOD["expected"]["answers"], "q1": 5, "q2": 5, "q3": 5}, expected__total=GOOD["expected"]["total"] + 9,
        expected__level=3)))
    low = aiops(["eval", str(bad_dir), "--out", str(tmp_path / "o2"), "--min-exact", "0.9"])
    assert low.returncode == 1 and "below --min-exact 0.9" in low.stderr
    broken = aiops(["eval", str(tmp_path / "nope")])
    assert broken.returncode == 2 and "no such file or folder" in broken.stderr and "Traceback" not in broken.stderr
