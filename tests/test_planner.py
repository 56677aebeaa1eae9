from agent.core.choices import OTHER, parse_choice, parse_choices, parse_yes_no, says_unknown, split_yes_no
from agent.core.commands import parse_command
from agent.core.planner import MAX_ATTEMPTS, likely_options, next_question
from agent.core.schemas import Choice


def rec(score, conf=0.9, source="direct"):
    return {"score": score, "confidence": conf, "source": source}


def test_an_open_question_covers_a_whole_dimension_first(rubric):
    plan = next_question(rubric, {}, threshold=0.6)
    assert plan.action == "ask" and plan.mode == "dimension" and plan.questions == ["q1", "q2"]
    assert plan.asking == ["q1", "q2"]


def test_the_open_half_of_a_dimension_is_asked_alone(rubric):
    plan = next_question(rubric, {"q1": rec(2)}, threshold=0.6, current="q1")
    assert plan.question == "q2" and plan.questions == ["q2"] and plan.mode == "next"


def test_follows_what_the_user_just_talked_about(rubric):
    # Asked about the gateway; the reply answered it and also q9 (cost): q10 completes cost next.
    answers = {"q1": rec(2), "q2": rec(2), "q9": rec(2)}
    plan = next_question(rubric, answers, threshold=0.6, current="q2", touched=["q2", "q9"])
    assert plan.question == "q10"


def test_options_wait_until_every_dimension_had_its_open_question(rubric):
    plan = next_question(rubric, {"q1": rec(2)}, threshold=0.6, current="q2", attempts={"q1": 1, "q2": 1},
                         hints={"q2": [2, 1, 0]})
    assert plan.mode == "dimension" and plan.questions == ["q3", "q4"]


def test_then_the_likeliest_options_of_several_questions_come_in_one_message(rubric):
    answers = {f"q{i}": rec(2) for i in range(3, 13)} | {"q1": rec(2)}
    plan = next_question(rubric, answers, threshold=0.6, current="q2", attempts={"q1": 1, "q2": 1},
                         hints={"q2": [2, 1, 0]})
    assert plan.mode == "options" and plan.question == "q2" and plan.options == [0, 1, 2]
    vague = {f"q{i}": rec(2, 0.3) for i in range(1, 13)}
    plan = next_question(rubric, vague, threshold=0.6, current="q1", attempts=dict.fromkeys(vague, 1))
    assert plan.mode == "options" and list(plan.option_sets) == ["q1", "q2", "q3", "q4"]
    assert plan.asking == ["q1", "q2", "q3", "q4"]


def test_inferred_answers_of_finished_dimensions_ride_along_with_the_next_question(rubric):
    answers = {"q1": rec(2), "q2": rec(2), "q3": rec(1, source="inferred"), "q4": rec(1, source="inferred")}
    plan = next_question(rubric, answers, threshold=0.6, current="q2")
    assert plan.questions == ["q5", "q6"] and plan.verify == ["q3", "q4"]


def test_an_unsure_answer_gets_options_around_it(rubric):
    answers = {f"q{i}": rec(2) for i in range(1, 13)} | {"q7": rec(3, 0.4)}
    plan = next_question(rubric, answers, threshold=0.6, attempts={"q7": 1})
    assert plan.question == "q7" and plan.mode == "options" and plan.options == [2, 3, 4]
    answers["q7"] = rec(3, 0.8)
    assert next_question(rubric, answers, threshold=0.6).action == "confirm"


def test_inferred_answers_left_at_the_end_are_confirmed_together(rubric):
    answers = {f"q{i}": rec(2) for i in range(1, 13)} | {"q5": rec(1, source="inferred"),
                                                          "q10": rec(3, source="inferred")}
    plan = next_question(rubric, answers, threshold=0.6, current="q4")
    assert plan.mode == "verify" and plan.verify == ["q5", "q10"] and plan.asking == ["q5", "q10"]


def test_an_inferred_answer_and_an_open_question_share_a_turn(rubric):
    answers = {"q1": rec(2), "q2": rec(2), "q5": rec(1, source="inferred")}
    plan = next_question(rubric, answers, threshold=0.6, current="q2", touched=["q5"])
    assert plan.questions == ["q6"] and plan.verify == ["q5"] and plan.asking == ["q6", "q5"]


def test_a_contradiction_is_asked_about_first(rubric):
    answers = {"q1": rec(2), "q6": rec(3)}
    plan = next_question(rubric, answers, threshold=0.6, current="q1", conflicts={"q6": 1})
    assert plan.mode == "options" and plan.question == "q6" and plan.options == [1, 3]
    assert next_question(rubric, answers, threshold=0.6, conflicts={"q6": 1}, offered=["q6"]).question != "q6"


def test_skipped_and_exhausted_questions_are_not_asked(rubric):
    answers = {f"q{i}": rec(1) for i in range(3, 13)}
    plan = next_question(rubric, answers, threshold=0.6, skipped=["q1"], attempts={"q2": MAX_ATTEMPTS})
    assert plan.action == "confirm"


def test_likely_options_prefer_the_readers_hints_then_the_neighbourhood():
    assert likely_options(None, {}, [4, 5, 3]) == [3, 4, 5]
    assert likely_options(0, {}) == [0, 1, 2]
    assert likely_options(None, {"q1": rec(4), "q2": rec(4)}) == [3, 4, 5]


CHOICES = [Choice(number=1, score=1, label="Sometimes, with effort"),
           Choice(number=2, score=2, label="Yes, basic request/response logs"),
           Choice(number=3, score=3, label="Full trace with all spans and metadata")]


def test_a_pick_by_number_ordinal_or_the_options_words():
    for reply, score in (("2", 2), ("2.", 2), ("(3)", 3), ("option 1", 1), ("the second one", 2), ("second", 2),
                         ("I'd say 3", 3), ("the last one", 3), ("basic request/response logs", 2),
                         ("#1 please", 1)):
        picked = parse_choice(reply, CHOICES)
        assert picked != OTHER and picked is not None and picked.score == score, reply
    assert parse_choice("4", CHOICES) == OTHER  # "4. Something else"
    assert parse_choice("none of these", CHOICES) == OTHER
    assert parse_choice("We log every request and response in Datadog, nothing more", CHOICES) is None


def test_yes_and_no_to_a_confirmation():
    assert parse_yes_no("yes") is True and parse_yes_no("Yes, that's right.") is True
    assert parse_yes_no("exactly") is True and parse_yes_no("no") is False
    assert parse_yes_no("not really") is False
    assert parse_yes_no("we keep the history in Redis for a week") is None
    assert split_yes_no("Yes, that's right. We also log every request.") == (True, "We also log every request.")


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


def test_picks_for_several_lists_in_order():
    sets = [CHOICES, CHOICES, CHOICES, CHOICES]
    assert [p.score for p in parse_choices("2, 1, 3 and 2", sets)] == [2, 1, 3, 2]  # type: ignore[union-attr]
    assert parse_choices("3, 4, 4, 4", sets)[1:] == [OTHER, OTHER, OTHER]
    assert parse_choices("none of them, all four", sets) == [OTHER] * 4
    assert parse_choices("2, 1", sets) == [CHOICES[1], None, None, None]  # too few: the first list only


def test_i_dont_know_is_told_apart_from_a_question_back():
    for reply in ("I'm not sure, I don't really know about that one.", "no idea", "I've told you what I know",
                  "dunno", "Honestly, can't say"):
        assert says_unknown(reply), reply
    for reply in ("Not sure what you mean by tracing", "I don't know what a gateway is",
                  "We are not sure we log everything, we use Datadog"):
        assert not says_unknown(reply), reply
