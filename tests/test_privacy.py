"""The one privacy detector and its two policies (agent.common.privacy).

The property test generates texts with e-mails, phone numbers in several national formats, API
keys and tokens, card numbers, IBANs, IP addresses, national identity and tax numbers (with valid
check digits, in their written forms or after a label) and dates of birth (after a birth word)
embedded in ordinary interview prose, and checks that neither policy lets any of them through and
that both replace exactly the same spans. tests/test_pii_seeded.py follows seeded values through
the provider requests and the trace export.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import ean as stdnum_ean
from stdnum import iban as stdnum_iban
from stdnum import verhoeff as stdnum_verhoeff
from stdnum.de import idnr as stdnum_idnr
from stdnum.es import dni as stdnum_dni
from stdnum.es import nie as stdnum_nie
from stdnum.fr import nir as stdnum_nir
from stdnum.in_ import aadhaar as stdnum_aadhaar
from stdnum.it import codicefiscale as stdnum_cf
from stdnum.nl import bsn as stdnum_bsn
from stdnum.us import ssn as stdnum_ssn

from agent.common.privacy import Redactor, find, mask, mask_text

LEAKY = "mail me at jane.doe@example.com, key sk-abc123def456ghi789jkl"

# --- generators of sensitive values -------------------------------------------------------------

_LOWER = "abcdefghijklmnopqrstuvwxyz"
_ALNUM = _LOWER + _LOWER.upper() + "0123456789"


def _digits(n: int) -> st.SearchStrategy[str]:
    return st.text("0123456789", min_size=n, max_size=n)


emails = st.builds(
    lambda local, dom, tld: f"{local}@{dom}.{tld}",
    st.from_regex(r"[a-z][a-z0-9._+-]{0,14}[a-z0-9]", fullmatch=True),
    st.from_regex(r"[a-z][a-z0-9-]{0,10}[a-z0-9](\.[a-z][a-z0-9]{1,8})?", fullmatch=True),
    st.sampled_from(["com", "org", "de", "co.uk", "io", "fr"]),
)


def _phone(fmt: str) -> st.SearchStrategy[str]:
    """A phone number in `fmt`, where every N is a digit (the first group's lead digit is 1-9)."""
    n = fmt.count("N")
    return st.builds(lambda ds: _fill(fmt, ds), st.text("123456789", min_size=1, max_size=1).flatmap(
        lambda first: _digits(n - 1).map(lambda rest: first + rest)))


def _fill(fmt: str, digits: str) -> str:
    it = iter(digits)
    return "".join(next(it) if c == "N" else c for c in fmt)


phones = st.one_of(
    _phone("+1 (NNN) NNN-NNNN"), _phone("(NNN) NNN-NNNN"), _phone("NNN-NNN-NNNN"),   # US
    _phone("+44 20 NNNN NNNN"), _phone("020 NNNN NNNN").map(lambda s: "0" + s[1:]),  # UK
    _phone("+49 30 NNNNNNN"), _phone("030 NNNNNNNN").map(lambda s: "0" + s[1:]),    # DE
    _phone("0N NN NN NN NN").map(lambda s: "0" + s[1:]), _phone("+33 N NN NN NN NN"),  # FR
    _phone("+91 NNNNN NNNNN"), _phone("0N-NNNN-NNNN").map(lambda s: "0" + s[1:]),    # IN, JP
)

api_keys = st.one_of(
    st.text(_ALNUM, min_size=20, max_size=40).map(lambda s: f"sk-{s}"),
    st.text(_ALNUM, min_size=20, max_size=30).map(lambda s: f"sk-proj-{s}"),
    st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=16, max_size=16).map(lambda s: f"AKIA{s}"),
    st.text(_ALNUM, min_size=36, max_size=36).map(lambda s: f"ghp_{s}"),
    st.text("0123456789abcdef", min_size=32, max_size=64),
    st.tuples(*(st.text(_ALNUM + "_-", min_size=10, max_size=30) for _ in range(3))).map(
        lambda p: f"eyJ{p[0]}.{p[1]}.{p[2]}"),
)
bearer_tokens = st.text(_ALNUM + "._-", min_size=12, max_size=40).filter(lambda s: s[0].isalnum())


def _luhn_complete(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch) * (1 if i % 2 else 2)
        total += d - 9 if d > 9 else d
    return body + str((10 - total % 10) % 10)


