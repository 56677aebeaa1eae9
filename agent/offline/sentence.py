"""Reading one sentence of a reply into votes: cue matches, negation, hedges, lapses and passing
mentions (rules in agent.offline.interpret's docstring)."""

from __future__ import annotations

import re

from agent.offline.lexicon import Cue, Lexicon
from agent.offline.text import NegationIndex, SpanIndex, any_match
from agent.offline.votes import Vote, confidence

_NOW = re.compile(r"\b(now|today|these days|nowadays|since then|instead|currently)\b")
_LEAD = re.compile(r"(?:(?:and|but|as for|re|regarding|for|on|our|the)\s+)*")
_LABEL_NO = re.compile(r"\s*[:,\-]?\s*(?:no|nope|none|nothing|not yet|not really|n/a|nada)\b(?!\s+\w+\s+(?:is|are|was))")


def read_sentence(si, a, b, cls, hits, low, lex, lexicon: Lexicon, asking: frozenset[str], asked, negs: NegationIndex):
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
    active |= asking

    # Words matched by cues of two questions ("RAG" is memory and knowledge, "forecast" cost and
    # budgets) belong to the question whose topic the clause names ("the docs are retrieved via
    # RAG": knowledge), else to the question asked ("a forecast adjusts the caps", asked about
    # budgets); otherwise both keep them.
    topic_cl = {(c.qid, ci) for c, ms, me, ci, neg in raw if c.score is None}
    lost: set[int] = set()
    scored = [(k, r) for k, r in enumerate(raw) if r[0].score is not None]
    scored_pairs = scored if len({r[0].qid for _, r in scored}) >= 2 else []
    for k, (c, ms, me, ci, _) in scored_pairs:
        for _k2, (c2, ms2, me2, ci2, _) in scored_pairs:
            if c2.qid == c.qid or not (ms < me2 and ms2 < me):
                continue
            mine, theirs = (c.qid, ci) in topic_cl, (c2.qid, ci2) in topic_cl
            if (theirs and not mine) or (mine == theirs and c2.qid in asking):
                lost.add(k)
                break
    # A question touched only by generic cues inside a clause that states the question asked
    # ("each app has its own API key so we can see spend per application") is not answered.
    dropped: set[str] = set()
    cur_cl = {ci for k, (c, ms, me, ci, neg) in scored
              if c.qid in asking and not c.generic and k not in lost and not _passing(low, a, ms, lex)}
    if cur_cl:
        for qid in {c.qid for c, *_ in raw} - asking:
            touched = [(c, ci) for k, (c, ms, me, ci, neg) in scored if c.qid == qid and k not in lost]
            if touched and all(c.generic and ci in cur_cl for c, ci in touched):
                dropped.add(qid)

    # Passing mentions ("caps per team in LiteLLM"): a question that is neither asked nor
    # otherwise stated here is not answered by a tool named as the place where something happens.
    stated = {c.qid for c, ms, me, ci, neg in raw if c.score is not None and not c.generic
              and not _passing(low, a, ms, lex)}
    passing = {k for k, (cue, ms, me, ci, neg) in enumerate(raw)
               if cue.qid not in asking and cue.qid not in stated and stated and _passing(low, a, ms, lex)}
    votes: list[Vote] = []
    for k, (cue, ms, me, ci, neg) in enumerate(raw):
        if cue.qid not in active or cue.qid in dropped or k in lost or k in passing:
            continue
        # A denied topic word that only qualifies another question's cue ("we used to have spend
        # alerts") denies that cue, not its own question.
        if neg and cue.score is None and cue.qid not in asking and any(
                c.qid != cue.qid and c.score is not None and cci == ci for c, _, _, cci, _ in raw):
            continue
        # Generic cues only count where the question is otherwise established.
        if cue.generic and cue.qid not in asking and not any(
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
        conf = confidence(weight)
        if cue.generic and cue.qid in asking and cue.qid not in {c.qid for c, *_ in raw if not c.generic}:
            conf -= 0.1
        hedged = hedged_cl[ci] == 1 or (hedged_cl[ci] == 2 and score > 1)
        if majority_cl[ci] and not hedged:
            weight += 0.5  # "most teams ..." outweighs a same-sentence statement about a few
        votes.append(Vote(cue.qid, score, weight, conf, si, ms, me, hedged, ceiling))

    # "Budgets: no." / "Memory no, each session is new": a topic named and answered with a bare no.
    for cue, ms, me, _ci, _neg in raw:
        if cue.score is None and cue.qid not in dropped and _LEAD.fullmatch(low, a, ms) and cue.qid in asked:
            m = _LABEL_NO.match(low, me, b)
            ql = lexicon.questions[cue.qid]
            if m and ql.no_score is not None:
                votes.append(Vote(cue.qid, ql.no_score, 3.0, 0.75, si, ms, a + (m.end() - a)))

    # "..., the rest have nothing" / "nothing in prod": the organization's answer is the bare no.
    if lex.rest_none and any_match(lex.rest_none, s):
        targets = {v.qid for v in votes if v.hedged} or set(asking & asked)
        for qid in targets:
            ql = lexicon.questions[qid]
            no = ql.no_score if ql.no_score is not None else ql.negated
            m = any_match(lex.rest_none, s)
            assert m is not None  # matched just above
            votes.append(Vote(qid, no, 2.5, 0.7, si, a + m.start(), a + m.end()))

    # Bare answers to the one question just asked ("no", "nope, nothing", "yes, basic logs"); not
    # to a two-part question, where a bare "no" says nothing about which part.
    if len(asking) == 1 and (current := next(iter(asking))) in asked:
        ql = lexicon.questions[current]
        if ql.no_score is not None and any_match(lex.short_no, s):
            soft = re.match(r"^\W*(not really|kind of|sort of|not that i know)", s)
            votes.append(Vote(current, ql.no_score, 2.5, 0.6 if soft else 0.75, si, a, b, bare=True))
        elif ql.yes_score is not None and any_match(lex.short_yes, s):
            votes.append(Vote(current, ql.yes_score, 1.0, 0.5, si, a, b, bare=True))

    # Explicit self-ratings ("I'd say a 3", "level 4 for tracing") are not read: a score needs a
    # description of the practice (issue 13). agent.core.screening masks them before reading, and
    # the interviewer offers the options around the number instead (agent.interview.reading).
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
    return any(clause[0] <= p < ms and not _NOW.search(low, p, ms) for p in lapses)

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
