"""The HTML reports (agent.reporting.html): a session's and an organization's round, one
self-contained file each. Fast tests read the HTML; one browser test opens the file in Chromium,
checks that nothing is fetched, and prints it to PDF."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from agent.core.rubric import QUESTION_IDS
from agent.core.schemas import AnswerRecord
from agent.core.scoring import level_text
from agent.reporting.export import report_text
from agent.reporting.html.chart import dimension_chart
from agent.reporting.html.render import render_org_html, render_session_html
from agent.reporting.org.view import build_round_view
from agent.reporting.result import ATTRIBUTION, advice_of, build_result
from agent.storage.organizations import OrgStore

CHROMIUM = "/usr/bin/chromium"
ORG = "Müller & Söhne GmbH (R&D)"
SLUG = "muller-sohne-gmbh-r-d"
HOSTILE = 'we route <script>alert("x")</script></table> everything through it'
SESSION_SCORES = [1, 2, 1, 0, 2, 1, 1, 1, 0, 1, 2, 1]


# -- reading the HTML -----------------------------------------------------------------------------


BLOCKS = {"p", "div", "li", "ul", "ol", "dl", "dt", "dd", "tr", "td", "th", "table", "section", "article",
          "header", "footer", "figure", "figcaption", "h1", "h2", "h3", "h4", "br"}


class Page(HTMLParser):
    """The document's tags (with attributes) and its text as a reader sees it (blocks apart)."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.chunks: list[str] = []
        self._skip = 0
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag in BLOCKS:
            self.chunks.append(" ")
        if tag in ("style", "title", "svg"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in BLOCKS:
            self.chunks.append(" ")
        if tag in ("style", "title", "svg") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.chunks.append(data)

    @property
    def text(self) -> str:
        return " ".join("".join(self.chunks).split())


def text_of(html: str) -> str:
    return Page(html).text


def section(html: str, ident: str) -> str:
    """The text of the <section id=ident>."""
    start = html.index(f'id="{ident}"')
    return text_of(html[html.rindex("<section", 0, start): html.index("</section>", start)])


def flat(text: str) -> str:
    return " ".join(text.split())


def assert_self_contained(html: str) -> None:
    """No scripts, no stylesheet links, nothing with an address outside the document."""
    page = Page(html)
    names = [t for t, _ in page.tags]
    assert "script" not in names and "link" not in names and "img" not in names and "iframe" not in names
    for tag, attrs in page.tags:
        for key in ("src", "href", "xlink:href", "action", "data", "poster", "srcset"):
            value = (attrs.get(key) or "").strip().lower()
            assert not value.startswith(("http:", "https:", "//", "javascript:")), (tag, key, value)
    assert not re.search(r"<script|<link\b|@import|url\(\s*['\"]?(?:https?:)?//", html, re.IGNORECASE)
    assert '<meta http-equiv="Content-Security-Policy" content="default-src \'none\';' in html
    # Anywhere at all: no web address except inside the attribution (plain text).
    assert not re.findall(r"https?://", html.replace(ATTRIBUTION, ""))


# -- a session ------------------------------------------------------------------------------------


def session_records(scores=SESSION_SCORES, quote=lambda qid: f"we said {qid}") -> dict[str, AnswerRecord]:
    return {qid: AnswerRecord(question_id=qid, score=s, confidence=0.8, evidence=quote(qid), turn=i,
                              model="offline/rubric")
            for i, (qid, s) in enumerate(zip(QUESTION_IDS, scores, strict=False))}


@pytest.fixture(scope="module")
def session(rubric, transitions):
    recs = session_records(quote=lambda qid: HOSTILE if qid == "q1" else f"we said {qid}")
    result = build_result(rubric, "s1", recs, model="offline/rubric", organization="Acme <b>Labs</b>",
                          assessed_on="2026-11-30", notes=["Checked by <i>Zoe</i>"])
    return result, render_session_html(result, rubric, transitions)


def test_session_report_shows_level_total_dimensions_and_header(rubric, session):
    result, html = session
    text = text_of(html)
    a = result.assessment
    assert html.startswith("<!DOCTYPE html>")
    assert level_text(rubric, a) in section(html, "summary")
    assert f"Total score: {a.total}/60" in text
    for d in rubric.dimensions:
        assert d.name in section(html, "scores")
    assert "Acme <b>Labs</b>" in text  # their name as typed, as text
    assert "Acme &lt;b&gt;Labs&lt;/b&gt;" in html
    for fact in ("2026-11-30", "s1", "offline/rubric", "Executive Summary", "Answers and evidence"):
        assert fact in text
    assert "Checked by <i>Zoe</i>" in section(html, "appendix")
    assert text.endswith(ATTRIBUTION)


def test_session_report_lists_first_steps_and_actions_with_sources(rubric, transitions, session):
    result, html = session
    adv = advice_of(rubric, transitions, result)
    first = section(html, "first-steps")
    assert len(adv.first_steps) == 3
    for step in adv.first_steps:
        assert flat(step.action.source) in first
    plan = section(html, "actions")
    action = adv.short_term[0]
    # A checklist line: the box, the action, and where in the model it comes from.
    assert re.search(re.escape("☐ ") + r".*" + re.escape(f"({action.source}"), plan)
    guide_item = next(x for x in adv.short_term + adv.medium_term if not x.next_option)
    assert f"☐ {guide_item.text}" in plan and guide_item.source.startswith("Transition Guides › Level 1 to Level 2 › ")
    assert f"({guide_item.source}" in plan
    assert "first step 1" in plan


def test_session_evidence_escapes_quotes_and_says_how_they_were_read(session):
    _, html = session
    evidence = section(html, "evidence")
    assert f"“{HOSTILE}”" in evidence
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;/table&gt;" in html
    assert "direct · offline/rubric · confidence 0.80" in evidence
    assert_self_contained(html)
    # The table survived the quote's </table>: every question has its row.
    assert len(re.findall(r'<th scope="row" class="qid">q\d+</th>', html)) == 12


def test_session_chart_is_inline_svg_naming_every_dimension(rubric, session):
    _, html = session
    svg = html[html.index("<svg"): html.index("</svg>")]
    assert 'role="img"' in svg and "aria-label=" in svg and "<title>" in svg
    assert "<?xml" not in html and "<!DOCTYPE svg" not in html
    for d in rubric.dimensions:
        assert f">{d.name}</text>" in svg
    assert "<path" in svg


def test_partial_session_marks_what_is_missing(rubric, transitions):
    result = build_result(rubric, "s2", session_records(SESSION_SCORES[:5]), model="offline/rubric")
    html = render_session_html(result, rubric, transitions)
    text = text_of(html)
    assert "Partial assessment: 5 of 12 questions answered" in text
    assert "provisional" in section(html, "summary")
    assert "not answered" in section(html, "evidence")
    svg = html[html.index("<svg"): html.index("</svg>")]
    assert "(not answered)" in svg  # Cost and Security: drawn at 0, labelled
    assert "Not given" in text  # no organization


def test_a_summary_a_model_wrote_is_shown(rubric, transitions):
    result = build_result(rubric, "s3", session_records(), model="openai/gpt-test",
                          summary="Acme's <em>gateway</em> is the place to start.")
    html = render_session_html(result, rubric, transitions)
    assert "Acme's <em>gateway</em> is the place to start." in section(html, "summary")
    assert "<em>gateway</em>" not in html


def test_grounded_advice_shows_its_passages_and_their_documents_as_text(rubric, transitions):
    from agent.reporting.advice import Passage

    result = build_result(rubric, "s6", session_records(), model="openai/gpt-test", organization="Acme")
    adv = advice_of(rubric, transitions, result).model_copy(update={
        "grounded": True, "written_by": "openai/gpt-test",
        "passages": [Passage(id="transition-l1-l2-week-1-2", section="Transition Guides › Level 1 to Level 2",
                              text="Deploy LiteLLM")],
        "organization_passages": [Passage(id="doc-1", section="Wiki <img src=x>", origin="organization",
                                          text="runbook " * 60, for_dimension="cost")]})
    html = render_session_html(result.model_copy(update={"advice": adv}), rubric, transitions)
    plan = section(html, "actions")
    assert "Actions written by openai/gpt-test" in plan
    assert "From your organization's documents Wiki <img src=x> (for cost): “runbook runbook" in plan
    assert "…”" in plan  # a long excerpt is shortened
    assert "transition-l1-l2-week-1-2 — Transition Guides › Level 1 to Level 2" in section(html, "appendix")
    assert_self_contained(html)


def test_report_text_renders_html_for_finished_and_running_sessions(rubric, transitions):
    recs = session_records()
    done = build_result(rubric, "s4", recs, model="offline/rubric", organization="Acme")
    finished = report_text("s4", {"report_md": "# old", "result": done.model_dump(mode="json")}, "html",
                           rubric, transitions)
    assert finished.startswith("<!DOCTYPE html>") and f"Total score: {done.assessment.total}/60" in text_of(finished)
    running = report_text("s5", {"answers": {k: v.model_dump(mode="json") for k, v in list(recs.items())[:3]},
                                 "model": "offline/rubric"}, "html", rubric, transitions)
    assert "Partial assessment: 3 of 12" in text_of(running)
    assert "The interview is still in progress." in text_of(running)


# -- an organization's round ------------------------------------------------------------------------


def answers(scores: dict[str, int], quote) -> dict[str, dict]:
    return {q: {"score": s, "evidence": quote(q), "source": "direct", "model": "offline/rubric"}
            for q, s in scores.items()}


BASE = dict.fromkeys(QUESTION_IDS, 1)
ANA_Q4 = {**BASE, "q1": 4, "q2": 2, "q3": 2, "q5": 2, "q6": 2, "q9": 3, "q10": 2, "q11": 2}
BO_Q4 = {**BASE, "q1": 1, "q2": 2, "q3": 2, "q5": 2, "q6": 2, "q9": 1, "q10": 2, "q11": 2}


def build_org(tmp: Path, rubric, transitions, respondents: int = 3):
    store = OrgStore(f"sqlite:///{tmp}/o.sqlite")
    store.attach("p1", ORG, "2026-Q3", respondent="Ana", role="Platform lead")
    store.record("p1", "done", answers(BASE, lambda q: f"Ana then on {q}"))
    # Ana's first session of Q4 is replaced by her second one.
    store.attach("a0", ORG, "2026-Q4", respondent="Ana", role="Platform lead")
    store.record("a0", "done", answers(BASE, lambda q: f"Ana's first try on {q}"))
    store.attach("a1", ORG, "2026-Q4", respondent="Ana", role="Platform lead")
    store.record("a1", "done", answers(ANA_Q4, lambda q: "all via gateway" if q == "q1" else f"Ana now on {q}"))
    store.attach("b1", ORG, "2026-Q4", respondent="Bo <script>", role="CFO & co")
    store.record("b1", "done", answers(BO_Q4, lambda q: HOSTILE if q == "q1" else f"Bo on {q}"))
    if respondents >= 3:
        store.attach("c1", ORG, "2026-Q4", respondent="Cy", role="Developer", scope=["cost"])
        store.record("c1", "interview", answers({"q9": 2}, lambda q: "a dashboard per team"))
    org = store.org(SLUG)
    store.settle(org, "2026-Q4", "q9", 2, "Finance confirmed: per-team dashboards, no per-request costs", "Fay")
    return build_round_view(store, rubric, transitions, SLUG, "2026-Q4")


@pytest.fixture(scope="module")
def org(tmp_path_factory, rubric, transitions):
    view = build_org(tmp_path_factory.mktemp("org"), rubric, transitions)
    return view, render_org_html(view, rubric, transitions)


def test_org_report_shows_the_round_level_total_rule_and_headline(rubric, org):
    view, html = org
    text = text_of(html)
    agg = view.aggregate
    assert f"{ORG}: AI Operations Maturity, round 2026-Q4" in text
    assert "Müller &amp; Söhne GmbH (R&amp;D)" in html
    assert view.change is not None and view.change.headline().startswith("since 2026-Q3: ")
    assert view.change.headline() in text
    summary = section(html, "summary")
    assert level_text(rubric, agg.assessment) in summary
    assert f"Total score: {agg.assessment.total}/60" in summary
    assert agg.level_range != agg.assessment.level_range  # q1 is disputed
    lo, hi = agg.level_range
    assert f"Level range the disagreements allow Level {lo}–{hi}" in summary
    assert flat(agg.rule) in summary
    for d in rubric.dimensions:
        assert d.name in section(html, "scores")
    assert "2026-Q3" in section(html, "scores")  # the previous round's column
    assert text.endswith(ATTRIBUTION)


def test_org_report_lists_respondents_with_progress_and_superseded_sessions(org):
    _, html = org
    people = section(html, "respondents")
    assert "Ana Platform lead 12/12 done superseded by a later session" in people
    assert "Ana Platform lead 12/12 done yes" in people
    assert "Bo <script> CFO & co 12/12 done yes" in people
    assert "Cy Developer 1/2 (Cost) interview yes" in people


def test_org_report_shows_each_disagreement_with_who_said_what_and_the_settlement(org):
    view, html = org
    assert [q.question for q in view.aggregate.disagreements] == ["q1", "q9"]
    found = section(html, "disagreements")
    q1 = found[found.index("q1 AI access"): found.index("q9 ")]
    assert "Ana (Platform lead): 4" in q1 and "“all via gateway”" in q1
    assert "Bo <script> (CFO & co): 1" in q1 and f"“{HOSTILE}”" in q1
    assert "Not settled" in q1
    q9 = found[found.index("q9 "):]
    assert "Settled at 2" in q9 and "by Fay" in q9
    assert "Finance confirmed: per-team dashboards, no per-request costs" in q9
    assert "Cy (Developer): 2" in q9


def test_org_report_evidence_plan_and_history(rubric, transitions, org):
    view, html = org
    evidence = section(html, "evidence")
    assert "Bo <script> (CFO & co): 1 “Wrapper scripts/libraries per team”" in evidence
    assert "Ana (Platform lead): 4" in evidence and "disagreement" in evidence and "settled" in evidence
    plan = section(html, "actions")
    action = (view.advice.short_term + view.advice.medium_term)[0]
    assert f"({action.source}" in plan and "☐" in plan
    history = section(html, "history")
    moved = {m.question for m in view.change.moved}
    assert "q2" in moved and "q1" not in moved  # q1's median stayed 1
    q2 = history[history.index("q2 Provider outage: 1 → 2"):]
    assert q2.startswith("q2 Provider outage: 1 → 2 If your primary AI provider goes down")
    assert "Before (2026-Q3) Ana (Platform lead): 1" in q2 and "“Ana then on q2”" in q2
    assert "Now (2026-Q4) Ana (Platform lead): 2" in q2 and "“Ana now on q2”" in q2
    progress = view.change.progress
    assert progress is not None
    assert f"Items done then {len(progress.done_before)} of {progress.items_total}" in history
    assert f"Items done now {len(progress.done_now)} of {progress.items_total}" in history
    assert f"Level {progress.target_level} reached {'yes' if progress.target_reached else 'no'}" in history
    for criterion in progress.success_criteria:
        assert criterion in history


def test_org_report_is_self_contained_and_escapes_what_people_typed(rubric, org):
    _, html = org
    assert_self_contained(html)
    assert "<script>" not in html and "</table> everything" not in html
    assert html.count("&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;/table&gt;") >= 2
    svg = html[html.index("<svg"): html.index("</svg>")]
    assert svg.count("<svg") == 1 and "Previous round" in svg
    for d in rubric.dimensions:
        assert f">{d.name}</text>" in svg


def test_first_round_has_no_history(tmp_path, rubric, transitions):
    store = OrgStore(f"sqlite:///{tmp_path}/o.sqlite")
    store.attach("x1", "Acme", "2026-Q1", respondent="Ana")
    store.record("x1", "done", answers(BASE, lambda q: "so so"))
    view = build_round_view(store, rubric, transitions, "acme")
    html = render_org_html(view, rubric, transitions)
    assert "2026-Q1 is the first round: nothing to compare yet." in section(html, "history")
    assert "No question has answers two options or more apart." in section(html, "disagreements")
    assert "Previous round" not in html


# -- the chart ------------------------------------------------------------------------------------


def test_chart_is_deterministic_accessible_and_self_contained():
    names = ["Gateway", "Observability", "Memory", "Orchestration", "Cost", "Security"]
    args = (names, [1.5, 0.5, None, 1.0, 0.5, 1.5], [2.0] * 6, [1.0, 1.0, 1.0, None, 0.0, 1.0])
    svg = dimension_chart(*args, title="Acme & <Co>")
    assert svg == dimension_chart(*args, title="Acme & <Co>")
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    assert 'role="img"' in svg and "Memory: current not answered, target 2.0, previous round 1.0" in svg
    assert "Acme &amp; &lt;Co&gt;" in svg and "<Co>" not in svg
    assert "Current (not answered: Memory)" in svg and "Previous round (not answered: Orchestration)" in svg
    assert "http" not in svg and "<metadata" not in svg and "<image" not in svg
    with pytest.raises(ValueError):
        dimension_chart(names, [1.0], [2.0] * 6)


# -- in a browser ---------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(),
                    reason=f"Chromium is not installed at {CHROMIUM} (apt-get install -y chromium)")
