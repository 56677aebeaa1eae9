"""Recognising interview commands in a reply: slash commands and their plain-words forms (pure)."""

from __future__ import annotations

import re
from typing import Literal

from agent.common.text import normalize

Command = Literal["skip", "back", "finish", "confirm", "show_list"]

_PLAIN = {
    "skip": re.compile(
        r"^(?:/skip|skip(?: (?:this|it|that))?(?: one| question)?|next(?: question)?|pass|"
        r"i(?: do not|'?d rather not| don'?t) (?:know|want to answer)(?: that)?|no idea,? skip|dunno)[.!]*$"
    ),
    "back": re.compile(r"^(?:/back|go back|back|previous(?: question)?|(?:can we )?go back (?:to|one)(?: the)?(?: previous| last)?(?: question)?)[.!?]*$"),
    "finish": re.compile(
        r"^(?:/finish|finish|done|i'?m done|we'?re done|that'?s all|that is all|stop|end|"
        r"let'?s (?:finish|stop|wrap up)(?: here| now)?|(?:can we |please )?finish(?: now| here| the assessment)?)[.!?]*$"
    ),
}
_CONFIRM = re.compile(
    r"^(?:y|yes|yep|yeah|yup|ok|okay|correct|right|confirm(?:ed)?|looks (?:good|right|correct|fine)|"
    r"that'?s (?:right|correct)|all (?:good|correct)|(?:yes|yep),? (?:that'?s |looks )?(?:right|correct|good|fine)|"
    r"lgtm|go ahead|show (?:me )?(?:the |my )?report)[.!]*$"
)


def parse_command(text: str, *, confirming: bool = False) -> Command | None:
    """The command a reply expresses, or None for an ordinary answer.

    `confirming` is True while the interviewee is looking at the summary of understanding, where
    a plain "yes" confirms it.
    """
    t = normalize(text)
    if confirming and _CONFIRM.match(t):
        return "confirm"
    for name, pattern in _PLAIN.items():
        if pattern.match(t):
            # While reviewing, "finish" means: the review is done, write the report.
            return "confirm" if confirming and name == "finish" else name  # type: ignore[return-value]
    return None
