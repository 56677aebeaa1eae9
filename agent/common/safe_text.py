"""Showing text that came from a person (replies, quotes of replies, --org, names read from disk)
without letting it act: on a terminal it must not move the cursor, clear the screen, retitle the
window or ring the bell; in Markdown and on the web page it must stay text, never HTML, an image
fetched from somewhere or a link that runs code.

One function per kind of output:

- `printable`: for a terminal (and any plain-text output): escape sequences and control
  characters removed, line breaks and tabs kept (or flattened for one-line fields).
- `md_text` (`md_cell` in a table): a person's words placed inside Markdown we write, escaped so
  that every character shows as typed (no emphasis, links, images, HTML or tables of their own).
- `md_safe`: Markdown we composed that may quote people or a model (chat messages, the report):
  our formatting stays, but raw HTML shows as text, images are not loaded and only web, mail and
  relative links stay links.

Pure: no imports beyond the standard library, so every layer can use it.
"""

from __future__ import annotations

import re

# Whole escape sequences first, so that their parameters ("[2J", "]0;title") do not survive as text
# once the ESC is gone: CSI (colours, cursor, clearing), OSC (window title, hyperlinks, clipboard)
# ended by BEL or ST, DCS/SOS/PM/APC strings, two-byte escapes, and the 8-bit CSI and OSC forms.
_ESCAPE_SEQUENCE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]?"
    r"|\x1b\][^\x07\x1b\x9c\n]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[PX^_][^\x1b\x9c\n]*(?:\x1b\\|\x9c)?"
    r"|\x1b[ -/]*[0-~]?"
    r"|\x9b[0-?]*[ -/]*[@-~]?"
    r"|[\x90\x98\x9d\x9e\x9f][^\x07\x1b\x9c\n]*(?:\x07|\x1b\\|\x9c)?"
)
# C0 (but tab and line feed), DEL, C1, and the bidirectional overrides and isolates that can make
# text display in another order than it reads ("Trojan source").
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_FLAT = re.compile(r"[\t\n]+")


def printable(text: object, *, newlines: bool = True) -> str:
    """`text` with terminal escape sequences and control characters removed. Keeps line breaks and
    tabs, unless `newlines` is False (one-line fields such as an echoed reply or a name): then each
    run of them becomes one space. A carriage return counts as a line break, so it cannot be used
    to overwrite what was printed before it on the line."""
    s = str(text).replace("\r\n", "\n").replace("\r", "\n")
    s = _CONTROL.sub("", _ESCAPE_SEQUENCE.sub("", s))
    return s if newlines else _FLAT.sub(" ", s)


# Markdown's inline punctuation (CommonMark lets any ASCII punctuation be backslash-escaped) and
# the backslash itself. A `<` that could open HTML becomes an entity instead: some renderers pass
# `\<` through as raw HTML.
_MD_INLINE = re.compile(r"([\\`*_~\[\]])")
# Block markers only act at the start of a line: headings, quotes, lists, setext underlines, and
# the rows that make a table (a table cell of ours escapes `|` itself, see `md_cell`).
_MD_LINE_START = re.compile(r"^([ \t]*\d*)([#>+\-=.)|:])", re.MULTILINE)
_ENTITY = re.compile(r"&(?=#?[0-9A-Za-z]+;)")
# A `<` that can open HTML (a tag, a closing tag, a comment, a declaration) or an autolink; "< 2s"
# stays as it is.
_OPEN_ANGLE = re.compile(r"<(?=[A-Za-z/!?])")


def md_text(text: object, *, newlines: bool = True) -> str:
    """A person's words for insertion into Markdown: printable (see `printable`) and escaped so
    that they render exactly as typed, as text: no HTML, no links or images, no emphasis, no table
    or other block structure of their own (in a table cell use `md_cell`)."""
    s = printable(text, newlines=newlines)
    s = _OPEN_ANGLE.sub("&lt;", _ENTITY.sub("&amp;", s))
    s = _MD_INLINE.sub(r"\\\1", s)
    return _MD_LINE_START.sub(r"\1\\\2", s)


# An unescaped `![` (an even run of backslashes before it escapes only themselves).
_IMAGE = re.compile(r"(?<!\\)((?:\\\\)*)!\[")
# An unescaped `]` opening a link destination `](...)` or ending a reference definition `]: ...`,
# with the destination that follows it (looked at, not consumed: it may hold the next `](`).
_LINK_TARGET = re.compile(r"(?<!\\)((?:\\\\)*)\](?=(\(\s*|:[ \t]*\n?[ \t]*)(<[^>\n]*>?|[^\s)]*))")
# Destinations that cannot run code: web and mail addresses, and relative links without a scheme
# (no ':' and no entity or escape that could spell one).
_SAFE_TARGET = re.compile(r"(?:https?://|mailto:)[^\s]*|[A-Za-z0-9._~/?#=%+-]*", re.IGNORECASE)


def _link(m: re.Match[str]) -> str:
    # A browser ignores the spaces a pointy destination (`<...>`) may start with.
    if _SAFE_TARGET.fullmatch(m.group(3).removeprefix("<").removesuffix(">").strip()):
        return m.group(0)
    return f"{m.group(1)}\\]"


def md_cell(text: object) -> str:
    """A person's words as one cell of a Markdown table: `md_text` on one line, `|` escaped."""
    return md_text(" ".join(str(text).split())).replace("|", "\\|")


def md_safe(markdown: object) -> str:
    """Markdown we composed, which may quote a person or a model, made safe to render: printable,
    raw HTML shown as text (a `<` that could open a tag becomes an entity), no images (an image is
    a request to wherever it points), and links kept only to http(s), mailto or relative addresses
    (a `javascript:` or `data:` link becomes text). Our own formatting (emphasis, lists, tables,
    code) is unchanged. Idempotent, and it leaves text escaped by `md_text` as it is."""
    s = _OPEN_ANGLE.sub("&lt;", printable(markdown))
    s = _IMAGE.sub(lambda m: m.group(1) + "!\\[", s)
    return _LINK_TARGET.sub(_link, s)
