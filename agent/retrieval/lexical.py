"""Keyword ranking: BM25 (bm25s) over a fixed list of chunks, with the shared Snowball stemmer."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from agent.common.text import stemmer
from agent.retrieval.chunks import Chunk


class Lexical:
    """BM25 (bm25s, Snowball stemming) over a fixed list of chunks."""

    def __init__(self, chunks: Sequence[Chunk]) -> None:
        import bm25s

        self.chunks = list(chunks)
        self.by_id = {c.id: c for c in self.chunks}
        self._stemmer = stemmer()
        self._bm25 = bm25s.BM25()
        logging.getLogger("bm25s").setLevel(logging.WARNING)
        self._bm25.index(self._tokens([c.embed_text() for c in self.chunks]), show_progress=False)

    def _tokens(self, texts: list[str]) -> list[list[str]]:
        import bm25s

        return bm25s.tokenize(texts, stopwords="en", stemmer=self._stemmer, return_ids=False, show_progress=False)

    def scores(self, query: str) -> dict[str, float]:
        toks = self._tokens([query])[0]
        if not toks or not self.chunks:
            return {}
        return {c.id: float(s) for c, s in zip(self.chunks, self._bm25.get_scores(toks), strict=False) if s > 0}