def _card_format(number: str, sep: str) -> str:
    return sep.join(number[i:i + 4] for i in range(0, len(number), 4)) if sep is not None else number


cards = st.builds(
    lambda prefix, rest, sep: _card_format(_luhn_complete(prefix + rest), sep),
    st.sampled_from(["4", "51", "55", "6011"]), _digits(11), st.sampled_from([" ", "-", ""]),
)


def _iban(country: str, bban: str, spaced: bool) -> str:
    number = country + stdnum_iban.calc_check_digits(country + "00" + bban) + bban
    return stdnum_iban.format(number) if spaced else number


ibans = st.one_of(
    st.builds(_iban, st.just("DE"), _digits(18), st.booleans()),
    st.builds(_iban, st.just("FR"), _digits(23), st.booleans()),
    st.builds(_iban, st.just("NL"), st.builds(lambda b, n: b + n, st.sampled_from(["ABNA", "INGB", "RABO"]),
                                              _digits(10)), st.booleans()),
)
ips = st.one_of(
    st.ip_addresses(v=4).map(str),
    st.ip_addresses(v=6).filter(lambda a: not a.is_unspecified and a.ipv4_mapped is None and "." not in str(a)).map(str),
)

_UPPER = _LOWER.upper()


def _with_check(body: str, alphabet: str, valid) -> str | None:
    """`body` completed by the one check character of `alphabet` that makes it `valid`, if any."""
    return next((body + c for c in alphabet if valid(body + c)), None)


def _letters(n: int) -> st.SearchStrategy[str]:
    return st.text(_UPPER, min_size=n, max_size=n)


# National numbers in their written forms, check digits computed: recognised without a label.
written_ids = st.one_of(
    st.tuples(st.integers(1, 899).filter(lambda a: a != 666), st.integers(1, 99), st.integers(1, 9999)).map(
        lambda t: f"{t[0]:03d}-{t[1]:02d}-{t[2]:04d}").filter(lambda v: stdnum_ssn.is_valid(v.replace("-", ""))),
    st.builds(lambda pre, d, suf, sp: sp.join([pre, d[:2], d[2:4], d[4:], suf]),
              st.sampled_from(["AB", "CE", "JG", "QQ", "WL", "PX"]), _digits(6), st.sampled_from("ABCD"),
              st.sampled_from([" ", ""])),
    _digits(8).map(lambda d: d + stdnum_dni.calc_check_digit(d)),
    st.builds(lambda x, d: x + d + stdnum_nie.calc_check_digit(x + d), st.sampled_from("XYZ"), _digits(7)),
    st.builds(lambda sur, name, yy, mon, day, town, num: (lambda b: b + stdnum_cf.calc_check_digit(b))(
        f"{sur}{name}{yy}{mon}{day:02d}{town}{num}"),
        _letters(3), _letters(3), _digits(2), st.sampled_from("ABCDEHLMPRST"),
        st.one_of(st.integers(1, 28), st.integers(41, 68)), _letters(1), _digits(3)),
    st.builds(lambda a, b, d, c: f"{a}P{b}{d}{c}", _letters(3), _letters(1),                # PAN of a person
              _digits(4).filter(lambda d: d != "0000"), _letters(1)),
    st.builds(lambda first, rest: (lambda n: f"{n[:4]} {n[4:8]} {n[8:]}")(
        first + rest + stdnum_verhoeff.calc_check_digit(first + rest)),
        st.sampled_from("23456789"), _digits(10)).filter(lambda v: stdnum_aadhaar.is_valid(v)),
    st.builds(lambda sex, yy, mm, dep, com, order: (lambda b: f"{b[0]} {b[1:3]} {b[3:5]} {b[5:7]} {b[7:10]} "
                                                              f"{b[10:13]} {stdnum_nir.calc_check_digits(b + '00')}")(
        f"{sex}{yy}{mm:02d}{dep:02d}{com:03d}{order:03d}"),
        st.sampled_from("12"), _digits(2), st.integers(1, 12), st.integers(1, 95), st.integers(1, 999),
        st.integers(1, 999)),
    _digits(9).map(lambda d: (lambda n: f"{n[:3]}.{n[3:7]}.{n[7:11]}.{n[11:]}")(
        "756" + d + stdnum_ean.calc_check_digit("756" + d))),
)
# Plain digits pass a checksum by chance, so they count only after a label.
labelled_ids = st.one_of(
    st.tuples(st.sampled_from(["SSN", "social security number", "my SSN is"]),
              _digits(9).filter(stdnum_ssn.is_valid)),
    st.tuples(st.sampled_from(["BSN", "burgerservicenummer:"]),
              _digits(8).map(lambda d: _with_check(d, "0123456789", stdnum_bsn.is_valid)).filter(bool)),
    st.tuples(st.sampled_from(["Steuer-ID:", "tax ID", "Steueridentifikationsnummer"]),
              st.permutations("1234567890").map(lambda p: "".join(p[:9]) + p[0]).filter(lambda b: b[0] != "0").map(
                  lambda b: _with_check(b, "0123456789", stdnum_idnr.is_valid)).filter(bool)),
)
birth_words = st.sampled_from(["born", "born on", "date of birth:", "DOB", "birthday is", "geboren am",
                               "Geburtsdatum", "née le", "fecha de nacimiento:", "nato il", "geboortedatum"])
