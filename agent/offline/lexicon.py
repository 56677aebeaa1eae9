"""The interpreter's lexicon (knowledge/lexicon.yaml) as validated, pre-compiled data.

Pure apart from reading the file once; see the header of lexicon.yaml for the pattern syntax.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import Field, PrivateAttr, field_validator, model_validator

from agent.common.datafile import DataFileError, load_yaml_model
from agent.common.paths import KNOWLEDGE_DIR
from agent.common.strict import StrictModel
from agent.core.rubric import QUESTION_IDS, Rubric

LEXICON_PATH = KNOWLEDGE_DIR / "lexicon.yaml"


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """Compile one lexicon pattern: "re:<regex>" verbatim, otherwise a whole-word phrase."""
    rx, word_start = compile_cue(pattern)
    return re.compile(r"(?<!\w)" + rx.pattern) if word_start else rx


def compile_cue(pattern: str) -> tuple[re.Pattern[str], bool]:
    """Like compile_pattern, but a leading word boundary is returned as a flag for the caller to
    check: a pattern that starts with a literal is scanned many times faster by `re`."""
    if pattern.startswith("re:"):
        body = pattern[3:]
        if body.startswith("\\b") and not body.startswith("\\b("):
            return re.compile(body[2:]), True
        return re.compile(body), False
    words = [w for w in re.split(r"[\s\-]+", pattern.strip().lower()) if w]
    if not words:
        raise ValueError(f"empty pattern {pattern!r}")
    # Spaces and hyphens are interchangeable (or absent) so "per-team", "per team" and
    # "multiagent" all match; a trailing plural is allowed because people pluralize freely.
    body = r"[\s\-]*".join(re.escape(w) for w in words)
    return re.compile(body + r"(?:s|es)?(?!\w)"), bool(re.match(r"\w", words[0]))


def _check_patterns(patterns: list[str]) -> list[str]:
    for p in patterns:
        try:
            compile_pattern(p)
        except (re.error, ValueError) as exc:
            raise ValueError(f"bad pattern {p!r}: {exc}") from exc
    return patterns


class CueGroup(StrictModel):
    """Patterns that, in a sentence about the question, indicate one option score."""

    score: int = Field(ge=0, le=5)
    w: float = Field(gt=0, le=5, description="Weight: 1 weak/ambiguous .. 5 very specific.")
    p: list[str] = Field(min_length=1)
    generic: bool = False
    neg: int | None = Field(None, ge=0, le=5)

    _v = field_validator("p")(_check_patterns)


class QuestionLexicon(StrictModel):
    topic: list[str] = Field(default_factory=list)
    negated: int = Field(0, ge=0, le=5)
    no_score: int | None = Field(0, ge=0, le=5)
    yes_score: int | None = Field(None, ge=0, le=5)
    cues: list[CueGroup]

    _v = field_validator("topic")(_check_patterns)


class Lexicon(StrictModel):
    """The whole lexicon; `compiled` holds the regexes built once at load time."""

    version: int
    questions: dict[str, QuestionLexicon]
    negators: list[str]
    negation_exceptions: list[str] = Field(default_factory=list)
    post_negators: list[str] = Field(default_factory=list)
    lapsed: list[str] = Field(default_factory=list)
    hedges: list[str] = Field(default_factory=list)
    majority: list[str] = Field(default_factory=list)
    staff_hedges: list[str] = Field(default_factory=list)
    rest_none: list[str] = Field(default_factory=list)
    passing: list[str] = Field(default_factory=list)
    corrections: list[str] = Field(default_factory=list)
    stop: list[str] = Field(default_factory=list)
    # Stop only when they are the whole reply ("That's it." after a description means "that's all we do").
    stop_alone: list[str] = Field(default_factory=list)
    injection: list[str] = Field(default_factory=list)
    short_no: list[str] = Field(default_factory=list)
    short_yes: list[str] = Field(default_factory=list)
    question_back: dict[str, list[str]] = Field(default_factory=dict)
    interview_vocab: list[str] = Field(default_factory=list)
    languages: dict[str, list[str]] = Field(default_factory=dict)

    _compiled: CompiledLexicon = PrivateAttr()

    _v = field_validator(
        "negators", "negation_exceptions", "post_negators", "lapsed", "hedges", "majority",
        "staff_hedges", "rest_none", "passing",
        "corrections", "stop", "stop_alone", "injection", "short_no", "short_yes", "interview_vocab",
    )(_check_patterns)

    @model_validator(mode="after")
    def _complete(self) -> Lexicon:
        if tuple(sorted(self.questions, key=lambda q: int(q[1:]))) != QUESTION_IDS:
            raise ValueError(f"questions must be exactly q1..q12, got {sorted(self.questions)}")
        for qid, q in self.questions.items():
            missing = set(range(6)) - {g.score for g in q.cues}
            if missing:
                raise ValueError(f"{qid}: no cues for scores {sorted(missing)}")
        bad = set(self.question_back) - {"options", "why", "clarify", "scores", "other"}
        if bad:
            raise ValueError(f"unknown question_back kinds {sorted(bad)}")
        if "en" not in self.languages:
            raise ValueError("languages must include en")
        for pats in self.question_back.values():
            _check_patterns(pats)
        return self

    def model_post_init(self, __context: object) -> None:
        self._compiled = CompiledLexicon.build(self)

    @property
    def compiled(self) -> CompiledLexicon:
        return self._compiled


def _needed(items: Any) -> frozenset[str] | None:
    """Literal strings of which every match of the parsed pattern `items` contains at least one
    (None when none can be told): a cheap `in` check that skips most regex scans."""
    from re import _constants as C  # type: ignore[attr-defined]

    run: list[str] = []
    for op, av in [*list(items), (None, None)]:
        if op is C.LITERAL:
            run.append(chr(av))
            continue
        if len(run) >= 3:
            return frozenset(["".join(run)])
        run = []
        if op is C.SUBPATTERN:
            got = _needed(av[3])
        elif op is C.BRANCH:
            alts = [_needed(alt) for alt in av[1]]
            got = None if any(a is None for a in alts) else frozenset(t for a in alts if a for t in a)
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT) and av[0] >= 1:
            got = _needed(av[2])
        else:
            got = None
        if got:
            return got
    return None


def needed_literals(rx: re.Pattern[str]) -> frozenset[str] | None:
    try:
        from re import _parser  # type: ignore[attr-defined]
        return _needed(_parser.parse(rx.pattern, rx.flags))
    except (ImportError, AttributeError, TypeError, ValueError, re.error):  # pragma: no cover
        # CPython's parser internals differ: no prefilter, same results.
        return None


@dataclass(frozen=True, slots=True)
class Cue:
    """One compiled pattern; score None marks a topic cue."""

    qid: str
    score: int | None
    weight: float
    generic: bool
    neg: int
    rx: re.Pattern[str]
    word_start: bool = False  # the match must not follow a word character
    from_rubric: bool = False
    need: frozenset[str] | None = None  # one of these must occur in the text (prefilter)

    def __post_init__(self) -> None:
        object.__setattr__(self, "need", needed_literals(self.rx))


@dataclass(frozen=True)
class CompiledLexicon:
    cues: tuple[Cue, ...]
    negators: tuple[re.Pattern[str], ...]
    negation_exceptions: tuple[re.Pattern[str], ...]
    post_negators: tuple[re.Pattern[str], ...]
    lapsed: tuple[re.Pattern[str], ...]
    hedges: tuple[re.Pattern[str], ...]
    majority: tuple[re.Pattern[str], ...]
    staff_hedges: tuple[re.Pattern[str], ...]
    rest_none: tuple[re.Pattern[str], ...]
    passing: tuple[re.Pattern[str], ...]
    corrections: tuple[re.Pattern[str], ...]
    stop: tuple[re.Pattern[str], ...]
    stop_alone: tuple[re.Pattern[str], ...]
    injection: tuple[re.Pattern[str], ...]
    short_no: tuple[re.Pattern[str], ...]
    short_yes: tuple[re.Pattern[str], ...]
    question_back: tuple[tuple[str, tuple[re.Pattern[str], ...]], ...]
    interview_vocab: tuple[re.Pattern[str], ...]
    languages: dict[str, frozenset[str]]

    @staticmethod
    def build(lex: Lexicon) -> CompiledLexicon:
        def many(ps: list[str]) -> tuple[re.Pattern[str], ...]:
            # Alternations instead of lists, split so that `re` can skip quickly through text:
            # branches that start with a literal letter get a first-character prefilter only if
            # every branch of their alternation does, so they are kept apart from the others.
            fast, slow = [], []
            for p in ps:
                src = compile_pattern(p).pattern
                m = re.match(r"(?:\\b|\(\?<!\\w\))([a-z])", src)
                if m:
                    ch = m.group(1)
                    fast.append(f"(?:{ch}(?<!\\w{ch}){src[m.end():]})")
                else:
                    slow.append(f"(?:{src})")
            return tuple(re.compile("|".join(group)) for group in (fast, slow) if group)

        cues: list[Cue] = []
        for qid, q in lex.questions.items():
            for p in q.topic:
                cues.append(Cue(qid, None, 2.0, False, q.negated, *compile_cue(p)))
            for g in q.cues:
                neg = q.negated if g.neg is None else g.neg
                for p in g.p:
                    cues.append(Cue(qid, g.score, g.w, g.generic, neg, *compile_cue(p)))
        # A bare answer ("no", "not yet") must be followed by a pause or the end, so that
        # "no gateway" is read as a denial of the gateway, not as a bare "no".
        tail = r"\s*(?:[,.!;:)\-]|$)"
        return CompiledLexicon(
            cues=tuple(cues),
            negators=many(lex.negators),
            negation_exceptions=many(lex.negation_exceptions),
            post_negators=many(lex.post_negators),
            lapsed=many(lex.lapsed),
            hedges=many(lex.hedges),
            majority=many(lex.majority),
            staff_hedges=many(lex.staff_hedges),
            rest_none=many(lex.rest_none),
            passing=tuple(compile_pattern(p) for p in lex.passing),
            corrections=many(lex.corrections),
            stop=many(lex.stop),
            stop_alone=many(lex.stop_alone),
            injection=many(lex.injection),
            short_no=tuple(re.compile(f"(?:{p.pattern}){tail}") for p in many(lex.short_no)),
            short_yes=tuple(re.compile(f"(?:{p.pattern}){tail}") for p in many(lex.short_yes)),
            question_back=tuple(
                (kind, many(lex.question_back.get(kind, [])))
                for kind in ("scores", "options", "why", "clarify", "other")
            ),
            interview_vocab=many(lex.interview_vocab),
            languages={k: frozenset(w.lower() for w in v) for k, v in lex.languages.items()},
        )


# Option labels and table descriptors too vague to say anything on their own.
_VAGUE = {"no", "not", "n/a", "yes", "none", "basic", "manual", "manually", "automatic", "automated"}


def rubric_cues(rubric: Rubric, lex: Lexicon) -> tuple[Cue, ...]:
    """Cues from the rubric itself: option labels and assessment-table descriptors.

    Descriptors of questions with a recorded table/questionnaire discrepancy are skipped, because
    there the table's wording points at the wrong score.
    """
    disputed = {d.question for d in rubric.discrepancies}
    rows = {row.question: row.descriptors for d in rubric.dimensions for row in d.table}
    out: list[Cue] = []
    for q in rubric.questions:
        neg = lex.questions[q.id].negated
        for opt in q.options:
            label = re.sub(r"[^\w\s\-/+]", " ", opt.label.lower()).replace("/", " ").replace("+", " ")
            words = label.split()
            if not words or " ".join(words) in _VAGUE:
                continue
            specific = len(words) >= 3
            out.append(Cue(q.id, opt.score, 3.0 if specific else 2.0, not specific, neg,
                           *compile_cue(" ".join(words)), from_rubric=True))
        if q.id in disputed:
            continue
        for row in q.table_rows:
            for score, desc in enumerate(rows.get(row, [])):
                d = re.sub(r"[^\w\s\-]", " ", desc.lower()).strip()
                if not d or d in _VAGUE:
                    continue
                out.append(Cue(q.id, score, 1.0, True, neg, *compile_cue(d), from_rubric=True))
    return tuple(out)


class LexiconError(DataFileError):
    """The lexicon file is missing or invalid."""


@lru_cache(maxsize=4)
def load_lexicon(path: Path | str = LEXICON_PATH) -> Lexicon:
    """Load, validate and compile the lexicon file (cached); raises LexiconError with the reason."""
    return load_yaml_model(path, Lexicon, "lexicon", LexiconError)
