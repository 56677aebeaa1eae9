"""The offline engine's interpreter: reads an interview reply into rubric answers, without a model.

Deterministic and pure apart from loading knowledge/lexicon.yaml. The reply is split into
sentences and clauses; lexicon cues (knowledge/lexicon.yaml plus the rubric's own option labels
and table descriptors) say which questions a sentence speaks to and which option fits. Negation,
minority/pilot hedges, lapsed practice, corrections, explicit self-ratings, injection attempts,
questions asked back, stop requests, off-topic and non-English replies are handled on top.

Resolution rules (documented because they are judgement calls):
- within a sentence, the heaviest cue wins (ties: the higher score, which is the more specific);
  so "no gateway, just a wrapper" lands on the wrapper and "LiteLLM with smart routing" on 3;
- across sentences, the last statement about a question wins (that is how people correct
  themselves), except that a weak later reading (confidence < 0.6) does not replace an earlier
  confident one (>= 0.75);
- hedged statements (pilots, minorities, plans) only count when nothing unhedged was said about
  the question, and then as one option lower with confidence 0.5 (which asks again) -- and only
  for the question just asked: a pilot mentioned in passing answers nothing else;
- a minority of *people* ("a few people read a sample") does not hedge the manual options
  (score <= 1), which by nature are done by a few people (lexicon `staff_hedges`);
- "the rest have nothing", "nothing in prod" vote the bare-no option of the hedged question (or
  the current one) (lexicon `rest_none`);
- within a sentence a clause about the majority ("most teams ...", "mostly ...") outweighs a
  same-sentence statement about others (+0.5 weight);
- a lapse word earlier in the clause ("we used to have alerts") denies the cues after it, unless
  the clause turns to the present ("stopped X and now use Y");
- a cue inside a longer non-generic cue of another question belongs to that one ("gateway" in
  "authenticate to the gateway"); a tool named as the place where something else happens ("caps
  in LiteLLM", "enforced by the gateway", "limits per virtual key") does not answer its own
  question unless that question was asked (lexicon `passing`);
- words matched by cues of two questions ("RAG", "forecast") belong to the question whose topic
  the clause names ("the docs are retrieved via RAG" -> knowledge, not memory), else to the
  question asked; a question touched only by generic cues inside a clause that states the
  question asked is not answered;
- a denial of an option ("linear, no branching") is a ceiling: a positive statement below it
  elsewhere in the reply ("a RAG pipeline") is preferred to the bare-no reading;
- "Budgets: no." / "Memory no, ..." (a topic named, then a bare no) answers that question's no;
- percentages of traffic/teams/apps below 50% hedge like a minority, 50% and above count as the
  majority; work in progress ("migrating", "rolling out", "implementing") hedges like a plan.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agent.offline.lexicon import LEXICON_PATH, Cue, Lexicon, load_lexicon, rubric_cues
from agent.offline.text import (
    NegationIndex, SpanIndex, any_match, clause_spans, guess_language, matchable, sentence_spans,
)
from agent.rubric import Rubric
from agent.schemas import InterpretContext, QuestionBack, RubricUpdate, ScoredAnswer

__all__ = ["interpret", "load_lexicon", "LEXICON_PATH"]

_NUM_WORDS = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5}
_QREF = re.compile(r"\b(?:q|question\s*#?\s*)(1[0-2]|[1-9])\b")
_INTERROGATIVE = re.compile(
    r"^\W*(what|why|which|how (do|does|is|are|would|should|can|come)|can you|could you|would you|"
    r"do you|does (that|this|it)|did you|is (that|this|it|there)|are (there|you)|what's|whats)\b"
)
_HAS_NUMBER = re.compile(r"[0-5]|zero|one|two|three|four|five")
_EXPLICIT_W = 10.0
_NOW = re.compile(r"\b(now|today|these days|nowadays|since then|instead|currently)\b")
_EVIDENCE_MAX = 240
_LEAD = re.compile(r"(?:(?:and|but|as for|re|regarding|for|on|our|the)\s+)*")
_LABEL_NO = re.compile(r"\s*[:,\-]?\s*(?:no|nope|none|nothing|not yet|not really|n/a|nada)\b(?!\s+\w+\s+(?:is|are|was))")
_rubric_cue_cache: dict[int, tuple[Rubric, tuple[Cue, ...]]] = {}


@dataclass(slots=True)
class _Vote:
    qid: str
    score: int
    weight: float
    conf: float
    sent: int
    start: int
    end: int
    hedged: bool = False
    ceiling: int | None = None  # a denial ("no branching"): the answer is below this score


def _confidence(weight: float) -> float:
    if weight >= _EXPLICIT_W:
        return 0.9
    if weight >= 5:
        return 0.9
    if weight >= 4:
        return 0.85
    if weight >= 3:
        return 0.8
    if weight >= 2:
        return 0.7
    return 0.55


def _all_cues(rubric: Rubric, lexicon: Lexicon) -> tuple[Cue, ...]:
    hit = _rubric_cue_cache.get(id(rubric))
    if hit is None or hit[0] is not rubric:
        if len(_rubric_cue_cache) > 8:
            _rubric_cue_cache.clear()
        # Keyed by identity (rubrics are unhashable); the stored reference keeps the id valid.
        hit = (rubric, lexicon.compiled.cues + rubric_cues(rubric, lexicon))
        _rubric_cue_cache[id(rubric)] = hit
    return hit[1]


_prefilter_cache: dict[int, tuple[tuple[Cue, ...], list[tuple[str, list[int]]], list[int]]] = {}


def _candidates(cues: tuple[Cue, ...], low: str) -> list[Cue]:
    """The cues that can match `low`, in lexicon order: a cue whose needed literals (see
    lexicon.needed_literals) are all absent is skipped without running its regex."""
    hit = _prefilter_cache.get(id(cues))
    if hit is None or hit[0] is not cues:
        by_lit: dict[str, list[int]] = {}
        always: list[int] = []
        for i, c in enumerate(cues):
            if c.need is None:
                always.append(i)
            else:
                for lit in c.need:
                    by_lit.setdefault(lit, []).append(i)
        if len(_prefilter_cache) > 8:
            _prefilter_cache.clear()
        hit = (cues, list(by_lit.items()), always)
        _prefilter_cache[id(cues)] = hit
    keep = set(hit[2])
    for lit, idxs in hit[1]:
        if lit in low:
            keep.update(idxs)
    return [cues[i] for i in sorted(keep)]


def _evidence(reply: str, low: str, sent: tuple[int, int], clause: tuple[int, int], a: int, b: int) -> str:
    """A verbatim piece of the reply around low[a:b]: the sentence if short, else the clause."""
    s, e = sent if sent[1] - sent[0] <= 160 else clause
    if e - s < 12:
        s, e = sent
    if e - s > _EVIDENCE_MAX:
        s = max(s, a - _EVIDENCE_MAX // 2)
        e = min(e, s + _EVIDENCE_MAX)
        if b > e:
            s, e = max(sent[0], b - _EVIDENCE_MAX), b
    text = reply[s:e].strip()
    return text.rstrip(".!?;, ") or text or reply.strip()[:_EVIDENCE_MAX]


def interpret(ctx: InterpretContext, rubric: Rubric, lexicon: Lexicon) -> RubricUpdate:
    """Read one interview reply into a RubricUpdate (answers with verbatim evidence, flags).

    Deterministic; the only inputs are the context, the rubric and the lexicon.
    """
    reply = ctx.reply or ""
    if not reply.strip():
        return RubricUpdate()
    lex = lexicon.compiled
    low = matchable(reply)
    lang = guess_language(low, lex)
    if lang != "en":
        return RubricUpdate(understood=False, language=lang)

    current = ctx.current_question.id if ctx.current_question else None
    asked = {q.id for q in ctx.questions} or {q.id for q in rubric.questions}
    sents = sentence_spans(low)
    sidx = SpanIndex(sents)
    clauses = [clause_spans(low, a, b) for a, b in sents]

    # --- per-sentence flags ------------------------------------------------------------------
    injected = False
    skip: set[int] = set()          # sentences yielding no answers (injection, questions)
    stmt_end: dict[int, int] = {}   # question sentences: statement part ends here
    wants_stop = False
    is_correction_marker = False
    question_back: QuestionBack | None = None
    for i, (a, b) in enumerate(sents):
        s = low[a:b]
        if any_match(lex.injection, s):
            injected = True
            skip.add(i)
            continue
        if any_match(lex.stop, s):
            wants_stop = True
            skip.add(i)
            continue
        if any_match(lex.corrections, s):
            is_correction_marker = True
        if s.rstrip().endswith("?") or _INTERROGATIVE.match(s):
            qb = _question_back(s, reply[a:b].strip(), low, lex, ctx)
            if qb and question_back is None:
                question_back = qb
            # "We use LiteLLM, does that count?": the leading statement still answers.
            cl = clauses[i]
            cut = next((ca for ca, cb in cl if _INTERROGATIVE.match(low[ca:cb])), a)
            if cut <= a:
                skip.add(i)
            else:
                stmt_end[i] = cut

    # --- cue matches -------------------------------------------------------------------------
    cues = _candidates(_all_cues(rubric, lexicon), low)
    # hits[sentence] -> list of (cue, start, end)
    hits: dict[int, list[tuple[Cue, int, int]]] = {}
    for cue in cues:
        if cue.qid not in asked:
            continue
        for m in cue.rx.finditer(low):
            if cue.word_start and m.start() > 0 and (low[m.start() - 1].isalnum() or low[m.start() - 1] == "_"):
                continue
            si = sidx.find(m.start())
            if si < 0 or si in skip or m.start() >= stmt_end.get(si, 1 << 60):
                continue
            hits.setdefault(si, []).append((cue, m.start(), m.end()))

    negs = NegationIndex(low, lex)
    votes: list[_Vote] = []
    any_topic = False
    for si, (a, b) in enumerate(sents):
        if si in skip:
            continue
        sent_votes, topical = _read_sentence(si, a, b, clauses[si], hits.get(si, []), low, lex, lexicon,
                                             current, asked, negs)
        any_topic = any_topic or topical
        votes.extend(sent_votes)

    answers = _resolve(votes, reply, low, sents, clauses, current)
    interview_words = any_match(lex.interview_vocab, low) is not None
    n_words = len(low.split())
    off_topic = (not answers and question_back is None and not wants_stop and not any_topic and not injected
                 and not interview_words and n_words >= 3)
    lapsed_any = any_match(lex.lapsed, low) is not None
    return RubricUpdate(
        answers=answers,
        is_correction=bool(answers) and (is_correction_marker or lapsed_any),
        off_topic=off_topic,
        question_back=question_back,
        wants_stop=wants_stop,
        language="en",
        understood=True,
    )


def _question_back(s: str, original: str, low: str, lex, ctx: InterpretContext) -> QuestionBack | None:
    for kind, rxs in lex.question_back:
        if any_match(rxs, s):
            if kind in ("clarify", "other") and not _relevant(s, lex, ctx):
                return None
            return QuestionBack(kind=kind, text=original)
    if _relevant(s, lex, ctx):
        return QuestionBack(kind="other", text=original)
    return None


def _relevant(s: str, lex, ctx: InterpretContext) -> bool:
    """Is a question about the interview (AI words, or words from the last question asked)?"""
    if any_match(lex.interview_vocab, s) or any(c.score is None and c.rx.search(s) for c in lex.cues):
        return True
    last = next((t.content for t in reversed(ctx.recent) if t.role == "assistant"), "")
    if ctx.current_question:
        last += " " + ctx.current_question.text
    words = {w for w in re.findall(r"[a-z]{5,}", last.lower())}
    return any(w in words for w in re.findall(r"[a-z]{5,}", s))


def _read_sentence(si, a, b, cls, hits, low, lex, lexicon: Lexicon, current, asked, negs: NegationIndex):
    """Votes from one sentence, and whether it touched any question's topic."""
    cidx = SpanIndex(cls)
    s = low[a:b]
    hits = _drop_contained(hits)
    # Per clause: 0 not hedged, 1 hedged, 2 hedged only by a minority of people ("a few people
    # read a sample"), which does not hedge the manual options (score <= 1).
    if any_match(lex.hedges, s):
        hedged_cl = [_hedge_kind(low[ca:cb], lex) for ca, cb in cls]
    else:
        hedged_cl = [0] * len(cls)
    majority_cl = [bool(any_match(lex.majority, low[ca:cb])) for ca, cb in cls] if any_match(lex.majority, s) \
        else [False] * len(cls)
    # A trailing hedge without its own content ("..., but only in a pilot") hedges what precedes.
    has_cue = [False] * len(cls)
    for cue, ms, _ in hits:
        ci = cidx.find(ms)
        if ci >= 0 and cue.score is not None:
            has_cue[ci] = True
    for ci in range(1, len(cls)):
        if hedged_cl[ci] and not has_cue[ci]:
            hedged_cl[ci - 1] = max(hedged_cl[ci - 1], hedged_cl[ci])
    lapses = [a + m.start() for rx in lex.lapsed for m in rx.finditer(s)]
    lapse_at = max(lapses) if lapses else None

    active: set[str] = set()
    raw: list[tuple[Cue, int, int, int, bool]] = []  # cue, start, end, clause, negated
    for cue, ms, me in hits:
        ci = max(cidx.find(ms), 0)
        neg = negs.negated(cls[ci], ms, me) or (lapse_at is not None and (
            ms < lapse_at or _lapsed_after(low, cls[ci], lapses, ms)))
        raw.append((cue, ms, me, ci, neg))
        if cue.score is None or (not cue.generic and not neg):
            active.add(cue.qid)
    topical = bool(active)
    if current:
        active.add(current)

    # Words matched by cues of two questions ("RAG" is memory and knowledge, "forecast" cost and
    # budgets) belong to the question whose topic the clause names ("the docs are retrieved via
    # RAG": knowledge), else to the question asked ("a forecast adjusts the caps", asked about
    # budgets); otherwise both keep them.
    topic_cl = {(c.qid, ci) for c, ms, me, ci, neg in raw if c.score is None}
    lost: set[int] = set()
    scored = [(k, r) for k, r in enumerate(raw) if r[0].score is not None]
    if len({r[0].qid for _, r in scored}) < 2:
        scored_pairs = ()
    else:
        scored_pairs = scored
    for k, (c, ms, me, ci, _) in scored_pairs:
        for k2, (c2, ms2, me2, ci2, _) in scored_pairs:
            if c2.qid == c.qid or not (ms < me2 and ms2 < me):
                continue
            mine, theirs = (c.qid, ci) in topic_cl, (c2.qid, ci2) in topic_cl
            if (theirs and not mine) or (mine == theirs and c2.qid == current):
                lost.add(k)
                break
    # A question touched only by generic cues inside a clause that states the question asked
    # ("each app has its own API key so we can see spend per application") is not answered.
    dropped: set[str] = set()
    cur_cl = {ci for k, (c, ms, me, ci, neg) in scored
              if c.qid == current and not c.generic and k not in lost and not _passing(low, a, ms, lex)}
    if cur_cl:
        for qid in {c.qid for c, *_ in raw} - {current}:
            mine = [(c, ci) for k, (c, ms, me, ci, neg) in scored if c.qid == qid and k not in lost]
            if mine and all(c.generic and ci in cur_cl for c, ci in mine):
                dropped.add(qid)

    # Passing mentions ("caps per team in LiteLLM"): a question that is neither asked nor
    # otherwise stated here is not answered by a tool named as the place where something happens.
    stated = {c.qid for c, ms, me, ci, neg in raw if c.score is not None and not c.generic
              and not _passing(low, a, ms, lex)}
    passing = {k for k, (cue, ms, me, ci, neg) in enumerate(raw)
               if cue.qid != current and cue.qid not in stated and stated and _passing(low, a, ms, lex)}
    votes: list[_Vote] = []
    for k, (cue, ms, me, ci, neg) in enumerate(raw):
        if cue.qid not in active or cue.qid in dropped or k in lost or k in passing:
            continue
        # A denied topic word that only qualifies another question's cue ("we used to have spend
        # alerts") denies that cue, not its own question.
        if neg and cue.score is None and cue.qid != current and any(
                c.qid != cue.qid and c.score is not None and cci == ci for c, _, _, cci, _ in raw):
            continue
        # Generic cues only count where the question is otherwise established.
        if cue.generic and cue.qid != current and not any(
            c.qid == cue.qid and (c.score is None or not c.generic) and k2 not in lost and k2 not in passing
            for k2, (c, *_) in enumerate(raw)
        ):
            continue
        ceiling = None
        if neg:
            if cue.score is not None and cue.neg >= cue.score:
                continue
            score, weight = cue.neg, (cue.weight if cue.score is not None else 2.0) * 0.8
            ceiling = cue.score
        elif cue.score is None:
            continue
        else:
            score, weight = cue.score, cue.weight
        conf = _confidence(weight)
        if cue.generic and cue.qid == current and cue.qid not in {c.qid for c, *_ in raw if not c.generic}:
            conf -= 0.1
        hedged = hedged_cl[ci] == 1 or (hedged_cl[ci] == 2 and score > 1)
        if majority_cl[ci] and not hedged:
            weight += 0.5  # "most teams ..." outweighs a same-sentence statement about a few
        votes.append(_Vote(cue.qid, score, weight, conf, si, ms, me, hedged, ceiling))

    # "Budgets: no." / "Memory no, each session is new": a topic named and answered with a bare no.
    for cue, ms, me, ci, neg in raw:
        if cue.score is None and cue.qid not in dropped and _LEAD.fullmatch(low, a, ms) and cue.qid in asked:
            m = _LABEL_NO.match(low, me, b)
            ql = lexicon.questions[cue.qid]
            if m and ql.no_score is not None:
                votes.append(_Vote(cue.qid, ql.no_score, 3.0, 0.75, si, ms, a + (m.end() - a)))

    # "..., the rest have nothing" / "nothing in prod": the organization's answer is the bare no.
    if lex.rest_none and any_match(lex.rest_none, s):
        targets = {v.qid for v in votes if v.hedged} or ({current} if current in asked else set())
        for qid in targets:
            ql = lexicon.questions[qid]
            no = ql.no_score if ql.no_score is not None else ql.negated
            m = any_match(lex.rest_none, s)
            votes.append(_Vote(qid, no, 2.5, 0.7, si, a + m.start(), a + m.end()))

    # Bare answers to the question just asked ("no", "nope, nothing", "yes, basic logs").
    if current and current in asked:
        ql = lexicon.questions[current]
        if ql.no_score is not None and any_match(lex.short_no, s):
            soft = re.match(r"^\W*(not really|kind of|sort of|not that i know)", s)
            votes.append(_Vote(current, ql.no_score, 2.5, 0.6 if soft else 0.75, si, a, b))
        elif ql.yes_score is not None and any_match(lex.short_yes, s):
            votes.append(_Vote(current, ql.yes_score, 1.0, 0.5, si, a, b))

    # Explicit self-ratings: "I'd say a 3", "level 4 for tracing".
    for rx in lex.explicit if _HAS_NUMBER.search(s) else ():
        m = rx.search(s)
        if not m:
            continue
        raw_n = m.group("n")
        n = _NUM_WORDS.get(raw_n, None) if not raw_n.isdigit() else int(raw_n)
        if n is None:
            continue
        target = _explicit_target(s, a, m, raw, current, asked)
        if target:
            votes.append(_Vote(target, n, _EXPLICIT_W, 0.9, si, a, b))
            topical = True
        break
    return votes, topical