birth_dates = st.one_of(
    st.builds(lambda d, m, y, sep: f"{d:02d}{sep}{m:02d}{sep}{y}", st.integers(1, 28), st.integers(1, 12),
              st.integers(1930, 2008), st.sampled_from(["/", ".", "-"])),
    st.builds(lambda d, m, y: f"{y}-{m:02d}-{d:02d}", st.integers(1, 28), st.integers(1, 12), st.integers(1930, 2008)),
    st.builds(lambda d, m, y: f"{d} {m} {y}", st.integers(1, 28),
              st.sampled_from(["March", "Sept", "März", "mars", "marzo", "maart"]), st.integers(1930, 2008)),
    st.builds(lambda d, m, y: f"{m} {d}, {y}", st.integers(1, 28), st.sampled_from(["March", "October"]),
              st.integers(1930, 2008)),
)

VALUES: dict[str, st.SearchStrategy[str]] = {
    "EMAIL": emails, "PHONE": phones, "API_KEY": api_keys, "CARD": cards, "IBAN": ibans, "IP": ips,
    "NATIONAL_ID": written_ids,
}
# (kind, words kept before the value, value)
kinded = st.one_of(*(s.map(lambda v, k=k: (k, "", v)) for k, s in VALUES.items()),
                   bearer_tokens.map(lambda t: ("API_KEY", "Bearer ", t)),
                   labelled_ids.map(lambda lv: ("NATIONAL_ID", lv[0] + " ", lv[1])),
                   st.tuples(birth_words, birth_dates).map(lambda wd: ("DOB", wd[0] + " ", wd[1])))

# Ordinary interview prose, numbers included: none of it is sensitive. Each phrase starts and ends
# with a word, so a value never runs into a neighbouring number.
FILLER = [
    "we route everything through LiteLLM", "about 40% of traffic goes to Anthropic",
    "on 2026-11-03 at 10:30 the gateway failed over", "we serve 10 000 000 requests a day",
    "the budget is $5,000 a month", "uptime was 99.95% last quarter", "version v1.110.2 is deployed",
    "three teams own prompts", "ask the platform lead", "please contact", "or reach us at", "and",
    "the on-call phone is", "our key was", "wire the invoice to", "the server sits at",
]
texts = st.lists(st.tuples(st.sampled_from(FILLER), kinded), min_size=1, max_size=6).flatmap(
    lambda parts: st.tuples(st.just(parts), st.sampled_from(FILLER)))


def _compose(parts, tail) -> tuple[str, str]:
    """(text, the text with each value replaced by its mask)."""
    text, masked = [], []
    for filler, (kind, kept, value) in parts:
        text += [filler, kept + value]
        masked += [filler, f"{kept}[{kind}]"]
    return " ".join([*text, tail]) + ".", " ".join([*masked, tail]) + "."


@settings(max_examples=400, deadline=None)
@given(texts)
def test_neither_policy_lets_a_value_through_and_both_find_the_same_spans(sample):
    parts, _tail = sample
    text, expected = _compose(*sample)
    assert mask_text(text) == expected
    redactor = Redactor()
    redacted = redactor.redact(text)
    for _, (_, _, value) in parts:
        assert value not in redacted
    # Same spans and kinds: the numbered placeholders, unnumbered, are exactly the masks.
    assert re.sub(r"_\d+\]", "]", redacted) == expected
    assert redactor.restore(redacted) == text
    # Idempotent: what a policy wrote is never detected again.
    assert mask_text(expected) == expected and find(redacted) == []


