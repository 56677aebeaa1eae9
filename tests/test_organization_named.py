"""The organization's name is recognised when someone says it (issue 14), and other capitalised
words (vendors, products, months) are not taken for one."""

from __future__ import annotations

import pytest

from agent.core.organization import organization_named


@pytest.mark.parametrize("text,name", [
    ("I'm the platform lead at Petwell Vet Clinics, a chain of 40 clinics.", "Petwell Vet Clinics"),
    ("We're Petwell Vet Clinics and we have two AI things.", "Petwell Vet Clinics"),
    ("Here at Acme Retail we call OpenAI directly.", "Acme Retail"),
    ("I work for Bank of Lisbon in the data team.", "Bank of Lisbon"),
    ("Our company is Northwind Traders; everything goes through LiteLLM.", "Northwind Traders"),
    ("At Contoso Health, nobody tracks the spend.", "Contoso Health"),
])
def test_a_named_organization_is_found(text, name):
    assert organization_named(text) == name


@pytest.mark.parametrize("text", [
    "We call OpenAI directly from each app.",
    "We're using LiteLLM and Langfuse.",
    "Everything goes through our gateway at AWS Bedrock.",
    "We are not tracking anything yet.",
    "At the moment we only have logs.",
    "I work at a small startup.",
    "Since March we log every request.",
])
def test_other_capitalised_words_are_not_an_organization(text):
    assert organization_named(text) is None


def _finish(iv, replies):
    from tests.helpers import TO_REVIEW

    out = list(iv.start())
    for r in [*replies, *TO_REVIEW[len(replies):], "yes, looks right"]:
        out += iv.reply(r)
    return out


def test_a_name_said_in_the_interview_is_offered_and_goes_on_the_report():
    from tests.helpers import TO_REVIEW, new_interview

    iv = new_interview("org-named")
    said = _finish(iv, [f"I'm the platform lead at Petwell Vet Clinics. {TO_REVIEW[0]}"])
    assert sum("I'll put **Petwell Vet Clinics** on the report" in m for m in said) == 1
    assert "**Organization:** Petwell Vet Clinics" in iv.state["report_md"]


def test_declining_the_offer_leaves_the_name_off():
    from tests.helpers import TO_REVIEW, new_interview

    iv = new_interview("org-declined")
    said = _finish(iv, [f"Here at Petwell Vet Clinics: {TO_REVIEW[0]}", f"No organization please. {TO_REVIEW[1]}"])
    assert any("the report will not name the organization" in m for m in said)
    assert "**Organization:** Not given" in iv.state["report_md"]


def test_the_name_given_with_org_wins_over_one_heard():
    from tests.helpers import TO_REVIEW, new_interview

    iv = new_interview("org-given")
    iv.services.organization = "Acme Retail"
    said = _finish(iv, [f"We're Petwell Vet Clinics. {TO_REVIEW[0]}"])
    assert not any("I'll put" in m for m in said)
    assert "**Organization:** Acme Retail" in iv.state["report_md"]