def _hedge_kind(clause: str, lex) -> int:
    """0: not hedged; 1: hedged; 2: hedged only by a minority of people (see staff_hedges)."""
    if not any_match(lex.hedges, clause) or any_match(lex.majority, clause):
        return 0
    if lex.staff_hedges:
        rest = clause
        for rx in lex.staff_hedges:
            rest = rx.sub(" ", rest)
        if not any_match(lex.hedges, rest):
            return 2
    return 1


def _lapsed_after(low: str, clause: tuple[int, int], lapses: list[int], ms: int) -> bool:
    """"We used to have alerts": a lapse word earlier in the same clause denies the cue, unless
    the clause turns to the present in between ("stopped X and now use Y")."""
    for p in lapses:
        if clause[0] <= p < ms and not _NOW.search(low, p, ms):
            return True
    return False


def _passing(low: str, a: int, ms: int, lex) -> bool:
    before = low[max(a, ms - 24):ms]
    return any(rx.search(before) for rx in lex.passing)


def _drop_contained(hits):
    """A cue inside a longer cue of another question belongs to that one ("gateway" inside
    "authenticate to the gateway", "logged" inside the access topic "logged for audit")."""
    if len(hits) < 2:
        return hits
    out = []
    for h in hits:
        c, ms, me = h
        if c.score is not None and any(
            o.qid != c.qid and (o.score is None or not o.generic) and os_ <= ms and me <= oe and oe - os_ > me - ms
            for o, os_, oe in hits
        ):
            continue
        out.append(h)
    return out


