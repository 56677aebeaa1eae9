from agent.core.commands import parse_command
from agent.core.planner import next_question


def rec(score, conf=0.9):
    return {"score": score, "confidence": conf}


def test_unanswered_questions_first_in_questionnaire_order(rubric):
    plan = next_question(rubric, {}, threshold=0.6)
    assert plan.action == "ask" and plan.question == "q1" and plan.mode == "next"


def test_current_question_unanswered_is_reasked(rubric):
    plan = next_question(rubric, {"q3": rec(2)}, threshold=0.6, current="q1", touched=["q3"])
    assert plan.question == "q1" and plan.mode == "reask"


def test_dimension_partner_follows_the_current_question(rubric):
    answers = {"q1": rec(2)}
    assert next_question(rubric, answers, threshold=0.6, current="q1").question == "q2"


def test_follows_what_the_user_just_talked_about(rubric):
    # Asked q2; the reply answered q2 and also q9 (cost): q10 completes the cost dimension next.
    answers = {"q1": rec(2), "q2": rec(2), "q9": rec(2)}
    plan = next_question(rubric, answers, threshold=0.6, current="q2", touched=["q2", "q9"])
    assert plan.question == "q10"


def test_confident_answers_are_never_asked_again_and_low_confidence_are_clarified(rubric):
    answers = {f"q{i}": rec(2) for i in range(1, 13)} | {"q7": rec(2, 0.4)}
    plan = next_question(rubric, answers, threshold=0.6)
    assert plan.question == "q7" and plan.mode == "clarify"
    answers["q7"] = rec(2, 0.8)
    assert next_question(rubric, answers, threshold=0.6).action == "confirm"


def test_skipped_and_exhausted_questions_are_not_asked(rubric):
    answers = {f"q{i}": rec(1) for i in range(3, 13)}
    plan = next_question(rubric, answers, threshold=0.6, skipped=["q1"], attempts={"q2": 2})
    assert plan.action == "confirm"


def test_commands_in_slash_and_plain_words():
    assert parse_command("/skip") == "skip"
    assert parse_command("Skip this one.") == "skip"
    assert parse_command("go back") == "back"
    assert parse_command("Let's finish here") == "finish"
    assert parse_command("/finish") == "finish"
    assert parse_command("yes") is None
    assert parse_command("yes", confirming=True) == "confirm"
    assert parse_command("Looks good!", confirming=True) == "confirm"
    assert parse_command("/finish", confirming=True) == "confirm"
    assert parse_command("we skip the gateway and call OpenAI directly") is None
