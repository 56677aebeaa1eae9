"""The offline engine's statistical reader: the shipped artefact is the one its corpus gives, it
reads a described practice, and a broken artefact is reported with the command that rebuilds it."""

from __future__ import annotations

import numpy as np
import pytest

from agent.offline.model import ReaderModelError, corpus_digest, load_model, load_model_file
from agent.offline.training import load_corpus


def test_the_shipped_model_was_trained_on_the_corpus_in_the_repository():
    # A corpus edit without retraining (`uv run python -m agent.offline.training`) fails here;
    # .ci/run also retrains in memory and compares the weights (`--check`).
    assert load_model().meta["corpus"] == corpus_digest()


def test_the_corpus_labels_every_question():
    items = load_corpus()
    assert len(items) > 8000
    assert {q for item in items for q in item.labels} == {f"q{i}" for i in range(1, 13)}


def test_a_described_practice_is_relevant_to_its_questions_only():
    reading = load_model().read("Every request goes through our LiteLLM proxy, which fails over to Azure automatically.")
    assert reading.relevance["q1"] > 0.9 and int(np.argmax(reading.options["q1"])) == 2
    assert reading.relevance["q2"] > 0.8 and int(np.argmax(reading.options["q2"])) == 2
    assert reading.relevance["q9"] < 0.2


def test_a_broken_artefact_names_the_rebuild_command(tmp_path):
    bad = tmp_path / "model.npz"
    bad.write_bytes(b"not a model")
    with pytest.raises(ReaderModelError, match=r"python -m agent\.offline\.training"):
        load_model_file(bad)
