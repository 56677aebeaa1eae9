"""Names in the organization store: an organization's stable slug, assessment round names (default:
the current quarter), respondents' keys (pure functions, no I/O)."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

_ROUND = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9._-]{0,39}\Z")
_QUARTER = re.compile(r"\A(\d{4})-?[Qq]([1-4])\Z")
MAX_NAME = 200
_ESCAPE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")


class OrgNameError(ValueError):
    """A name the store cannot take; the message says what would work."""


def clean_display(name: str) -> str:
    """A name as shown: control characters removed, spacing collapsed to single spaces."""
    name = _ESCAPE.sub("", name)  # a terminal escape sequence whole, not just its ESC
    shown = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in name)
    return " ".join(shown.split())[:MAX_NAME]


def org_slug(name: str) -> str:
    """The stable identifier of an organization's name: accents folded, lower case, runs of anything
    but letters and digits turned into '-' ("Müller & Söhne GmbH (R&D)" → "muller-sohne-gmbh-r-d").
    Names that differ only in case, accents or punctuation are the same organization."""
    spaced = "".join(c if c.isalnum() else " " for c in name)  # "Ōkura–Lindqvist": the dash separates
    folded = unicodedata.normalize("NFKD", spaced).encode("ascii", "ignore").decode("ascii").lower()
    slug = re.sub(r"[^a-z0-9]+", "-", folded).strip("-")[:80].strip("-")
    if not slug:
        # A name in a script with no ASCII letters still needs a stable, readable-enough key.
        slug = "org-" + "-".join(f"{ord(c):x}" for c in clean_display(name) if c.isalnum())[:76]
    if slug == "org-":
        raise OrgNameError(f"{name!r} is not an organization name: give letters or digits, e.g. --org \"Acme Retail\".")
    return slug


def round_name(name: str | None, today: date | None = None) -> str:
    """A round's name as stored: "2026-Q4" for a quarter however typed ("2026q4", "2026-q4"), any other
    short label as given (letters, digits, '.', '_', '-'); None: the current quarter."""
    if name is None or not name.strip():
        d = today or date.today()
        return f"{d.year}-Q{(d.month - 1) // 3 + 1}"
    name = name.strip()
    m = _QUARTER.match(name)
    if m:
        return f"{m.group(1)}-Q{m.group(2)}"
    if not _ROUND.match(name):
        raise OrgNameError(f"Invalid round {name!r}: use a quarter like 2026-Q4, or a short label of letters, "
                         "digits, '.', '_' or '-' (at most 40 characters).")
    return name


def respondent_key(name: str | None, session: str) -> str:
    """Who answered, for telling one person's sessions from another's: the name with case, accents
    and spacing folded; an anonymous respondent is their session."""
    if name and clean_display(name):
        return "name:" + unicodedata.normalize("NFKC", clean_display(name)).casefold()
    return "session:" + session
