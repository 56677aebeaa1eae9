"""Does a quote describe the option it is evidence for? (agent.core.concepts, issue 13)

Measured on the offline reader's labelled corpus (knowledge/reader/corpus, ~5,400 sentences with one
label each): how many pass their own option (recall), and how many would pass an option two, three
or four steps higher (what a genuine sentence could be stretched to by a model that inflates)."""

from __future__ import annotations

import glob
from collections import Counter
from pathlib import Path

import pytest
import yaml

from agent.core.concepts import load_concepts

ITEMS = [(q, s, it["text"]) for f in sorted(glob.glob("knowledge/reader/corpus/*.yaml"))
         for it in yaml.safe_load(Path(f).read_text(encoding="utf-8")) if len(it["labels"]) == 1
         for q, s in it["labels"].items() if s > 0]


def test_recall_and_stretch_on_the_readers_corpus():
    c = load_concepts()
    asked = sum(c.shortfall(q, s, t, asked=True) is None for q, s, t in ITEMS) / len(ITEMS)
    unasked = sum(c.shortfall(q, s, t) is None for q, s, t in ITEMS) / len(ITEMS)
    stretched, tried = Counter(), Counter()
    for q, s, t in ITEMS:
        for higher in range(s + 2, 6):
            tried[higher - s] += 1
            stretched[higher - s] += c.shortfall(q, higher, t, asked=True) is None
    # Measured: 0.956 asked, 0.910 unasked; stretched by 2: 0.05, by 3: 0.02, by 4: 0.01.
    assert asked >= 0.95 and unasked >= 0.90
    assert stretched[2] / tried[2] <= 0.06 and stretched[3] / tried[3] <= 0.03 and stretched[4] / tried[4] <= 0.02


@pytest.mark.parametrize("qid, score, quote, why", [
    ("q3", 5, "We are level 5", "no_concept"),  # a number is not a practice
    ("q4", 5, "We have self-improving quality systems.", "recital"),  # the label recited as a claim
    ("q9", 5, "Autonomous budget optimization - that's us", "recital"),  # another question's label
    ("q3", 3, "We log requests and responses, no tracing at all", "no_concept"),  # denied
    ("q12", 3, "We're evaluating Lakera for automatic detection next quarter", "no_concept"),  # a plan
    ("q1", 5, "Unser Gateway ist vollständig autonom und konfiguriert sich selbst.", "recital"),  # unverifiable
    ("q2", 5, "Traffic fails over to Anthropic automatically", "no_concept"),  # describes option 2 only
    ("q2", 2, "Traffic fails over to Anthropic automatically", None),
    ("q3", 4, "Full traces in Langfuse, and anomaly detection on the trace metrics pages us before users notice", None),
])
def test_what_describes_an_option(qid, score, quote, why):
    assert load_concepts().shortfall(qid, score, quote, asked=True) == why


def test_a_passing_mention_must_name_its_topic():
    c = load_concepts()
    assert c.shortfall("q10", 1, "someone reviews answers by hand now and then") == "no_concept"
    assert c.shortfall("q10", 1, "someone reviews answers by hand now and then", asked=True) is None
    assert c.shortfall("q5", 5, "We share one API key across the whole company") == "no_concept"
