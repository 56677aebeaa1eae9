"""Markdown and plain text cut into passages along their own structure (pure): headings, then
paragraphs, then lines or sentences, never over `MAX_CHUNK_CHARS`. Any document an organization
adds is cut this way; the maturity model itself has its own rules (agent.retrieval.framework)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from agent.retrieval.chunks import SEP, Chunk, Kind, Origin, slug

# Generic sections longer than this are cut at paragraph boundaries (characters).
MAX_CHUNK_CHARS = 1800

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_BOX = re.compile(r"[┌┐└┘├┤┬┴┼─│═╱╲▼▲◐]")


@dataclass
class Section:
    """A heading's own text (up to the next heading of any depth) and the path of headings above it."""

    path: list[str]
    lines: list[str] = field(default_factory=list)

    @property
    def body(self) -> str:
        return "\n".join(self.lines).strip()


def clean(text: str) -> str:
    """Drop ASCII-art frames and checkbox glyphs; keep the words, one item per line."""
    out = []
    for line in text.splitlines():
        line = _BOX.sub(" ", line).replace("□", "-").replace("✓", "+").replace("✗", "x")
        line = re.sub(r"[ \t]{2,}", " ", line).strip()
        if line and not re.fullmatch(r"[=\-*_ ]+", line):
            out.append(line)
    return "\n".join(out)


def sections(markdown: str, drop_title: bool = True) -> list[Section]:
    """Split Markdown at its headings (ignoring '#' lines inside code fences).

    Each section holds only its own text, up to the next heading of any depth, and the path of
    headings above it. With `drop_title`, the document title (a lone '# ') is not part of the paths.
    """
    out: list[Section] = []
    stack: list[tuple[int, str]] = []
    current = Section(path=[])
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
            current = Section(path=[])
            continue
        stack = [(d, t) for d, t in stack if d < depth] + [(depth, title)]
        current = Section(path=[t for _, t in stack])
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


def fence_bodies(text: str) -> list[str]:
    """The contents of the code fences in a section, in order."""
    bodies: list[str] = []
    cur: list[str] = []
    inside = False
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