def test_a_card_after_a_token_is_found():
    """Found by comparing the two former detectors: the trace masked this card, the provider got it."""
    text = "Bearer abcdefgh1 4111 1111 1111 1111"
    assert mask_text(text) == "Bearer [API_KEY] [CARD]"
    assert Redactor().redact(text) == "Bearer [API_KEY_1] [CARD_1]"


@pytest.mark.parametrize("text, expected", [
    (LEAKY, "mail me at [EMAIL], key [API_KEY]"),
    ("Authorization: Bearer abc.DEF-123_456", "Authorization: Bearer [API_KEY]"),
    ("AWS AKIAIOSFODNN7EXAMPLE and ghp_abcdefghijklmnopqrstuvwxyz0123", "AWS [API_KEY] and [API_KEY]"),
    ("pk-lf-0123456789abcdef", "[API_KEY]"),
    ("hash 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08.", "hash [API_KEY]."),
    ("secret QWxhZGRpbjpvcGVuIHNlc2FtZQ9xYWxhZGRpbjpvcGVu==", "secret [API_KEY]"),
    ("card 4111 1111 1111 1111, order 4111-1111-1111-1112", "card [CARD], order 4111-1111-1111-1112"),
    ("call +1 (555) 123-4567 or 06 12 34 56 78 or 0612345678", "call [PHONE] or [PHONE] or [PHONE]"),
    ("pay DE89 3704 0044 0532 0130 00 or GB82WEST12345698765432", "pay [IBAN] or [IBAN]"),
    ("not an IBAN: DE00 3704 0044 0532 0130 00", "not an IBAN: DE00 3704 0044 0532 0130 00"),
    ("hosts 10.0.0.1, 2001:db8::1 and ::1", "hosts [IP], [IP] and [IP]"),
    ("SSN 123-45-6789, NI number QQ 12 34 56 C", "SSN [NATIONAL_ID], NI number [NATIONAL_ID]"),
    ("DNI 54362315K, NIE X2482300W, CF RCCMNL83S18D969H", "DNI [NATIONAL_ID], NIE [NATIONAL_ID], CF [NATIONAL_ID]"),
    ("Steuer-ID: 36 574 261 809; 36574261809 tokens", "Steuer-ID: [NATIONAL_ID]; 36574261809 tokens"),
    ("BSN 123456782 and 123456782 requests", "BSN [NATIONAL_ID] and 123456782 requests"),
    ("born 12/03/1985, date of birth: 1985-03-12", "born [DOB], date of birth: [DOB]"),
    ("DOB 3 March 1985; geboren am 12.03.1985", "DOB [DOB]; geboren am [DOB]"),
    ("we migrated on 2025-03-12 and on 12.03.2025, since March 2024",
     "we migrated on 2025-03-12 and on 12.03.2025, since March 2024"),
    ("the platform was born out of a hackathon in March 2024", "the platform was born out of a hackathon in March 2024"),
])
def test_mask_text(text, expected):
    assert mask_text(text) == expected
    assert mask_text(expected) == expected  # idempotent


def test_ordinary_interview_text_is_left_alone():
    text = ("On 2026-11-03 at 10:30:15 we had 10 000 000 requests and 1000000 tokens, 99.95% uptime, "
            "LiteLLM v1.110.2, 3 providers, $5,000 a month, ratio 3:1; see "
            "knowledge/transition-guides/level-2-to-3/week-1-2-blocks and prompt 1a2b3c4d5e6f.")
    assert mask_text(text) == text
    assert Redactor().redact(text) == text


def test_mask_walks_nested_data():
    data = {"messages": [{"role": "user", "content": LEAKY}], "n": 3, "t": ("jane.doe@example.com",)}
    assert mask(data) == {"messages": [{"role": "user", "content": "mail me at [EMAIL], key [API_KEY]"}],
                          "n": 3, "t": ("[EMAIL]",)}


def test_the_same_value_keeps_its_placeholder_within_a_call():
    r = Redactor()
    msgs = r.redact_messages([{"role": "system", "content": "jane@x.org"},
                              {"role": "user", "content": "mail jane@x.org or bob@x.org", "name": "u"}])
    assert [m["content"] for m in msgs] == ["[EMAIL_1]", "mail [EMAIL_1] or [EMAIL_2]"] and msgs[1]["name"] == "u"
    assert r.count == 2
    assert r.restore("write to [EMAIL_2], not [EMAIL_9]") == "write to bob@x.org, not [EMAIL_9]"
