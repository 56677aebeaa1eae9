"""benchmarks/real_providers.py (which needs real keys) writes its results where docs/benchmarks.md
keeps them, and refuses to start without a key."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("real_providers", ROOT / "benchmarks" / "real_providers.py")
real = importlib.util.module_from_spec(spec)
spec.loader.exec_module(real)


def test_the_table_replaces_the_section_between_the_markers(tmp_path):
    doc = tmp_path / "benchmarks.md"
    doc.write_text((ROOT / "docs" / "benchmarks.md").read_text())
    metrics = {"exact_accuracy": 0.8123, "within_one_accuracy": 0.9, "qwk": 0.88, "level_accuracy": 0.7,
               "coverage": 0.95, "evidence_drop_rate": 0.031, "mean_model_calls_per_interview": 25.5,
               "mean_cost_usd_per_interview": 0.0123}
    real.write_section(real.table({"openai/gpt-5.4-mini": metrics}, "2027-01-02", "evals/interviews"), doc)
    text = doc.read_text()
    assert text.count(real.START) == 1 and "| openai/gpt-5.4-mini | 0.8123 | 0.9 | 0.88 | 0.7 | 0.95 | 0.031 | 25.5 | 0.0123 |" in text
    assert "| anthropic/claude-haiku-4-5 | — |" not in text and "Measured 2027-01-02" in text


def test_without_a_key_it_says_which_to_set(monkeypatch, capsys):
    for k in ("AIOPS_RECORD_OPENAI_API_KEY", "AIOPS_RECORD_ANTHROPIC_API_KEY"):
        monkeypatch.delenv(k, raising=False)
    assert real.main([]) == 2
    assert "AIOPS_RECORD_OPENAI_API_KEY" in capsys.readouterr().err
