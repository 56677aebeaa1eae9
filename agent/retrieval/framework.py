"""The maturity model cut the way a reader would cite it: each level, each dimension's ladder and
assessment table, each transition guide's goal and its week blocks, each level's KPIs, each
questionnaire question; every chunk carries its section path, kind, levels and dimensions so
retrieval can filter on them. Pure, apart from `load_framework_chunks` reading the corpus folder.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import yaml

from agent.common.paths import KNOWLEDGE_DIR
from agent.core.rubric import DIMENSION_IDS, Rubric, load_rubric
from agent.core.transitions import Transitions, load_transitions
from agent.retrieval.chunks import SEP, Chunk, Kind, slug
from agent.retrieval.markdown import Section, clean, document_chunks, fence_bodies, generic_chunks, sections

FRAMEWORK_DOCUMENT = "AI_OPS_MATURITY_MODEL.md"


class CorpusMissing(Exception):
    """The knowledge folder has no corpus to index; the message names the fix."""

_LEVEL = re.compile(r"^Level (\d): (.+)$")
_GUIDE = re.compile(r"^Level (\d) to Level (\d): (.+)$")
_WEEK = re.compile(r"^Week (\d+)-(\d+): (.+)$")
_QUESTION = re.compile(r"^(\d{1,2})\. (.+)$")
_DIM_HEADING = re.compile(r"^(\w+) Dimension$")


class FrameworkChunker:
    """Cuts the maturity model along its sections (see the module docstring).

    `block_dimensions` maps (guide from-level, week-block title) to the dimensions its checklist
    concerns (from knowledge/transitions.yaml); `question_dimensions` maps question number to its
    dimension (from the rubric).
    """

    def __init__(
        self,
        document: str,
        block_dimensions: Mapping[tuple[int, str], list[str]] | None = None,
        question_dimensions: Mapping[int, str] | None = None,
    ) -> None:
        self.document = document
        self.block_dimensions = block_dimensions or {}
        self.question_dimensions = question_dimensions or {}

    def chunks(self, markdown: str) -> list[Chunk]:
        """Every passage of the document, in document order, with unique ids."""
        out: list[Chunk] = []
        for sec in sections(markdown):
            out.extend(self._section(sec))
        ids = [c.id for c in out]
        dupes = {i for i in ids if ids.count(i) > 1}
        if dupes:
            raise ValueError(f"{self.document}: duplicate chunk ids {sorted(dupes)}")
        return out

    def _chunk(self, cid: str, path: list[str], kind: Kind, text: str, **meta) -> Chunk:
        return Chunk(id=cid, section=SEP.join(path), kind=kind, text=text, document=self.document, **meta)

    def _section(self, sec: Section) -> list[Chunk]:
        path, body = sec.path, sec.body
        if not path or not body or path[0] == "Table of Contents":
            return []
        top, leaf = path[0], path[-1]
        if top == "Maturity Levels" and (m := _LEVEL.match(leaf)):
            n = int(m.group(1))
            return [self._chunk(f"level-{n}", path, "level", clean(body), level=n, dimensions=list(DIMENSION_IDS))]
        if top == "Assessment Framework" and leaf == "Capability Dimensions":
            return self._ladders(path, body)
        if top == "Assessment Framework" and (m := _DIM_HEADING.match(leaf)):
            dim = m.group(1).lower()
            return [self._chunk(f"questions-{dim}", path, "dimension", body, dimensions=[dim])]
        if top == "Transition Guides" and (m := _GUIDE.match(leaf)):
            return self._guide(path, body, int(m.group(1)), int(m.group(2)))
        if top == "Metrics and KPIs" and leaf == "Level-Appropriate Metrics":
            return self._kpis(path, body)
        if top == "Metrics and KPIs":
            return [self._chunk(slug(leaf.replace("KPI", "kpi")), path, "kpi", clean(body))]
        if top == "Self-Assessment Tool" and leaf == "Quick Assessment Questionnaire":
            return self._questionnaire(path, body)
        if top == "Self-Assessment Tool":
            return [self._chunk(f"assessment-{slug(leaf)}", path, "assessment", clean(body))]
        return generic_chunks(body, path, self.document, "overview", "framework", id_prefix="")

    def _ladders(self, path: list[str], body: str) -> list[Chunk]:
        """One chunk per dimension row of the capability-dimensions diagram."""
        lines = "\n".join(fence_bodies(body)).splitlines()
        header = next((ln for ln in lines if "Level 0" in ln), "")
        names = {d.upper(): d for d in DIMENSION_IDS}
        out = []
        for i, line in enumerate(lines):
            word = line.split(" ", 1)[0]
            if word in names:
                dim = names[word]
                rows = [header]
                for row in lines[i:]:
                    if not row.strip():
                        break
                    if row.strip(" │▼"):
                        # Arrows and bars become spaces, so the ladder's columns stay aligned.
                        rows.append(re.sub(r"[│▼]", " ", row).rstrip())
                text = "\n".join(rows)
                out.append(self._chunk(f"ladder-{dim}", [*path, dim.capitalize()], "dimension", text, dimensions=[dim]))
        return out

    def _guide(self, path: list[str], body: str, frm: int, to: int) -> list[Chunk]:
        """The guide's goal, timeline and success criteria, then one chunk per week block."""
        heading = f"Level {frm} to Level {to}"
        base = [path[0], heading]
        title = path[-1].split(": ", 1)[1]
        prose = body.split("```", 1)[0]
        goal = re.search(r"\*\*Goal:\*\*\s*(.+)", prose)
        timeline = re.search(r"\*\*Timeline:\*\*\s*(.+)", prose)
        actions = "\n".join(fence_bodies(body))
        blocks: list[tuple[str, list[str]]] = []
        criteria: list[str] = []
        target = None
        for raw in actions.splitlines():
            line = clean(raw)
            if not line or line.startswith("TRANSITION:"):
                continue
            if _WEEK.match(line):
                blocks.append((line, []))
                target = blocks[-1][1]
            elif line.startswith("Success Criteria"):
                target = criteria
            elif target is not None:
                target.append(line.lstrip("- ").strip())
        dims_all: list[str] = []
        out = []
        for btitle, items in blocks:
            dims = [d for d in self.block_dimensions.get((frm, btitle), []) if d in DIMENSION_IDS]
            dims_all += [d for d in dims if d not in dims_all]
            wk = _WEEK.match(btitle)
            assert wk is not None  # blocks are made from lines _WEEK matched
            text = f"{heading}: {title}. {btitle}\n" + "\n".join(f"- {it}" for it in items)
            out.append(
                self._chunk(
                    f"transition-l{frm}-l{to}-week-{wk.group(1)}-{wk.group(2)}", [*base, btitle], "transition",
                    text, from_level=frm, to_level=to, dimensions=dims,
                )
            )
        summary = [f"{heading}: {title}"]
        if goal:
            summary.append(f"Goal: {goal.group(1).strip()}")
        if timeline:
            summary.append(f"Timeline: {timeline.group(1).strip()}")
        if criteria:
            summary.append("Success Criteria:\n" + "\n".join(f"- {c}" for c in criteria))
        out.insert(
            0,
            self._chunk(
                f"transition-l{frm}-l{to}-goal", [*base, "Goal and Success Criteria"], "transition",
                "\n".join(summary), from_level=frm, to_level=to,
                dimensions=[d for d in DIMENSION_IDS if d in dims_all],
            ),
        )
        return out

    def _kpis(self, path: list[str], body: str) -> list[Chunk]:
        """One chunk per level of the seed's metrics YAML."""
        fences = fence_bodies(body)
        data = yaml.safe_load(fences[0]) if fences else None
        if not isinstance(data, dict):
            return [self._chunk("kpi-levels", path, "kpi", clean(body))]
        out = []
        for key, spec in data.items():
            m = re.fullmatch(r"level_(\d)", str(key))
            if not m or not isinstance(spec, dict):
                continue
            n = int(m.group(1))
            metrics = spec.get("metrics") or []
            lines = [f"Level {n} metrics, tracked with: {spec.get('tracking', 'None')}"]
            lines += [f"- {k['name']}: target {k['target']}, {k['frequency']}" for k in metrics]
            if not metrics:
                lines.append("- No formal metrics")
            out.append(
                self._chunk(
                    f"kpi-level-{n}", [*path, f"Level {n}"], "kpi", "\n".join(lines), level=n,
                    dimensions=list(DIMENSION_IDS),
                )
            )
        return out

    def _questionnaire(self, path: list[str], body: str) -> list[Chunk]:
        """One chunk per question (with its options) plus the scoring bands."""
        text = "\n".join(fence_bodies(body))
        out: list[tuple[int, str | None, list[str]]] = []
        cur: list[str] | None = None
        scoring: list[str] = []
        for raw in text.splitlines():
            line = raw.strip()
            if not line or re.fullmatch(r"[─=]+", line) or line.startswith(("SECTION", "AI OPS MATURITY")):
                continue
            if line.startswith("SCORING"):
                cur = scoring
            if (m := _QUESTION.match(line)) and cur is not scoring:
                n = int(m.group(1))
                cur = [f"Question {n}: {m.group(2)}"]
                dim = self.question_dimensions.get(n)
                out.append((n, dim, cur))
                continue
            if cur is not None:
                cur.append(line.replace("□ ", "- "))
        chunks = [
            self._chunk(
                f"questionnaire-q{n}", [*path, f"Question {n}"], "assessment", "\n".join(lines),
                dimensions=[dim] if dim else [],
            )
            for n, dim, lines in out
        ]
        if scoring:
            chunks.append(self._chunk("questionnaire-scoring", [*path, "Scoring"], "assessment", "\n".join(scoring)))
        return chunks


