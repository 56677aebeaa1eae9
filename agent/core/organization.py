"""The organization's name, when someone says it in the interview ("I'm the platform lead at
Petwell Vet Clinics"), to offer it for the report. Pure apart from loading
knowledge/organization.yaml."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from agent.common.datafile import load_yaml_model
from agent.common.paths import KNOWLEDGE_DIR
from agent.common.strict import StrictModel

ORGANIZATION_PATH = KNOWLEDGE_DIR / "organization.yaml"
# A name: up to six capitalised words, joined by spaces, "&", "-", "of"/"and"/"for" inside it.
# A dot only inside a word ("Acme.io"): "Clinics. Everything" ends the name at the full stop.
_NAME = re.compile(r"(?:[A-Z][\w'’-]*(?:\.\w+)*|&)(?:[ \t]+(?:[A-Z][\w'’-]*(?:\.\w+)*|&|of|and|for|de|la)){0,5}")


class OrganizationRules(StrictModel):
    version: int
    cues: list[str]
    not_names: list[str]
    offer: str
    declined: str


# "no organization", "leave the company name off", "don't name us": the person declines the offer.
_DECLINE = re.compile(r"\b(?:no|without(?: an?)?|leave (?:out|off)(?: the)?|don'?t (?:put|name|use|show)(?: the| our| us)?"
                      r"|skip(?: the)?)\s+(?:organi[sz]ation|company|org|name|us)\b", re.IGNORECASE)


def declines_name(text: str) -> bool:
    """True when a reply declines to have the organization named on the report."""
    return bool(_DECLINE.search(text))


@lru_cache(maxsize=2)
def load_rules(path: Path | str = ORGANIZATION_PATH) -> OrganizationRules:
    return load_yaml_model(path, OrganizationRules, "organization rules")


def organization_named(text: str, rules: OrganizationRules | None = None) -> str | None:
    """The organization a reply names right after a cue ("at", "we are", "our company is"), or None."""
    rules = rules or load_rules()
    not_names = {w.lower() for w in rules.not_names}
    for cue in rules.cues:
        for m in re.finditer(cue, text, re.IGNORECASE | re.MULTILINE):
            name = _NAME.match(text, m.end())
            if not name:
                continue
            words = name.group(0).rstrip(".’'").split()
            while words and words[-1].lower() in ("of", "and", "for", "de", "la", "&"):
                words.pop()
            if words and not all(w.strip(".,").lower() in not_names for w in words if w[:1].isupper()):
                return " ".join(words)
    return None
