"""Nothing a person typed acts when it is shown (issue 13, items 6 and 7): on a terminal no escape
sequence or control character gets through; in Markdown (the report, the chat) their words render
as text, never as HTML, an image or a link that runs code."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from agent.common.safe_text import md_safe, md_text, printable

# What a browser-side Markdown renderer does with it: CommonMark with raw HTML passed through (as
# marked does before sanitising, and Gradio's sanitiser keeps <img src>) and GFM tables.
_MD = MarkdownIt("commonmark", {"html": True}).enable("table")
# Tags Markdown itself produces; anything else came from raw HTML.
_MARKDOWN_TAGS = {"p", "em", "strong", "code", "pre", "a", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li",
                  "blockquote", "hr", "br", "table", "thead", "tbody", "tr", "th", "td"}
PAYLOADS = ["<img src=x onerror=alert(1)>", "[click](javascript:alert(1))", "![x](http://tracker.example/p.png)",
            "<script>alert(2)</script>", "[a](<javascript:alert(3)>)", "[b]( javascript:alert(4))",
            "[c][r]\n\n[r]: javascript:alert(5)", "a\\\\](javascript:alert(6))", "[d](jav&#x61;script:alert(7))",
            "<https://tracker.example/autolink>", "| a | b |", "**bold** _it_ `code` # h"]
ESCAPES = "\x1b[2J\x1b[31mred\x1b[0m\x1b]0;pwned title\x07\x07\x9b31m\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\"


class _Html(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def rendered(markdown: str) -> _Html:
    page = _Html()
    page.feed(_MD.render(markdown))
    return page


def assert_inert(markdown: str) -> None:
    """Rendered, the Markdown has no tag of its own making, no image and no link that runs code."""
    page = rendered(markdown)
    for tag, attrs in page.tags:
        assert tag in _MARKDOWN_TAGS, (tag, markdown)
        href = (attrs.get("href") or "").strip().lower()
        assert not href or href.startswith(("http://", "https://", "mailto:")) or ":" not in href, (href, markdown)


def _pieces(pieces: list[str], most: int):
    """Texts made of these pieces (characters and the fragments an attack is built from)."""
    return st.lists(st.sampled_from(pieces), max_size=most).map("".join)


# -- the functions --------------------------------------------------------------------------------


def test_printable_strips_escape_sequences_and_controls_but_keeps_lines():
    s = printable(f"we use{ESCAPES} LiteLLM\tproxy\r\nsecond line\x00\x08\u202eevil")
    assert s == "we useredlink LiteLLM\tproxy\nsecond lineevil"
    assert printable("a\n\tb\r\nc", newlines=False) == "a b c"
    assert printable("\x1b]0;title never ended") == ""  # an unterminated title eats only its own line
    assert printable("\x1b]0;title\nnext line") == "\nnext line"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab \n\t<>&;#[]()!*_`|\\:/-.=1\x1b\x07\x9b\x9d]0;J")), max_size=40))
def test_printable_never_lets_a_control_character_through(text):
    out = printable(text)
    assert not any((ord(c) < 32 and c not in "\n\t") or 0x7F <= ord(c) <= 0x9F for c in out)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_md_text_renders_the_words_as_typed_and_nothing_else(payload):
    page = rendered(f"you said: “{md_text(payload, newlines=False)}”")
    assert [t for t, _ in page.tags] == ["p"]
    assert " ".join("".join(page.text).split()) == " ".join(f"you said: “{payload}”".split())


@settings(max_examples=300, deadline=None)
@given(_pieces([*"ab <>&;#[]()!*_`|\\:/-.=1\n", "javascript:", "http://t/", "img "], 40))
def test_md_text_is_always_plain_text(text):
    page = rendered(f"x {md_text(text, newlines=False)}")
    assert [t for t, _ in page.tags] == ["p"], text


@settings(max_examples=500, deadline=None)
@given(_pieces([
    *"ab <>&;#[]()!*_`|\\:/- \n\t\"'", "javascript:", "JaVaScRiPt:", "data:", "http://t/", "img", "src=x", "&#58;", "&#x61;", "](", "![", "]:"], 30))
def test_md_safe_output_is_inert_whatever_it_is_given(text):
    assert_inert(md_safe(text))
    assert md_safe(md_safe(text)) == md_safe(text)


def test_md_safe_keeps_our_formatting_and_safe_links():
    ours = "**Bold** and _it_, `code`\n\n- a list\n\n| a | b |\n|---|---|\n| < 2s | > 30% |\n\n[docs](https://x.org/a)"
    assert md_safe(ours) == ours
    assert md_safe(md_text("<b>x</b> ![i](http://t/p.png)")) == md_text("<b>x</b> ![i](http://t/p.png)")


# -- the report -----------------------------------------------------------------------------------


def _inject(reply: str) -> str:
    """The payloads in the middle of the reply's first sentence, where the reader quotes from."""
    words = reply.split(" ")
    return " ".join([*words[:3], " ".join(PAYLOADS[:4]), *words[3:]])


HOSTILE_ORG = f"Acme{ESCAPES} <img src=x onerror=alert(1)>"


def hostile_values(rubric) -> dict:
    """A session's saved state whose answers quote replies carrying the payloads, as the reader
    keeps them (its evidence is the person's words), for an organization with a hostile name; and
    the report an earlier version stored for it, raw."""
    from agent.core.schemas import AnswerRecord

    answers = {q.id: AnswerRecord(question_id=q.id, score=2, confidence=0.9, turn=i,
                                  evidence=f"We use {PAYLOADS[i % len(PAYLOADS)]} for {q.topic}").model_dump()
               for i, q in enumerate(rubric.questions)}
    stored = "# Report\n\n| q1 | “" + " ".join(PAYLOADS[:4]) + "” |\n"
    return {"answers": answers, "organization": HOSTILE_ORG, "model": "offline/rubric", "phase": "done",
            "report_md": stored}


def hostile_result(rubric, values: dict):
    """The finished session's result, with a model-written summary that repeats a payload."""
    from agent.core.schemas import AnswerRecord
    from agent.reporting.result import build_result

    return build_result(rubric, "hostile", {k: AnswerRecord.model_validate(v) for k, v in values["answers"].items()},
                        model="offline/rubric", organization=values["organization"],
                        summary="As you said, “![x](http://tracker.example/p.png) <img src=x onerror=alert(1)>”.")


def test_report_markdown_quotes_replies_as_text(rubric, transitions):
    from agent.reporting.export import report_text
    from agent.reporting.markdown import render_markdown

    values = hostile_values(rubric)
    partial = {k: v for k, v in values.items() if k != "report_md"}
    reports = {"finished": render_markdown(rubric, transitions, hostile_result(rubric, values)),
               "in progress": report_text("hostile", partial, "md", rubric, transitions),
               "stored earlier": report_text("hostile", {**values, "result": {}}, "md", rubric, transitions)}
    for kind, md in reports.items():
        assert "<img" not in md and "<script" not in md, kind  # no raw HTML, even unrendered
        assert "\x1b" not in md and "\x07" not in md and "pwned title" not in md, kind
        assert_inert(md)
        assert "<img src=x onerror=alert(1)>" in "".join(rendered(md).text), kind  # the words, shown as typed
    for kind in ("finished", "in progress"):
        assert "**Organization:** Acme" in reports[kind]
        evidence = reports[kind].split("## Answers and evidence")[1]
        assert evidence.count("\n| q") == 12  # no payload split a row or added one