def test_org_report_in_chromium_fetches_nothing_and_prints_to_pdf(tmp_path, org):
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    from tests.web_helpers import launch_chromium

    _, html = org
    path = tmp_path / "report.html"
    path.write_text(html, encoding="utf-8")
    with sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            requests: list[str] = []
            page.on("request", lambda r: requests.append(r.url))
            page.goto(path.as_uri())
            page.wait_for_load_state("load")
            assert requests and all(u.startswith(("file:", "data:")) for u in requests), requests

            assert page.get_by_role("heading", level=1).is_visible()
            assert "round 2026-Q4" in page.get_by_role("heading", level=1).inner_text()
            assert page.get_by_text("Not settled", exact=False).first.is_visible()
            assert page.locator("#disagreements").get_by_text("“all via gateway”").first.is_visible()
            chart = page.locator("figure.chart svg")
            box = chart.bounding_box()
            assert box and box["width"] > 100 and box["height"] > 100
            assert chart.locator("path").count() > 10
            assert chart.get_attribute("role") == "img"

            page.emulate_media(media="print")
            page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
            assert page.evaluate("document.documentElement.scrollWidth") <= 794
            pdf = page.pdf(format="A4", prefer_css_page_size=True)
            assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
            assert len(re.findall(rb"/Type\s*/Page\b", pdf)) >= 1
            assert all(u.startswith(("file:", "data:")) for u in requests), requests
        finally:
            browser.close()
