"""Training the offline engine's statistical reader from knowledge/reader/corpus/ (one command):

    uv run python -m agent.offline.training            # writes knowledge/reader/model.npz
    uv run python -m agent.offline.training --check    # trains in memory, compares with the artefact

Deterministic: the held-out split is by a hash of each text, the solvers are deterministic, so
the same corpus gives the same model. Steps: the vocabulary (features in at least two texts);
per question a relevance model (logistic regression, classes balanced) and an option model
(multinomial logistic regression) trained on 85 % of the texts; Platt scaling of relevance and a
softmax temperature fitted on the other 15 %, where the metrics and the reliability table are
measured; then the same models trained on all texts, with those calibrations. Needs scikit-learn
(a development dependency); the engine itself reads the artefact with numpy only.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from pydantic import BaseModel, Field

from agent.offline.features import features
from agent.offline.model import CORPUS_DIR, MODEL_PATH, QUESTIONS, ReaderModel, corpus_digest, load_model_file

C_RELEVANCE = 1.0
C_OPTIONS = 1.0
DEV_SHARE = 15  # percent of texts held out to calibrate and measure
MIN_DF = 2
BINS = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0001)


class CorpusItem(BaseModel):
    text: str = Field(min_length=1)
    labels: dict[str, int]


def load_corpus(folder: Path = CORPUS_DIR) -> list[CorpusItem]:
    """Every labelled text, validated (a bad item names its file and position)."""
    out: list[CorpusItem] = []
    for p in sorted(folder.glob("*.yaml")):
        for i, raw in enumerate(yaml.safe_load(p.read_text(encoding="utf-8")) or []):
            item = CorpusItem.model_validate(raw)
            bad = {q: s for q, s in item.labels.items() if q not in QUESTIONS or not 0 <= s <= 5}
            if bad:
                raise ValueError(f"{p.name} item {i + 1}: bad labels {bad}")
            out.append(item)
    return out


def is_dev(text: str) -> bool:
    return int(hashlib.sha256(text.encode()).hexdigest(), 16) % 100 < DEV_SHARE


def _matrix(texts: Sequence[str], index: dict[str, int]) -> Any:
    from scipy.sparse import csr_matrix

    rows, cols = [], []
    for r, t in enumerate(texts):
        for c in sorted({i for f in features(t) if (i := index.get(f)) is not None}):
            rows.append(r)
            cols.append(c)
    return csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(len(texts), len(index)))


def _fit(items: Sequence[CorpusItem], index: dict[str, int]) -> tuple[np.ndarray, ...]:
    """Relevance and option weights for every question: (rel_w (V,12), rel_b, opt_w (V,72), opt_b)."""
    from sklearn.linear_model import LogisticRegression

    x = _matrix([it.text for it in items], index)
    v = len(index)
    rel_w, rel_b = np.zeros((v, 12)), np.zeros(12)
    opt_w, opt_b = np.zeros((v, 72)), np.zeros(72)
    for k, q in enumerate(QUESTIONS):
        y = np.array([q in it.labels for it in items])
        rel = LogisticRegression(C=C_RELEVANCE, max_iter=3000, class_weight="balanced").fit(x, y)
        rel_w[:, k], rel_b[k] = rel.coef_[0], rel.intercept_[0]
        rows = [i for i, it in enumerate(items) if q in it.labels]
        ys = [items[i].labels[q] for i in rows]
        opt = LogisticRegression(C=C_OPTIONS, max_iter=5000).fit(x[rows], ys)
        for j, cls in enumerate(opt.classes_):
            opt_w[:, k * 6 + int(cls)], opt_b[k * 6 + int(cls)] = opt.coef_[j], opt.intercept_[j]
        for cls in set(range(6)) - {int(c) for c in opt.classes_}:
            opt_b[k * 6 + cls] = -30.0  # an option no text shows is never predicted
    return rel_w, rel_b, opt_w, opt_b


def _platt(z: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    from sklearn.linear_model import LogisticRegression

    m = LogisticRegression(C=1e4, max_iter=1000).fit(z.reshape(-1, 1), y)
    return float(m.coef_[0][0]), float(m.intercept_[0])


def _temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """The softmax temperature minimising the negative log-likelihood of the true options."""
    best, best_nll = 1.0, np.inf
    for t in np.exp(np.linspace(np.log(0.3), np.log(5.0), 80)):
        z = logits / t
        z = z - z.max(axis=1, keepdims=True)
        nll = float(-(z[np.arange(len(y)), y] - np.log(np.exp(z).sum(axis=1))).mean())
        if nll < best_nll:
            best, best_nll = float(t), nll
    return best


def reliability(conf: Sequence[float], right: Sequence[bool]) -> list[dict]:
    """Per confidence bin: how many predictions, their mean confidence, and how many were right."""
    c, r = np.asarray(conf), np.asarray(right, dtype=float)
    out = []
    for lo, hi in itertools.pairwise(BINS):
        sel = (c >= lo) & (c < hi)
        if sel.any():
            out.append({"bin": f"{lo:.1f}-{min(hi, 1.0):.1f}", "n": int(sel.sum()),
                        "confidence": round(float(c[sel].mean()), 3), "accuracy": round(float(r[sel].mean()), 3)})
    return out


def train(items: Sequence[CorpusItem], digest: str) -> tuple[ReaderModel, dict]:
    """The model trained on all items, calibrated and measured on the held-out share."""
    df: dict[str, int] = {}
    for it in items:
        for f in set(features(it.text)):
            df[f] = df.get(f, 0) + 1
    vocab = sorted(f for f, n in df.items() if n >= MIN_DF)
    index = {f: i for i, f in enumerate(vocab)}
    train_items = [it for it in items if not is_dev(it.text)]
    dev = [it for it in items if is_dev(it.text)]
    rel_w, rel_b, opt_w, opt_b = _fit(train_items, index)
    xd = _matrix([it.text for it in dev], index)
    rel_z = np.asarray(xd @ rel_w) + rel_b
    opt_z = np.asarray(xd @ opt_w) + opt_b
    rel_cal, opt_t = np.zeros((12, 2)), np.ones(12)
    rel_conf, rel_right, opt_conf, opt_right = [], [], [], []
    per_q: dict[str, dict] = {}
    for k, q in enumerate(QUESTIONS):
        y = np.array([q in it.labels for it in dev])
        rel_cal[k] = _platt(rel_z[:, k], y)
        p = 1.0 / (1.0 + np.exp(-(rel_cal[k, 0] * rel_z[:, k] + rel_cal[k, 1])))
        rel_conf += list(np.maximum(p, 1 - p))
        rel_right += list((p >= 0.5) == y)
        rows = [i for i, it in enumerate(dev) if q in it.labels]
        ys = np.array([dev[i].labels[q] for i in rows])
        logits = opt_z[rows][:, k * 6:(k + 1) * 6]
        opt_t[k] = _temperature(logits, ys)
        z = logits / opt_t[k]
        pz = np.exp(z - z.max(axis=1, keepdims=True))
        pz /= pz.sum(axis=1, keepdims=True)
        opt_conf += list(pz.max(axis=1))
        opt_right += list(pz.argmax(axis=1) == ys)
        tp = int(((p >= 0.5) & y).sum())
        per_q[q] = {"relevance_precision": round(tp / max(int((p >= 0.5).sum()), 1), 3),
                    "relevance_recall": round(tp / max(int(y.sum()), 1), 3),
                    "option_accuracy": round(float((pz.argmax(axis=1) == ys).mean()), 3), "dev_texts": len(rows)}
    report = {
        "corpus": digest, "texts": len(items), "train": len(train_items), "dev": len(dev), "vocabulary": len(vocab),
        "c_relevance": C_RELEVANCE, "c_options": C_OPTIONS, "per_question": per_q,
        "relevance_reliability": reliability(rel_conf, rel_right),
        "option_reliability": reliability(opt_conf, opt_right),
        "option_accuracy": round(float(np.mean(opt_right)), 3),
    }
    rel_w, rel_b, opt_w, opt_b = _fit(items, index)  # the shipped model learns from every text
    return ReaderModel(vocab, rel_w, rel_b, opt_w, opt_b, rel_cal, opt_t, report), report


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m agent.offline.training", description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=MODEL_PATH)
    ap.add_argument("--check", action="store_true", help="train in memory and compare with --out (exit 1 if it differs)")
    args = ap.parse_args(argv)
    digest = corpus_digest()
    model, report = train(load_corpus(), digest)
    print(json.dumps({k: v for k, v in report.items() if k != "per_question"}, indent=1))
    if args.check:
        shipped = load_model_file(args.out)
        same = shipped.meta.get("corpus") == digest and np.allclose(
            shipped.opt_w, model.opt_w.astype(np.float16).astype(np.float32), atol=1e-3)
        print("the artefact matches the corpus" if same else "the artefact is out of date: retrain")
        return 0 if same else 1
    model.save(args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
