"""Personal data and secrets in free text: ONE detector, two policies.

Everything that leaves the process passes through here: provider requests (and the streamed or
structured replies mapped back), traces, exported data sets. `find` is the only detector; the
policies differ only in what they put in place of a value:

    mask_text / mask   irreversible, typed:        "[EMAIL]"    traces, exports
    Redactor           reversible, typed, numbered: "[EMAIL_1]"  provider boundary (`restore` maps
                                                                  the model's reply back)

Kinds (most specific first; a later kind never overlaps an earlier one):

    EMAIL        e-mail addresses
    API_KEY      Bearer tokens, JSON web tokens, sk-/pk-/rk-, AKIA/ASIA, gh?_, xox?-, AIza… keys,
                 long hex (32+) and long mixed-case base64 (40+) strings
    IBAN         international bank account numbers (checksum validated by python-stdnum)
    NATIONAL_ID  national identity and tax numbers, each checked by its own validator (python-stdnum;
                 HMRC's format rules for the UK National Insurance number, which stdnum lacks).
                 In their written forms, alone: US SSN "536-90-4399", UK NINO "QQ 12 34 56 C",
                 French NIR "2 95 10 99 126 111 93", Spanish DNI "54362315K" and NIE "X2482300W",
                 Italian codice fiscale, Indian PAN "ACUPA7085R" and Aadhaar "2341 2341 2346",
                 Swiss AHV "756.9217.0769.85", Swedish personnummer, Finnish HETU, Belgian national
                 number "85.07.30-033.28". As plain digits (any grouping) only next to a label
                 ("SSN", "BSN", "SIN", "Steuer-ID", "tax ID", "PESEL", "CPR", "ID number", ...):
                 German Steuer-ID, Dutch BSN, Canadian SIN, Polish PESEL, Danish CPR and all of the
                 above, because nine in ten 9-digit numbers are valid SSNs by stdnum's rules and one
                 in ten passes a Luhn or mod-11 check.
    DOB          a date (numeric, or with a month name in English, German, French, Spanish, Italian
                 or Dutch) right after a birth word: born, date of birth, DOB, birthday, geboren,
                 Geburtsdatum, né(e) le, fecha de nacimiento, nato/a il, geboortedatum, ... Only the
                 date is replaced ("born [DOB]"); a date without such a word is left alone.
    CARD         13-19 digit card numbers that pass the Luhn check
    IP           IPv4 and IPv6 addresses (compressed forms too; validated by `ipaddress`)
    PHONE        8-15 digits in groups, 7+ after a "+", or a bare number of 9+ digits starting with 0

Numbers are treated conservatively: dates (ISO, "12.03.2025"), times, percentages, versions and
ordinary quantities ("1 000 000 requests a day") are left alone, so a trace still reads like the
interview it records. Placeholders are never matched again, so both policies are idempotent. Pure
functions, no I/O.

NOT detected, so sent to the provider and written to traces as typed:
  - person names and street addresses. Recognising them needs a named-entity model, and none
    works offline with this project's dependencies: spaCy, Presidio, GLiNER, flair and stanza all
    fetch their models from outside PyPI (a model hub or GitHub) at install or first use. Word
    lists of names would mask half of an ordinary sentence ("May", "Jordan", "Paris", "Will").
  - ages ("I'm 39"), a year of birth on its own ("born in 1985"), a date before its birth word
    ("12/03/1985 is my birthday") or separated from it by other words than the few above;
  - passport, driving-licence and health-insurance numbers (no check digit tells them from any
    other code), lower-case written forms ("rccmnl83s18d969h"), and the national numbers of
    countries not listed above.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from stdnum import iban as _iban

Kind = Literal["EMAIL", "API_KEY", "IBAN", "NATIONAL_ID", "DOB", "CARD", "IP", "PHONE"]
KINDS: tuple[Kind, ...] = ("EMAIL", "API_KEY", "IBAN", "NATIONAL_ID", "DOB", "CARD", "IP", "PHONE")


# A judge returns the (start, end) of the sensitive part of a candidate match, or None.
Judge = Callable[[re.Match[str]], tuple[int, int] | None]


@dataclass(frozen=True, slots=True)
class Span:
    """A sensitive value at text[start:end]."""

    start: int
    end: int
    kind: Kind


# Both policies' placeholders; text inside them is never detected again.
PLACEHOLDER = re.compile(rf"\[(?:{'|'.join(KINDS)})(?:_\d+)?\]")

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
_BEARER = re.compile(r"(?i)\bbearer\s+([A-Za-z0-9._~+/=-]{8,})")
_KEYS = (
    re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}"),  # JSON web token
    re.compile(r"\b(?:sk|pk|rk)-[A-Za-z0-9_-]{12,}"),                          # OpenAI, Anthropic, Langfuse, Stripe
    re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),                              # AWS access key id
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{20,}\b"),                             # GitHub
    re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),                             # Slack
    re.compile(r"\bAIza[0-9A-Za-z_-]{30,}"),                                   # Google
)
_HEX = re.compile(r"(?<![A-Za-z0-9])[0-9a-fA-F]{32,}(?![A-Za-z0-9])")
_B64 = re.compile(r"(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{40,}={0,2}(?![A-Za-z0-9+/_=-])")
_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}(?![A-Za-z0-9])")
_CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
_IPV4 = re.compile(r"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)(?![\d.])")
_IPV6 = re.compile(r"(?<![\w:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:])")
_PHONE = re.compile(r"(?<![\w+])(?<![A-Za-z]-)(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d[\d .-]{5,}\d(?!\w)")
# ISO dates, day-month-year and month-day-year dates ("12.03.2025", "03-12-2025"), numbers
# filed under a year ("2025-000123", release "2024.10.015"), IPv4 addresses, thousands-grouped
# amounts ("10 000 000").
_NOT_PHONE = re.compile(r"\d{4}-\d{2}-\d{2}(?:\D|$)"
                        r"|(?:0?[1-9]|[12]\d|3[01])([.-])(?:0?[1-9]|[12]\d|3[01])\1(?:19|20)\d\d(?:\s|$)"
                        r"|(?:19|20)\d\d-\d{1,6}$|(?:19|20)\d\d\.(?:0?[1-9]|1[0-2])\.\d{1,4}$"
                        r"|\d{1,3}(?:\.\d{1,3}){3}$|\d{1,3}(?:[ .]\d{3})+$")

# --- national identity and tax numbers --------------------------------------------------------

# A number is not the middle of a longer token (a version, a path, a bigger number, a word).
_ID_START = r"(?<![\w./+-])(?<!\d[ .-])"
_ID_END = r"(?![\w/-]|[ .-]\d)"
# Words that say the number next to them is an identity or tax number. The acronyms are matched
# in capitals only: "sin", "pan", "tin" and "nas" are ordinary words.
_ID_LABEL = (
    r"(?:\b(?:SSN|SIN|NAS|BSN|NIR|NIF|NIE|DNI|TIN|PAN|UID|AHV|AVS|CPR|PESEL|NINO|IdNr|StIdNr)\b"
    r"|(?i:\b(?:social[\s-]+(?:security|insurance)(?:[\s-]+(?:number|no\.?|#))?"
    r"|national[\s-]+insurance(?:[\s-]+(?:number|no\.?))?|NI[\s-]+(?:number|no\.?)"
    r"|national[\s-]+id(?:entity|entification)?(?:[\s-]+(?:number|no\.?|card))?"
    r"|id(?:entity)?[\s-]+(?:number|no\.?|card[\s-]+number)"
    r"|tax(?:payer)?[\s-]*(?:id(?:entification)?|identifier|number|no\.?|#)(?:[\s-]+(?:number|no\.?))?"
    r"|steuer[\s-]*(?:id(?:nr)?|identifikationsnummer|nummer)|(?:steuerliche[\s-]+)?identifikationsnummer"
    r"|sozialversicherungsnummer|burgerservicenummer|sofinummer|num[ée]ro[\s-]+de[\s-]+s[ée]curit[ée][\s-]+sociale"
    r"|s[ée]curit[ée][\s-]+sociale|insee|codice[\s-]+fiscale|aadhaa?r|personnummer|personnummeret"
    r"|henkil[öo]tunnus|rijksregisternummer|num[ée]ro[\s-]+national|cpr[\s-]*nummer"
    r"|n[úu]mero[\s-]+de[\s-]+identidad|documento[\s-]+nacional(?:[\s-]+de[\s-]+identidad)?)\b))"
)


def _digits_only(s: str) -> str:
    return re.sub(r"\D", "", s)


def _nino(s: str) -> bool:
    """HMRC's rules for a National Insurance number (python-stdnum has no module for it): D, F, I,
    U, V never in the prefix, O never second, some prefixes never issued, suffix A-D. Q is allowed:
    HMRC's own example, QQ 12 34 56 C, is what people paste into forms and chats."""
    s = re.sub(r"\s", "", s).upper()
    return (len(s) == 9 and s[0] not in "DFIUV" and s[1] not in "DFIOUV"
            and s[:2] not in {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"} and s[8] in "ABCD")


def _id_formats() -> tuple[tuple[str, Callable[[str], bool], bool], ...]:
    """(pattern, validator, needs a label) for each national number the detector knows. Letters
    are capitals only: a lower-case "x2482300w" is more likely a code than a Spanish NIE."""
    from stdnum.be import nn as be_nn
    from stdnum.ca import sin as ca_sin
    from stdnum.ch import ssn as ch_ahv
    from stdnum.de import idnr as de_idnr
    from stdnum.dk import cpr as dk_cpr
    from stdnum.es import dni as es_dni
    from stdnum.es import nie as es_nie
    from stdnum.fi import hetu as fi_hetu
    from stdnum.fr import nir as fr_nir
    from stdnum.in_ import aadhaar as in_aadhaar
    from stdnum.in_ import pan as in_pan
    from stdnum.it import codicefiscale as it_cf
    from stdnum.nl import bsn as nl_bsn
    from stdnum.pl import pesel as pl_pesel
    from stdnum.se import personnummer as se_pnr
    from stdnum.us import ssn as us_ssn

    # A plain run of digits is valid if it is any of the numbers of its length.
    by_length: dict[int, tuple[Callable[[str], bool], ...]] = {
        9: (us_ssn.is_valid, nl_bsn.is_valid, ca_sin.is_valid),
        10: (se_pnr.is_valid, dk_cpr.is_valid),
        11: (de_idnr.is_valid, pl_pesel.is_valid, be_nn.is_valid),
        12: (in_aadhaar.is_valid, se_pnr.is_valid),
        13: (ch_ahv.is_valid,),
        15: (fr_nir.is_valid,),
    }

    def plain(s: str) -> bool:
        d = _digits_only(s)
        return any(check(d) for check in by_length.get(len(d), ()))

    return (
        (r"\d{3}-\d{2}-\d{4}", us_ssn.is_valid, False),                                   # US SSN
        (r"[A-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D]", _nino, False),                           # UK NINO
        (r"[1-478] \d{2} \d{2} (?:\d{2}|2[AB]) \d{3} \d{3} \d{2}", fr_nir.is_valid, False),   # FR NIR, as printed
        (r"\d{8}-?[A-Z]", es_dni.is_valid, False),                                        # ES DNI
        (r"[XYZ]-?\d{7}-?[A-Z]", es_nie.is_valid, False),                                  # ES NIE
        (r"[A-Z]{6}[0-9LMNP-V]{2}[A-EHLMPR-T][0-9LMNP-V]{2}[A-Z][0-9LMNP-V]{3}[A-Z]",
         it_cf.is_valid, False),                                                         # IT codice fiscale
        (r"[A-Z]{3}[ABCFGHJLPT][A-Z]\d{4}[A-Z]", in_pan.is_valid, False),                  # IN PAN
        (r"[2-9]\d{3}([ -])\d{4}\1\d{4}", in_aadhaar.is_valid, False),                      # IN Aadhaar
        (r"756\.\d{4}\.\d{4}\.\d{2}", ch_ahv.is_valid, False),                           # CH AHV/AVS
        (r"(?:19|20)?\d{6}[-+]\d{4}", se_pnr.is_valid, False),                             # SE personnummer
        (r"\d{6}[-+A-FU-Y]\d{3}[0-9A-Y]", fi_hetu.is_valid, False),                         # FI HETU
        (r"\d{2}\.\d{2}\.\d{2}-\d{3}\.\d{2}", be_nn.is_valid, False),                     # BE national number
        # Any of them (and the Steuer-ID, BSN, SIN, PESEL, CPR) as plain digits: nine 9-digit
        # numbers in ten are valid SSNs by stdnum's rules, one 11-digit number in fifty passes a
        # Steuer-ID, PESEL or Belgian check, so only next to a label.
        (r"\d(?:[ .-]?\d){8,14}", plain, True),
    )


def _id_judge(check: Callable[[str], bool], labelled: bool) -> Judge:
    # A label, then at most a few non-digit characters ("SSN is ", "Steuer-ID: ") before the
    # number; or the number, then the label in brackets or after a comma ("123456782 (BSN)").
    before = re.compile(rf"{_ID_LABEL}[^\d\n\[\]]{{0,20}}$") if labelled else None
    after = re.compile(rf"[^\S\n]*[(,–-]?[^\S\n]*{_ID_LABEL}") if labelled else None

    def judge(m: re.Match[str]) -> tuple[int, int] | None:
        if not check(m.group(0)):
            return None
        if before and after and not (before.search(m.string, max(0, m.start() - 80), m.start())
                                     or after.match(m.string, m.end(), m.end() + 40)):
            return None
        return m.span()
    return judge


# --- dates of birth --------------------------------------------------------------------------

# The words that make the date after them a date of birth, in the languages interviews are held
# in. Case-insensitive; "nato il" (Italian) but never "nato" alone, which is NATO.
_BIRTH = (
    r"(?i:\b(?:born|birth[\s-]*date|birthdate|date[\s-]+of[\s-]+birth|birthday|d\.o\.b\.?|dob|"
    r"geboren|geburtsdatum|geburtstag|geb\.|née|né\(e\)|né|date[\s-]+de[\s-]+naissance|"
    r"fecha[\s-]+de[\s-]+nacimiento|nacid[oa]|data[\s-]+di[\s-]+nascita|nat[oa][\s-]+il|"
    r"geboortedatum|data[\s-]+de[\s-]+nascimento|nascid[oa]))(?![\w(])"
)
# Between the birth word and the date: punctuation, small words and weekdays ("born on the",
# "born on Tuesday,", "date of birth is", "geboren am", "né le"), or a place ("born in Leeds on").
# Anything else ("the platform was born out of a hackathon in March 2024") breaks the link.
_WEEKDAY = (r"(?:mon|tues|wednes|thurs|fri|satur|sun)day|montag|dienstag|mittwoch|donnerstag|freitag|samstag"
            r"|sonntag|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|lunes|martes|miércoles|jueves"
            r"|viernes|sábado|domingo|lunedì|martedì|mercoledì|giovedì|venerdì|sabato|maandag|dinsdag"
            r"|woensdag|donderdag|vrijdag|zaterdag|zondag")
_BIRTH_GAP = (
    rf"(?:[^\S\n]*(?:[:=(,–-]|(?i:on|the|is|was|am|le|el|il|op|em|at|in|of|my|her|his|{_WEEKDAY})(?![\w])"
    r"|in[^\S\n]+[A-ZÄÖÜÉ][\w'-]+(?:[^\S\n]+[A-Z][\w'-]+)?,?)){0,5}[^\S\n]*"
)
_MONTH_NAMES = sorted({
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
    "sept", "oct", "nov", "dec",
    "januar", "jänner", "februar", "märz", "maerz", "mai", "juni", "juli", "oktober", "dezember",
    "janvier", "février", "fevrier", "mars", "avril", "juin", "juillet", "août", "aout", "septembre",
    "octobre", "novembre", "décembre", "decembre",
    "enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre",
    "setiembre", "octubre", "noviembre", "diciembre",
    "gennaio", "febbraio", "aprile", "maggio", "giugno", "luglio", "settembre", "ottobre",
    "dicembre",
    "januari", "februari", "maart", "mei", "augustus",
}, key=lambda w: (-len(w), w))
_MONTH = rf"(?i:{'|'.join(_MONTH_NAMES)})\.?"
_DAY = r"(?:0?[1-9]|[12]\d|3[01])(?i:st|nd|rd|th|er|º)?\.?"
_YEAR = r"(?:1[89]|20)\d\d"
_OF = r"(?:[^\S\n]+(?i:of|de|del))?"
_DATE = (
    r"(?P<date>\d{1,2}([./-])\d{1,2}\2(?:\d{4}|\d{2})|\d{4}([./-])\d{1,2}\3\d{1,2}"   # 12/03/1985, 1985-03-12
    rf"|{_DAY}{_OF}[^\S\n]+{_MONTH}{_OF},?[^\S\n]+{_YEAR}"                            # 3 March 1985, 12 de marzo de 1985
    rf"|{_MONTH}[^\S\n]+{_DAY},?[^\S\n]+{_YEAR}"                                      # March 3, 1985
    rf"|{_MONTH},?[^\S\n]+{_YEAR}"                                                     # March 1985
    rf"|{_DAY}{_OF}[^\S\n]+{_MONTH}|{_MONTH}[^\S\n]+{_DAY})"                          # 3 March, March 3
    r"(?![\w]|[./-]\d)"
)
_DOB = _BIRTH + _BIRTH_GAP + _DATE


def _dob(m: re.Match[str]) -> tuple[int, int] | None:
    date = m.group("date")
    parts = re.fullmatch(r"(\d{1,4})[./-](\d{1,2})[./-](\d{1,4})", date)
    if parts:  # a numeric date must be a possible calendar date, whichever order it is written in
        a, b, c = (int(x) for x in parts.groups())
        if len(parts.group(1)) == 4:
            ok = 1 <= b <= 12 and 1 <= c <= 31
        else:
            ok = (1 <= a <= 31 and 1 <= b <= 12) or (1 <= a <= 12 and 1 <= b <= 31)
            ok = ok and (len(parts.group(3)) == 2 or 1800 <= c <= 2099)
        if not ok:
            return None
    return m.span("date")

# A digit group right before a candidate ("4111-" in "4111-1111-1111-1112"): the candidate is the
# tail of a longer number that was judged not sensitive, not a number of its own.
_NUMBER_BEFORE = re.compile(r"(?:^|[^\w.])\d+[ .-]$")
_NUMERIC: frozenset[str] = frozenset({"CARD", "PHONE"})


def _whole(m: re.Match[str]) -> tuple[int, int]:
    return m.span()


def _bearer(m: re.Match[str]) -> tuple[int, int]:
    return m.span(1)  # keep the word "Bearer"


def _b64(m: re.Match[str]) -> tuple[int, int] | None:
    s = m.group(0)
    # Random base64 mixes upper case, lower case and digits; paths and slugs do not.
    secret = any(c.isdigit() for c in s) and any(c.isupper() for c in s) and any(c.islower() for c in s)
    return m.span() if secret else None


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def _card(m: re.Match[str]) -> tuple[int, int] | None:
    digits = re.sub(r"\D", "", m.group(0))
    return m.span() if 13 <= len(digits) <= 19 and _luhn(digits) else None


def _iban_ok(m: re.Match[str]) -> tuple[int, int] | None:
    return m.span() if _iban.is_valid(m.group(0)) else None


def _ipv6(m: re.Match[str]) -> tuple[int, int] | None:
    s = m.group(0)
    if not any(c.isalnum() for c in s):
        return None
    try:
        ipaddress.IPv6Address(s)
    except ValueError:
        return None
    return m.span()


def _phone(m: re.Match[str]) -> tuple[int, int] | None:
    s = m.group(0).rstrip(" .-")
    digits = re.sub(r"\D", "", s)
    if _NOT_PHONE.match(s) or not (7 if s.startswith("+") else 8) <= len(digits) <= 15:
        return None
    if s.isdigit() and not (s.startswith("0") and len(s) >= 9):
        return None  # a bare number is an amount or a count, unless it looks like 06 12 …
    return m.start(), m.start() + len(s)


@functools.cache
def _detectors() -> tuple[tuple[re.Pattern[str], Kind, Judge], ...]:
    """(pattern, kind, judge) in order of precedence. Built on first use: the national-number
    validators and the date patterns take some 25 ms to load, and a run on the offline engine
    without tracing never needs them."""
    return (
        (_EMAIL, "EMAIL", _whole),
        (_BEARER, "API_KEY", _bearer),
        *((p, "API_KEY", _whole) for p in _KEYS),
        (_HEX, "API_KEY", _whole),
        (_B64, "API_KEY", _b64),
        (_IBAN, "IBAN", _iban_ok),
        *((re.compile(_ID_START + pattern + _ID_END), "NATIONAL_ID", _id_judge(check, labelled))
          for pattern, check, labelled in _id_formats()),
        (re.compile(_DOB), "DOB", _dob),
        (_CARD, "CARD", _card),
        (_IPV4, "IP", _whole),
        (_IPV6, "IP", _ipv6),
        (_PHONE, "PHONE", _phone),
    )


def find(text: str) -> list[Span]:
    """The sensitive values in `text`: non-overlapping spans, in text order."""
    if not text:
        return []
    taken: list[Span] = [Span(m.start(), m.end(), "EMAIL") for m in PLACEHOLDER.finditer(text)]
    blocked = len(taken)  # placeholders are reserved, not reported

    def free(a: int, b: int) -> bool:
        return all(b <= s.start or a >= s.end for s in taken)

    for pattern, kind, judge in _detectors():
        pos = 0
        while (m := pattern.search(text, pos)) is not None:
            span = judge(m)
            if span is not None and kind in _NUMERIC and _NUMBER_BEFORE.search(text, max(0, m.start() - 24), m.start()):
                span = None
            if span is not None and span[1] > span[0] and free(*span):
                taken.append(Span(span[0], span[1], kind))
                pos = max(span[1], m.start() + 1)
            else:
                # Retry from the next character: in "Bearer abc1 4111 1111 1111 1111" the first
                # candidate card starts at the "1" of the token, the real one four characters on.
                pos = m.start() + 1
    return sorted(taken[blocked:], key=lambda s: s.start)


def _replace(text: str, placeholder: Callable[[Span, str], str]) -> str:
    out, pos = [], 0
    for s in find(text):
        out += [text[pos:s.start], placeholder(s, text[s.start:s.end])]
        pos = s.end
    return "".join(out) + text[pos:]


# --- policy 1: irreversible masks (traces, exports) --------------------------------------------

def mask_text(text: str) -> str:
    """`text` with every sensitive value replaced by its kind, e.g. "[EMAIL]"."""
    return _replace(text, lambda s, _: f"[{s.kind}]") if text else text


def mask(data: Any) -> Any:
    """`data` with `mask_text` applied to every string in it (dicts, lists and tuples are walked;
    dict keys and other values are kept as they are)."""
    if isinstance(data, str):
        return mask_text(data)
    if isinstance(data, dict):
        return {k: mask(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return type(data)(mask(v) for v in data)
    return data


# --- policy 2: reversible placeholders (the provider boundary) ----------------------------------

class Redactor:
    """Redacts texts consistently (one instance per model call) and restores the reply: the same
    value always gets the same placeholder within a call, so the model can still refer to it."""

    def __init__(self) -> None:
        self._by_value: dict[str, str] = {}
        self._by_placeholder: dict[str, str] = {}
        self._counts: dict[str, int] = {}

    @property
    def count(self) -> int:
        """How many distinct values were redacted."""
        return len(self._by_value)

    def _placeholder(self, span: Span, value: str) -> str:
        if value not in self._by_value:
            self._counts[span.kind] = self._counts.get(span.kind, 0) + 1
            ph = f"[{span.kind}_{self._counts[span.kind]}]"
            self._by_value[value] = ph
            self._by_placeholder[ph] = value
        return self._by_value[value]

    def redact(self, text: str) -> str:
        """`text` with every sensitive value replaced by its numbered placeholder."""
        return _replace(text, self._placeholder) if text else text

    def restore(self, text: str | None) -> str | None:
        """The model's text with placeholders mapped back to the values they stand for."""
        if not text or not self._by_placeholder:
            return text
        return PLACEHOLDER.sub(lambda m: self._by_placeholder.get(m.group(0), m.group(0)), text)

    def redact_messages(self, messages: Sequence[dict]) -> list[dict]:
        """Chat messages with their text content redacted (other fields untouched)."""
        return [{**m, "content": self.redact(m["content"])} if isinstance(m.get("content"), str) else dict(m)
                for m in messages]