def _explicit_target(s, a, m, raw, current, asked) -> str | None:
    ref = _QREF.search(s)
    if ref and f"q{ref.group(1)}" in asked:
        return f"q{ref.group(1)}"
    pos = a + m.start("n")
    named = [(abs(ms - pos), c.qid) for c, ms, me, ci, neg in raw if not c.generic and c.qid != current]
    if named:
        return min(named)[1]
    return current


def _resolve(votes: list[_Vote], reply: str, low: str, sents, clauses, current=None) -> list[ScoredAnswer]:
    by_q: dict[str, list[_Vote]] = {}
    for v in votes:
        by_q.setdefault(v.qid, []).append(v)
    answers: list[ScoredAnswer] = []
    for qid in sorted(by_q, key=lambda q: int(q[1:])):
        vs = by_q[qid]
        plain = [v for v in vs if not v.hedged]
        hedged_only = not plain
        if hedged_only and qid != current:
            continue  # a pilot mentioned in passing says nothing about a question not asked
        pool = plain or vs
        # Best vote per sentence: heaviest, then highest score (the more specific option).
        per_sent: dict[int, _Vote] = {}
        for v in pool:
            cur = per_sent.get(v.sent)
            if cur is None or (v.weight, v.score) > (cur.weight, cur.score):
                per_sent[v.sent] = v
        ordered = [per_sent[k] for k in sorted(per_sent)]
        best = ordered[-1]
        if best.conf < 0.6:
            confident = [v for v in ordered if v.conf >= 0.75]
            if confident:
                best = confident[-1]
        if best.ceiling is not None:
            # A denial ("linear, no branching") caps the answer; a positive statement below the
            # cap ("a RAG pipeline") is the more informative reading.
            below = [v for v in pool if v.ceiling is None and best.score < v.score < best.ceiling]
            if below:
                best = max(below, key=lambda v: (v.sent, v.weight, v.start))
        score, conf = best.score, best.conf
        if hedged_only:
            score, conf = max(0, score - 1), min(conf, 0.5)
        sent = sents[best.sent]
        cl = next((c for c in clauses[best.sent] if c[0] <= best.start < c[1]), sent)
        ev = _evidence(reply, low, sent, cl, best.start, best.end)
        answers.append(ScoredAnswer(question_id=qid, score=score, confidence=round(conf, 2), evidence=ev))
    return answers
