"""Turning readings into answers: a vote per cue match, merged across a reply's sentences.

The merge rules (last statement wins, hedged readings only as a fallback, ceilings from denials)
are documented in agent.offline.interpret's docstring.
"""

from __future__ import annotations

from dataclasses import dataclass

from agent.core.schemas import ScoredAnswer, as_question_id

EVIDENCE_MAX = 240
SHORT_EVIDENCE = 12


@dataclass(slots=True)
class Vote:
    """One cue's reading of a clause: question, option, how strongly, and where."""

    qid: str
    score: int
    weight: float
    conf: float
    sent: int
    start: int
    end: int
    hedged: bool = False
    ceiling: int | None = None  # a denial ("no branching"): the answer is below this score
    bare: bool = False  # a bare yes/no to the question asked


def confidence(weight: float) -> float:
    if weight >= 5:
        return 0.9
    if weight >= 4:
        return 0.85
    if weight >= 3:
        return 0.8
    if weight >= 2:
        return 0.7
    return 0.55


def evidence(reply: str, low: str, sent: tuple[int, int], clause: tuple[int, int], a: int, b: int) -> str:
    """A verbatim piece of the reply around low[a:b]: the sentence if short, else the clause."""
    s, e = sent if sent[1] - sent[0] <= 160 else clause
    if e - s < 12:
        s, e = sent
    if e - s > EVIDENCE_MAX:
        s = max(s, a - EVIDENCE_MAX // 2)
        e = min(e, s + EVIDENCE_MAX)
        if b > e:
            s, e = max(sent[0], b - EVIDENCE_MAX), b
    text = reply[s:e].strip()
    return text.rstrip(".!?;, ") or text or reply.strip()[:EVIDENCE_MAX]


def resolve(votes: list[Vote], reply: str, low: str, sents, clauses, asking: frozenset[str] = frozenset()) -> list[ScoredAnswer]:
    if any(not v.bare and v.qid not in asking for v in votes):
        # "Not really. We get one invoice a month": the reply is about something else; its bare
        # "no" does not answer the question asked.
        votes = [v for v in votes if not v.bare]
    by_q: dict[str, list[Vote]] = {}
    for v in votes:
        by_q.setdefault(v.qid, []).append(v)
    answers: list[ScoredAnswer] = []
    for qid in sorted(by_q, key=lambda q: int(q[1:])):
        vs = by_q[qid]
        plain = [v for v in vs if not v.hedged]
        hedged_only = not plain
        if hedged_only and qid not in asking:
            continue  # a pilot mentioned in passing says nothing about a question not asked
        pool = plain or vs
        # Best vote per sentence: heaviest, then highest score (the more specific option).
        per_sent: dict[int, Vote] = {}
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
        ev = evidence(reply, low, sent, cl, best.start, best.end)
        if len(ev) < SHORT_EVIDENCE and best.sent + 1 < len(sents):
            # "No. Nothing is recorded anywhere.": a bare answer is quoted with what explains it
            # (a two-letter quote is evidence only when it is the whole reply).
            nxt = sents[best.sent + 1]
            ev = evidence(reply, low, (sent[0], nxt[1]), (sent[0], nxt[1]), best.start, best.end)
        answers.append(ScoredAnswer(question_id=as_question_id(qid), score=score, confidence=round(conf, 2), evidence=ev))
    return answers
