"""The retrieval corpus: how the maturity model and organization documents are cut into chunks.

Pure and fast: no index, no embedder. The framework chunks are checked against the typed data
(knowledge/transitions.yaml, knowledge/rubric.yaml), which were written independently of the
chunker, so a chunk that loses a checklist line, a metric or a question shows up here.
"""

from __future__ import annotations

import re

import pytest

from agent.core.rubric import DIMENSION_IDS
from agent.reporting.advice import block_chunk_id
from agent.retrieval.chunks import SEP
from agent.retrieval.framework import load_framework_chunks
from agent.retrieval.markdown import MAX_CHUNK_CHARS, document_chunks

# The Unicode "Box Drawing" block (┌ ─ │ ┐ └ ┘ ├ ┤ ┬ ┴ ┼ ═ ...) and the diagram arrows.
BOX_DRAWING = re.compile(r"[\u2500-\u257F▼▲]")


@pytest.fixture(scope="module")
def chunks():
    return load_framework_chunks()


@pytest.fixture(scope="module")
def by_id(chunks):
    return {c.id: c for c in chunks}


# --- the framework document -------------------------------------------------------------------


def test_chunk_ids_are_unique(chunks):
    ids = [c.id for c in chunks]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
    assert all(c.origin == "framework" for c in chunks)
    assert all(c.text.strip() for c in chunks), [c.id for c in chunks if not c.text.strip()]


def test_every_transition_guide_has_a_goal_chunk(by_id, transitions):
    assert [(g.from_level, g.to_level) for g in transitions.guides] == [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5)]
    for g in transitions.guides:
        c = by_id.get(f"transition-l{g.from_level}-l{g.to_level}-goal")
        assert c is not None, f"no goal chunk for the L{g.from_level}->L{g.to_level} guide"
        assert c.kind == "transition"
        assert (c.from_level, c.to_level) == (g.from_level, g.to_level)
        assert c.section.startswith(f"Transition Guides{SEP}Level {g.from_level} to Level {g.to_level}{SEP}")
        assert g.goal in c.text
        assert g.timeline in c.text
        for criterion in g.success_criteria:
            assert criterion in c.text, (c.id, criterion)


def test_every_week_block_of_every_guide_is_one_chunk(by_id, transitions):
    expected_ids = set()
    for g in transitions.guides:
        for b in g.blocks:
            cid = block_chunk_id(g, b)
            expected_ids.add(cid)
            c = by_id.get(cid)
            assert c is not None, f"no chunk {cid} for {g.heading} / {b.title}"
            assert c.kind == "transition"
            assert (c.from_level, c.to_level) == (g.from_level, g.to_level)
            assert c.level is None
            assert c.section == f"Transition Guides › Level {g.from_level} to Level {g.to_level} › {b.title}"
            for item in b.items:
                assert item.text in c.text, (cid, item.text)
            item_dims = {d for it in b.items for d in it.dimensions} - {"general"}
            assert sorted(c.dimensions) == sorted(item_dims), cid
    # No stray week chunks the typed data does not know about.
    week_chunks = {cid for cid in by_id if re.fullmatch(r"transition-l\d-l\d-week-\d+-\d+", cid)}
    assert week_chunks == expected_ids


def test_a_week_block_holds_only_its_own_items(by_id, transitions):
    """Items of the next block must not leak into this one (blocks are cut at 'Week n-m:')."""
    for g in transitions.guides:
        for b, nxt in zip(g.blocks, g.blocks[1:], strict=False):
            text = by_id[block_chunk_id(g, b)].text
            own = {it.text for it in b.items}
            leaked = [it.text for it in nxt.items if it.text not in own and it.text in text]
            assert not leaked, (block_chunk_id(g, b), leaked)


def test_one_chunk_per_maturity_level(by_id, rubric):
    for n in range(6):
        c = by_id.get(f"level-{n}")
        assert c is not None
        assert c.kind == "level"
        assert c.level == n
        assert c.section == f"Maturity Levels › Level {n}: {rubric.level(n).name}"
    assert sorted(c.level for c in by_id.values() if c.kind == "level") == list(range(6))