def load_framework_chunks(
    corpus_dir: Path | None = None, rubric: Rubric | None = None, transitions: Transitions | None = None
) -> list[Chunk]:
    """Chunks of every Markdown file in the corpus folder (README.md, the licence note, excepted)."""
    folder = Path(corpus_dir or KNOWLEDGE_DIR)
    if not folder.is_dir():
        raise CorpusMissing(
            f"the knowledge folder {folder} does not exist; reinstall aiops-assess or point "
            "retrieval.corpus_dir at a folder holding AI_OPS_MATURITY_MODEL.md"
        )
    files = sorted(p for p in folder.glob("*.md") if p.name.lower() != "readme.md")
    if not files:
        raise CorpusMissing(
            f"the knowledge folder {folder} has no Markdown corpus (expected {FRAMEWORK_DOCUMENT}); "
            "reinstall aiops-assess or fix retrieval.corpus_dir"
        )
    rubric = rubric or load_rubric()
    transitions = transitions or load_transitions()
    blocks = {
        (g.from_level, b.title): sorted({d for it in b.items for d in it.dimensions})
        for g in transitions.guides for b in g.blocks
    }
    questions = {i + 1: q.dimension for i, q in enumerate(rubric.questions)}
    out: list[Chunk] = []
    for p in files:
        try:
            text = p.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CorpusMissing(f"cannot read {p}: {exc}") from exc
        if p.name == FRAMEWORK_DOCUMENT:
            out.extend(FrameworkChunker(p.name, blocks, questions).chunks(text))
        else:
            out.extend(document_chunks(text, p.name, "framework", id_prefix=f"{p.stem.lower()}--"))
    if not out:
        raise CorpusMissing(f"the knowledge folder {folder} holds no text to index")
    return out
