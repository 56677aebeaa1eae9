"""Text embedders for the retrieval index: offline WordLlama (default), Chroma's ONNX MiniLM, or any
LiteLLM embedding model.

Each embedder has a `fingerprint` (what the vectors depend on) so the index can tell when its
vectors were made by a different embedder and must be rebuilt. Embedders that need a download or a
key raise `EmbedderUnavailable` with the fix, quickly, instead of hanging; `make_embedder` then
falls back to WordLlama and says so.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from agent.common.providers import missing_key

WORDLLAMA = "wordllama"
ONNX_MINILM = "onnx-minilm"
OFFLINE_EMBEDDERS = (WORDLLAMA,)


class EmbedderUnavailable(Exception):
    """The configured embedder cannot run here; the message names the fix."""


class Embedder(Protocol):
    name: str
    fingerprint: str

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-normalised float32 vectors, one row per text."""
        ...


def _normalise(vectors: np.ndarray) -> np.ndarray:
    v = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    return v / np.where(norms == 0, 1, norms)


class WordLlamaEmbedder:
    """WordLlama (MIT): static token embeddings distilled from an LLM, weights shipped in the wheel.

    Its loader would look for the tokenizer in a cache folder and then download; pointing
    `cache_dir` at the package itself with `disable_download=True` keeps it offline.
    """

    name = WORDLLAMA

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim
        self.fingerprint = f"wordllama-l2_supercat-{dim}"
        self._model = None
        self._lock = threading.Lock()

    def _load(self):
        with self._lock:
            if self._model is None:
                root = logging.getLogger()
                handlers, level = list(root.handlers), root.level
                try:
                    import wordllama
                    from wordllama import WordLlama
                except ImportError as exc:  # pragma: no cover - it is a dependency
                    raise EmbedderUnavailable(f"wordllama is not installed ({exc}); run `uv sync`") from exc
                finally:
                    # wordllama calls logging.basicConfig(level=INFO) on import, which would print
                    # every library's INFO logs (LiteLLM's per-call lines) into the chat.
                    root.handlers[:] = handlers
                    root.setLevel(level)
                pkg = Path(wordllama.__file__).parent
                # Only the 256-dimension weights ship in the wheel; smaller sizes are truncations
                # of them (the model is trained Matryoshka-style), never a download.
                try:
                    self._model = WordLlama.load(
                        dim=256, trunc_dim=self.dim if self.dim < 256 else None, cache_dir=pkg, disable_download=True
                    )
                except (OSError, ValueError) as exc:
                    raise EmbedderUnavailable(
                        f"WordLlama's weights could not be loaded from {pkg} ({exc}); reinstall with `uv sync`"
                    ) from exc
        return self._model

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return _normalise(self._load().embed(list(texts)))


class OnnxMiniLMEmbedder:
    """Chroma's bundled ONNX all-MiniLM-L6-v2. The model (~80 MB) downloads on first use."""

    name = ONNX_MINILM
    fingerprint = "onnx-all-MiniLM-L6-v2"

    def __init__(self, timeout_seconds: float = 20.0) -> None:
        self.timeout_seconds = timeout_seconds
        self._fn: Any = None

    def _load(self) -> Any:
        if self._fn is not None:
            return self._fn
        from chromadb.utils.embedding_functions import ONNXMiniLM_L6_V2

        fn = ONNXMiniLM_L6_V2()
        outcome: dict[str, object] = {}

        def probe() -> None:
            try:
                fn(["warm-up"])  # downloads the model if it is not cached yet
                outcome["ok"] = True
            except Exception as exc:  # noqa: BLE001 - any failure means "unavailable"
                outcome["error"] = exc

        worker = threading.Thread(target=probe, daemon=True, name="onnx-minilm-download")
        worker.start()
        worker.join(self.timeout_seconds)
        if "ok" not in outcome:
            why = outcome.get("error") or f"no answer within {self.timeout_seconds:.0f} s"
            raise EmbedderUnavailable(
                f"Chroma's ONNX MiniLM model is not in {fn.DOWNLOAD_PATH} and could not be downloaded "
                f"({type(why).__name__ if isinstance(why, Exception) else why}). Run once with internet "
                f"access to download it, or set retrieval.embedding: {WORDLLAMA} (works offline)."
            )
        self._fn = fn
        return fn

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return _normalise(np.array(self._load()(list(texts))))


class LiteLLMEmbedder:
    """Any LiteLLM embedding model (openai/text-embedding-3-small, ollama/nomic-embed-text, ...).

    Keys come from the environment under the names LiteLLM expects, as for chat models.
    """

    def __init__(self, model: str, api_base: str | None = None, timeout_seconds: float = 60.0) -> None:
        self.name = model
        self.fingerprint = f"litellm-{model}"
        self.api_base = api_base
        self.timeout_seconds = timeout_seconds

    def check(self) -> None:
        """Fail early, with the fix, when the model's key is missing."""
        key = missing_key(self.name, self.api_base)
        if key:
            raise EmbedderUnavailable(
                f"the embedding model {self.name} needs {key} in the environment; set it, or set "
                f"retrieval.embedding: {WORDLLAMA} (works offline)"
            )

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
        import litellm

        try:
            resp = litellm.embedding(
                model=self.name, input=list(texts), api_base=self.api_base, timeout=self.timeout_seconds
            )
        except Exception as exc:
            raise EmbedderUnavailable(f"the embedding model {self.name} failed: {exc}") from exc
        rows = sorted(resp.data, key=lambda d: d["index"])
        return _normalise(np.array([r["embedding"] for r in rows]))


def build_embedder(spec: str, *, dim: int = 256, api_base: str | None = None, timeout_seconds: float = 20.0) -> Embedder:
    """The embedder a config value names: 'wordllama', 'onnx-minilm' or a LiteLLM model string."""
    spec = spec.strip()
    if spec == WORDLLAMA:
        return WordLlamaEmbedder(dim=dim)
    if spec == ONNX_MINILM:
        return OnnxMiniLMEmbedder(timeout_seconds=timeout_seconds)
    if "/" not in spec:
        raise EmbedderUnavailable(
            f"unknown retrieval.embedding {spec!r}: use {WORDLLAMA}, {ONNX_MINILM} or a LiteLLM "
            "embedding model such as openai/text-embedding-3-small"
        )
    emb = LiteLLMEmbedder(spec, api_base=api_base, timeout_seconds=timeout_seconds)
    emb.check()
    return emb


def probe(embedder: Embedder) -> None:
    """Embed one word, so an embedder that cannot run fails here (with its fix) rather than mid-build."""
    embedder.embed(["probe"])