def test_dimension_ladder_and_question_chunks(by_id, rubric):
    assert len(DIMENSION_IDS) == 6
    for d in DIMENSION_IDS:
        dim = rubric.dimension(d)
        ladder = by_id.get(f"ladder-{d}")
        assert ladder is not None
        assert ladder.kind == "dimension"
        assert ladder.dimensions == [d]
        low = ladder.text.lower()
        for step in dim.ladder:  # e.g. "None: Direct API" (the diagram spreads words over rows)
            for word in re.findall(r"[A-Za-z]+", step):
                assert word.lower() in low, (ladder.id, step, word)
        for other in DIMENSION_IDS:
            if other != d:
                assert other.upper() not in ladder.text, f"{ladder.id} holds the {other} row too"
        questions = by_id.get(f"questions-{d}")
        assert questions is not None
        assert questions.kind == "dimension"
        assert questions.dimensions == [d]
        for row in dim.table:
            assert row.question in questions.text, (questions.id, row.question)
    assert sum(1 for cid in by_id if cid.startswith("ladder-")) == 6
    assert sum(1 for cid in by_id if cid.startswith("questions-")) == 6


def test_kpi_chunk_per_level_names_its_metrics(by_id, transitions):
    for k in transitions.kpis:
        c = by_id.get(f"kpi-level-{k.level}")
        assert c is not None
        assert c.kind == "kpi"
        assert c.level == k.level
        for metric in k.metrics:
            assert metric.name in c.text, (c.id, metric.name)
    # a level's chunk does not list another level's metrics
    l1 = {m.name for m in transitions.kpis_for(1).metrics}
    l5 = {m.name for m in transitions.kpis_for(5).metrics}
    assert not [m for m in l5 - l1 if m in by_id["kpi-level-1"].text]


def test_questionnaire_chunks(by_id, rubric):
    assert len(rubric.questions) == 12
    for n, q in enumerate(rubric.questions, start=1):
        c = by_id.get(f"questionnaire-q{n}")
        assert c is not None
        assert c.kind == "assessment"
        assert c.dimensions == [q.dimension]
        assert q.text in c.text
        for option in q.options:
            assert option.label in c.text, (c.id, option.label)
    scoring = by_id.get("questionnaire-scoring")
    assert scoring is not None
    assert scoring.kind == "assessment"
    for band in rubric.bands:
        assert f"{band.min}-{band.max}" in scoring.text
    # questions do not swallow the scoring section
    assert "SCORING" not in by_id["questionnaire-q12"].text


def test_no_box_drawing_characters_outside_the_dimension_ladders(chunks):
    bad = {c.id: BOX_DRAWING.findall(c.text) for c in chunks if not c.id.startswith("ladder-")}
    assert {cid: found for cid, found in bad.items() if found} == {}


def test_dimension_ladders_have_no_box_drawing_characters(chunks):
    bad = {c.id: BOX_DRAWING.findall(c.text) for c in chunks if c.id.startswith("ladder-")}
    assert {cid: found for cid, found in bad.items() if found} == {}


def test_headings_inside_the_report_template_fence_are_not_sections(chunks):
    """The seed's report template is a fenced Markdown document with its own '## ' headings."""
    sections = [c.section for c in chunks]
    for heading in ("Executive Summary", "Dimension Scores", "Recommended Actions", "Short-term (0-3 months)"):
        assert not any(heading in s for s in sections), heading
    template = next(c for c in chunks if "Detailed Assessment Report Template" in c.section)
    assert "Executive Summary" in template.text


# --- any document (an organization's own) -----------------------------------------------------


ORG_MARKDOWN = """\
# Platform Handbook

Intro paragraph about the platform team.

## Notes

The gateway is LiteLLM behind our SSO.

```bash
# not a heading: a shell comment
## still not a heading
echo hello
```

~~~
# also not a heading (tilde fence)
~~~

## Notes

Second notes section: budgets are reviewed monthly.

### Details

Deeper detail about budgets.
"""


