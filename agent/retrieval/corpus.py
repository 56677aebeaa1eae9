"""The retrieval corpus: Markdown documents cut into passages along their own structure.

Pure: text in, chunks out (reading files is the caller's job). The maturity model is cut the way
a reader would cite it — each level, each dimension's ladder and assessment table, each transition
guide's goal and its week blocks, each level's KPIs, each questionnaire question — and every chunk
carries its section path, kind, levels and dimensions so retrieval can filter on them. Any other
Markdown or plain-text document (an organization's own) is cut by its headings and paragraphs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

import yaml
from pydantic import BaseModel, Field

from agent.core.rubric import DIMENSION_IDS

Kind = Literal["overview", "level", "dimension", "transition", "kpi", "assessment", "organization"]
Origin = Literal["framework", "organization"]
SEP = " › "
# Generic sections longer than this are cut at paragraph boundaries (characters).
MAX_CHUNK_CHARS = 1800

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_BOX = re.compile(r"[┌┐└┘├┤┬┴┼─│═╱╲▼▲◐]")
_LEVEL = re.compile(r"^Level (\d): (.+)$")
_GUIDE = re.compile(r"^Level (\d) to Level (\d): (.+)$")
_WEEK = re.compile(r"^Week (\d+)-(\d+): (.+)$")
_QUESTION = re.compile(r"^(\d{1,2})\. (.+)$")
_DIM_HEADING = re.compile(r"^(\w+) Dimension$")


class Chunk(BaseModel):
    """One citable passage and what retrieval may filter it by."""

    id: str
    section: str  # e.g. "Transition Guides › Level 2 to Level 3 › Week 5-8: Evaluation Pipeline"
    kind: Kind
    text: str
    document: str
    origin: Origin = "framework"
    level: int | None = None  # the level a level/kpi chunk describes
    from_level: int | None = None  # transition chunks
    to_level: int | None = None
    dimensions: list[str] = Field(default_factory=list)  # empty: concerns no dimension in particular

    def embed_text(self) -> str:
        """What the embedder sees: the section path gives a short passage its topic words."""
        return f"{self.section}\n{self.text}"

    def cite(self) -> str:
        """How an answer cites this chunk."""
        if self.origin == "organization":
            return f"Your organization's document {self.section}"
        return self.section


@dataclass
class _Section:
    path: list[str]
    lines: list[str] = field(default_factory=list)

    @property
    def body(self) -> str:
        return "\n".join(self.lines).strip()


def slug(text: str) -> str:
    """A stable, readable id fragment."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def clean(text: str) -> str:
    """Drop ASCII-art frames and checkbox glyphs; keep the words, one item per line."""
    out = []
    for line in text.splitlines():
        line = _BOX.sub(" ", line).replace("□", "-").replace("✓", "+").replace("✗", "x")
        line = re.sub(r"[ \t]{2,}", " ", line).strip()
        if line and not re.fullmatch(r"[=\-*_ ]+", line):
            out.append(line)
    return "\n".join(out)


def sections(markdown: str, drop_title: bool = True) -> list[_Section]:
    """Split Markdown at its headings (ignoring '#' lines inside code fences).

    Each section holds only its own text, up to the next heading of any depth, and the path of
    headings above it. With `drop_title`, the document title (a lone '# ') is not part of the paths.
    """
    out: list[_Section] = []
    stack: list[tuple[int, str]] = []
    current = _Section(path=[])
    h1_count = sum(1 for ln in _unfenced(markdown) if ln.startswith("# "))
    for line, fenced in _lines_with_fence_state(markdown):
        m = None if fenced else _HEADING.match(line)
        if fenced or m is None:
            current.lines.append(line)
            continue
        out.append(current)
        depth, title = len(m.group(1)), m.group(2).strip()
        if depth == 1 and h1_count == 1 and drop_title:
            stack = []
            current = _Section(path=[])
            continue
        stack = [(d, t) for d, t in stack if d < depth] + [(depth, title)]
        current = _Section(path=[t for _, t in stack])
    out.append(current)
    return [s for s in out if s.body or s.path]


