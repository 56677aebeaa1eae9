"""The offline engine's statistical reader: which questions a sentence is evidence for, and which
option, learned from knowledge/reader/corpus/ (agent.offline.training writes the artefact).

Linear models over the sentence's features (agent.offline.features): per question, a relevance
score (logistic, one against the rest) and a distribution over its options (softmax), calibrated on
held-out sentences (Platt scaling for relevance, a temperature for the options) so that a
probability of 0.8 is right about 8 times in 10. The artefact is a numpy .npz (vocabulary and float16 weights, ~2 MB) and loads in tens of
milliseconds; a sentence reads in well under a millisecond. Pure apart from loading the file.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from agent.common.datafile import DataFileError
from agent.common.paths import KNOWLEDGE_DIR
from agent.offline.features import features

READER_DIR = KNOWLEDGE_DIR / "reader"
MODEL_PATH = READER_DIR / "model.npz"
CORPUS_DIR = READER_DIR / "corpus"
QUESTIONS = tuple(f"q{i}" for i in range(1, 13))


class ReaderModelError(DataFileError):
    """The reader model is missing, unreadable or was trained on another corpus."""


@dataclass(frozen=True)
class Reading:
    """What the model reads in one sentence."""

    relevance: dict[str, float]  # question → P(the sentence is evidence for it)
    options: dict[str, np.ndarray]  # question → P(option 0..5), for every question


def corpus_digest(folder: Path = CORPUS_DIR) -> str:
    """Hash of the training corpus, so a model trained on another corpus is noticed."""
    h = hashlib.sha256()
    for p in sorted(folder.glob("*.yaml")):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


class ReaderModel:
    """The trained weights, ready to read sentences."""

    def __init__(self, vocabulary: Sequence[str], rel_w: np.ndarray, rel_b: np.ndarray, opt_w: np.ndarray,
                 opt_b: np.ndarray, rel_cal: np.ndarray, opt_t: np.ndarray, meta: dict) -> None:
        self.index = {f: i for i, f in enumerate(vocabulary)}
        self.rel_w, self.rel_b = rel_w.astype(np.float32), rel_b.astype(np.float32)  # (V, 12), (12,)
        self.opt_w, self.opt_b = opt_w.astype(np.float32), opt_b.astype(np.float32)  # (V, 72), (72,)
        self.rel_cal = rel_cal.astype(np.float32)  # (12, 2): Platt scale and shift per question
        self.opt_t = opt_t.astype(np.float32)  # (12,): softmax temperature per question
        self.meta = meta

    def read(self, sentence: str) -> Reading:
        """The relevance of each question and the distribution over its options."""
        idx = sorted({i for f in features(sentence) if (i := self.index.get(f)) is not None})
        rel = self.rel_b + (self.rel_w[idx].sum(axis=0) if idx else 0.0)
        opt = self.opt_b + (self.opt_w[idx].sum(axis=0) if idx else 0.0)
        p_rel = 1.0 / (1.0 + np.exp(-(self.rel_cal[:, 0] * rel + self.rel_cal[:, 1])))
        logits = (opt.reshape(12, 6) / self.opt_t[:, None])
        logits = logits - logits.max(axis=1, keepdims=True)
        p_opt = np.exp(logits)
        p_opt /= p_opt.sum(axis=1, keepdims=True)
        return Reading(relevance={q: float(p_rel[k]) for k, q in enumerate(QUESTIONS)},
                       options={q: p_opt[k] for k, q in enumerate(QUESTIONS)})

    def save(self, path: Path) -> None:
        vocab = sorted(self.index, key=self.index.__getitem__)
        np.savez_compressed(path, vocabulary=np.array(vocab), rel_w=self.rel_w.astype(np.float16),
                            rel_b=self.rel_b, opt_w=self.opt_w.astype(np.float16), opt_b=self.opt_b,
                            rel_cal=self.rel_cal, opt_t=self.opt_t, meta=np.array(json.dumps(self.meta)))


def load_model_file(path: Path | str = MODEL_PATH) -> ReaderModel:
    """Load an artefact written by `ReaderModel.save` (ReaderModelError naming the fix if it can't)."""
    p = Path(path)
    try:
        with np.load(p, allow_pickle=False) as z:
            return ReaderModel(list(z["vocabulary"]), z["rel_w"], z["rel_b"], z["opt_w"], z["opt_b"],
                               z["rel_cal"], z["opt_t"], json.loads(str(z["meta"])))
    except (OSError, KeyError, ValueError) as exc:
        raise ReaderModelError(f"cannot load the reader model {p} ({exc}); rebuild it with "
                               "`uv run python -m agent.offline.training`") from exc


@lru_cache(maxsize=2)
def load_model(path: Path | str = MODEL_PATH) -> ReaderModel:
    """The bundled reader model (loaded once)."""
    return load_model_file(path)