def test_document_chunks_of_org_markdown():
    out = document_chunks(ORG_MARKDOWN, "handbook.md", "organization", id_prefix="org-handbook-md--")
    ids = [c.id for c in out]
    assert len(ids) == len(set(ids)), ids
    assert all(i.startswith("org-handbook-md--") for i in ids)
    assert all(c.origin == "organization" and c.kind == "organization" for c in out)
    assert all(c.document == "handbook.md" for c in out)
    assert all(c.section == "handbook.md" or c.section.startswith(f"handbook.md{SEP}") for c in out)
    assert all(c.cite().startswith("Your organization's document handbook.md") for c in out)
    sections = [c.section for c in out]
    # an organization document's title stays in its paths (it says which part of the company wrote it)
    top = f"handbook.md{SEP}Platform Handbook"
    assert sections.count(f"{top}{SEP}Notes") == 2
    assert f"{top}{SEP}Notes{SEP}Details" in sections
    # fenced '#' lines are text, not headings
    assert not any("not a heading" in s or "still not" in s for s in sections)
    notes = [c for c in out if c.section == f"{top}{SEP}Notes"]
    assert "# not a heading: a shell comment" in notes[0].text
    assert "# also not a heading (tilde fence)" in notes[0].text
    assert "budgets are reviewed monthly" in notes[1].text
    # every paragraph of the document is somewhere
    joined = "\n".join(c.text for c in out)
    for phrase in ("Intro paragraph", "LiteLLM behind our SSO", "Deeper detail about budgets"):
        assert phrase in joined


def test_framework_origin_documents_are_not_cited_as_the_organization_s():
    out = document_chunks("## A\n\ntext", "extra.md", "framework", id_prefix="extra--")
    assert [c.origin for c in out] == ["framework"]
    assert out[0].kind == "overview"
    assert not out[0].cite().startswith("Your organization")


def test_repeated_and_numbered_headings_still_give_unique_ids():
    md = "## Notes\n\nalpha\n\n## Notes\n\nbeta\n\n## Notes 2\n\ngamma\n"
    ids = [c.id for c in document_chunks(md, "m.md", "organization", id_prefix="org-m-md--")]
    assert len(ids) == 3
    assert len(ids) == len(set(ids)), ids


def _paragraphs(n: int, words: int = 80) -> list[str]:
    return [f"Paragraph {i} starts here. " + " ".join(f"word{i}x{j}" for j in range(words)) + f" End of paragraph {i}."
            for i in range(n)]


def test_a_single_paragraph_longer_than_the_limit_is_cut_without_losing_words():
    para = " ".join(f"Sentence {i} says something about budgets and caching." for i in range(120))
    assert len(para) > 2 * MAX_CHUNK_CHARS
    out = document_chunks(para, "long.txt", "organization", id_prefix="org-long-txt--")
    assert len(out) > 1 and all(len(c.text) <= MAX_CHUNK_CHARS for c in out)
    assert " ".join(c.text for c in out).split() == para.split()
    assert all(c.text.endswith(".") for c in out)  # cut at sentence ends


def test_a_long_plain_text_document_is_cut_at_paragraph_boundaries():
    paras = _paragraphs(30)
    assert all(len(p) < MAX_CHUNK_CHARS for p in paras)
    text = "\n\n".join(paras)
    assert len(text) > 10 * MAX_CHUNK_CHARS
    out = document_chunks(text, "long.txt", "organization", id_prefix="org-long-txt--")
    assert len(out) > 1
    assert len({c.id for c in out}) == len(out)
    for c in out:
        assert len(c.text) <= MAX_CHUNK_CHARS + 50, (c.id, len(c.text))
    # every paragraph lands whole in exactly one chunk, in order
    for p in paras:
        holders = [c.id for c in out if p in c.text]
        assert len(holders) == 1, (p[:30], holders)
    order = [next(i for i, c in enumerate(out) if p in c.text) for p in paras]
    assert order == sorted(order)