def _lines_with_fence_state(markdown: str) -> Iterable[tuple[str, bool]]:
    fenced = False
    for line in markdown.splitlines():
        if _FENCE.match(line):
            yield line, True
            fenced = not fenced
            continue
        yield line, fenced


def _unfenced(markdown: str) -> Iterable[str]:
    return (ln for ln, fenced in _lines_with_fence_state(markdown) if not fenced)


def _fence_bodies(text: str) -> list[str]:
    """The contents of the code fences in a section, in order."""
    bodies, cur, inside = [], [], False
    for line in text.splitlines():
        if _FENCE.match(line):
            if inside:
                bodies.append("\n".join(cur))
                cur = []
            inside = not inside
        elif inside:
            cur.append(line)
    return bodies


_CUTS = (r"\n", r"(?<=[.!?])\s+", r"\s+")  # where an over-long paragraph may be cut, preferred first


def _pack(parts: list[str], limit: int, joiner: str) -> list[str]:
    """Join consecutive parts into pieces of at most `limit` characters (a part is never split)."""
    out, cur = [], ""
    for p in parts:
        if cur and len(cur) + len(joiner) + len(p) > limit:
            out.append(cur)
            cur = p
        else:
            cur = f"{cur}{joiner}{p}" if cur else p
    return [*out, cur] if cur else out


def _split_long(para: str, limit: int, level: int = 0) -> list[str]:
    """A paragraph over the limit, cut at line ends, then sentence ends, then words, then anywhere."""
    if len(para) <= limit:
        return [para]
    if level == len(_CUTS):
        return [para[i : i + limit] for i in range(0, len(para), limit)]
    small = [q for p in re.split(_CUTS[level], para) if p.strip() for q in _split_long(p.strip(), limit, level + 1)]
    return _pack(small, limit, " ")


def _paragraph_pieces(text: str, limit: int = MAX_CHUNK_CHARS) -> list[str]:
    """Cut text at blank lines into pieces of at most `limit` characters; a paragraph longer than
    the limit is cut at its lines or sentences."""
    paras = [q for block in re.split(r"\n\s*\n", text) if block.strip() for q in _split_long(block.strip(), limit)]
    return _pack(paras, limit, "\n\n")


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

    def _section(self, sec: _Section) -> list[Chunk]:
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
        lines = "\n".join(_fence_bodies(body)).splitlines()
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
        actions = "\n".join(_fence_bodies(body))
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
        fences = _fence_bodies(body)
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
        text = "\n".join(_fence_bodies(body))
        out, cur, scoring = [], None, []
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


def generic_chunks(
    body: str, path: list[str], document: str, kind: Kind, origin: Origin, id_prefix: str,
) -> list[Chunk]:
    """Chunks of a section the framework chunker has no special rule for: paragraphs, capped."""
    # Cut at the blank lines first: cleaning drops them.
    pieces = [p for p in (clean(piece) for piece in _paragraph_pieces(body)) if p]
    if not pieces:
        return []
    base = id_prefix + slug(SEP.join(path) if path else document)
    return [
        Chunk(
            id=base if len(pieces) == 1 else f"{base}-{i + 1}",
            section=SEP.join(path) if path else document,
            kind=kind, text=piece, document=document, origin=origin,
        )
        for i, piece in enumerate(pieces)
    ]


def document_chunks(text: str, document: str, origin: Origin, id_prefix: str) -> list[Chunk]:
    """Chunks of any Markdown or plain-text document, by headings then paragraphs.

    Section paths start with the document name, so a citation says which document it came from.
    Ids are prefixed (an organization document's ids never collide with the framework's).
    """
    kind: Kind = "organization" if origin == "organization" else "overview"
    out: list[Chunk] = []
    for sec in sections(text, drop_title=origin == "framework"):
        out.extend(generic_chunks(sec.body, [document, *sec.path], document, kind, origin, id_prefix))
    taken: set[str] = set()
    for c in out:  # headings can repeat ("Notes" twice, or "Notes" and "Notes 2")
        cid, n = c.id, 1
        while cid in taken:
            n += 1
            cid = f"{c.id}-{n}"
        c.id = cid
        taken.add(cid)
    return out
