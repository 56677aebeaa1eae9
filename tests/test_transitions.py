"""knowledge/transitions.yaml: faithful to the seed and valid against the rubric."""

from __future__ import annotations

import copy
import re

import pytest
import yaml

from agent.common.paths import KNOWLEDGE_DIR
from agent.core.rubric import DIMENSION_IDS, QUESTION_IDS
from agent.core.transitions import (
    TRANSITIONS_PATH,
    ChecklistItem,
    TransitionsError,
    load_transitions,
    parse_transitions,
)

SEED = (KNOWLEDGE_DIR / "AI_OPS_MATURITY_MODEL.md").read_text(encoding="utf-8")


@pytest.fixture()
def raw():
    return yaml.safe_load(TRANSITIONS_PATH.read_text(encoding="utf-8"))


def test_five_guides_in_order(transitions):
    assert [(g.from_level, g.to_level) for g in transitions.guides] == [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5)]
    assert [g.title for g in transitions.guides] == [
        "Foundation", "Consolidation", "Systematization", "Intelligence", "Autonomy"
    ]
    assert transitions.guide(1).title == "Consolidation"
    assert transitions.guide(5) is None


def test_guides_copied_verbatim_from_seed(transitions):
    for g in transitions.guides:
        assert f"### {g.heading}: {g.title}" in SEED
        assert f"**Goal:** {g.goal}" in SEED
        assert f"**Timeline:** {g.timeline}" in SEED
        assert g.blocks
        for block in g.blocks:
            assert block.items
            assert f"\n{block.title}\n" in SEED
            for item in block.items:
                assert re.search(r"□ " + re.escape(item.text) + r" *│", SEED), item.text
        for c in g.success_criteria:
            assert f"- {c}\n" in SEED


def test_every_seed_checklist_line_is_present(transitions):
    section = SEED.split("## Transition Guides", 1)[1].split("## Metrics and KPIs", 1)[0]
    seed_items = [m.strip() for m in re.findall(r"□ (.+?)\s*│", section)]
    ours = [it.text for g in transitions.guides for b in g.blocks for it in b.items]
    assert ours == seed_items


def test_dimensions_and_conditions_valid(transitions):
    for g in transitions.guides:
        for b in g.blocks:
            for it in b.items:
                assert set(it.dimensions) <= {*DIMENSION_IDS, "general"}
                for cond in it.satisfied_by:
                    assert set(cond) <= set(QUESTION_IDS)


def test_brief_examples_of_satisfied_by(transitions):
    items = {it.text: it for g in transitions.guides for b in g.blocks for it in b.items}
    assert items["Deploy LiteLLM (start with Docker)"].satisfied({"q1": 2}) is True
    assert items["Deploy LiteLLM (start with Docker)"].satisfied({"q1": 1}) is False
    assert items["Add fallback provider"].satisfied({"q2": 2}) is True
    assert items["Deploy Langfuse (cloud or self-hosted)"].satisfied({"q3": 2}) is False
    assert items["Configure budget enforcement"].satisfied({"q10": 3}) is True
    vdb = items["Deploy vector database"]
    assert vdb.satisfied({"q5": 1, "q6": 3}) is True
    assert vdb.satisfied({"q5": 3}) is True
    assert vdb.satisfied({"q5": 1, "q6": 2}) is False
    assert vdb.satisfied({"q5": 1}) is None  # q6 could still show it
    assert vdb.questions() == ["q5", "q6"]


def test_item_without_condition_never_assumed_done():
    item = ChecklistItem(text="x", dimensions=["general"])
    assert item.satisfied({f"q{i}": 5 for i in range(1, 13)}) is False


def test_kpis_verbatim(transitions):
    assert transitions.kpis_for(0).metrics == [] and transitions.kpis_for(0).tracking == "None"
    assert [k.name for k in transitions.kpis_for(2).metrics] == [
        "Request Volume", "Cost per Application", "Provider Availability", "Gateway Latency P50"
    ]
    for lk in transitions.kpis:
        assert f'tracking: "{lk.tracking}"' in SEED
        for k in lk.metrics:
            assert f'- name: "{k.name}"\n      target: "{k.target}"\n      frequency: "{k.frequency}"' in SEED


def test_profiles_verbatim(transitions):
    for p in transitions.profiles:
        for line in p.lines:
            assert f"- {line}\n" in SEED
    assert transitions.profile(2).people == "Part-time AI operations role"


def test_header_names_license():
    head = TRANSITIONS_PATH.read_text(encoding="utf-8")[:1500]
    assert "CC BY-SA 4.0" in head and "AI_OPS_MATURITY_MODEL.md" in head


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d["guides"].pop(),
        lambda d: d["guides"][0]["blocks"].clear(),
        lambda d: d["guides"][1]["blocks"][0]["items"].clear(),
        lambda d: d["guides"][1]["blocks"][0]["items"][0].update(dimensions=["networking"]),
        lambda d: d["guides"][1]["blocks"][0]["items"][0].update(satisfied_by={"q13": 2}),
        lambda d: d["guides"][1]["blocks"][0]["items"][0].update(satisfied_by={"q1": 0}),
        lambda d: d["guides"][1].update(to=3),
        lambda d: d["guides"][1]["blocks"][0].update(title="Gateway Setup"),
        lambda d: d["kpis"].pop(),
        lambda d: d["profiles"][1].update(people="Ten engineers"),
        lambda d: d["guides"][0].update(extra="field"),
    ],
)
def test_invalid_data_rejected(raw, mutate):
    data = copy.deepcopy(raw)
    mutate(data)
    with pytest.raises(ValueError):
        parse_transitions(data)


def test_loader_reports_bad_file(tmp_path):
    bad = tmp_path / "t.yaml"
    bad.write_text("guides: [", encoding="utf-8")
    with pytest.raises(TransitionsError):
        load_transitions(bad)
    with pytest.raises(TransitionsError):
        load_transitions(tmp_path / "missing.yaml")


def test_loader_is_cached():
    assert load_transitions() is load_transitions()
