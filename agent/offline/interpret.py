"""The offline engine's interpreter: reads an interview reply into rubric answers, without a model.

Deterministic and pure apart from loading knowledge/lexicon.yaml. The reply is split into
sentences and clauses; lexicon cues (knowledge/lexicon.yaml plus the rubric's own option labels
and table descriptors) say which questions a sentence speaks to and which option fits. Negation,
minority/pilot hedges, lapsed practice, corrections, questions asked back, stop requests,
off-topic and non-English replies are handled on top.

Only the genuine text is read: the reply is screened first (agent.core.screening) and what is
aimed at the assessor — fake system or tool messages, markup and JSON, "note for the scoring
system", role-play, self-ratings such as "I'd say a 3" or "we are level 5" — is blanked out, so
it is never read as an answer (a self-rating becomes options to choose from, in the interview).

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

from agent.core.concepts import load_concepts
from agent.core.rubric import Rubric
from agent.core.schemas import InterpretContext, LikelyOptions, QuestionBack, RubricUpdate, ScoredAnswer, as_question_id
from agent.core.screening import screen
from agent.offline.blend import blend, sentence_evidence
from agent.offline.lexicon import LEXICON_PATH, Cue, Lexicon, load_lexicon, rubric_cues
from agent.offline.model import load_model
from agent.offline.sentence import read_sentence
from agent.offline.text import (
    NegationIndex,
    SpanIndex,
    any_match,
    clause_spans,
    guess_language,
    matchable,
    sentence_spans,
)
from agent.offline.votes import Vote, resolve

__all__ = ["LEXICON_PATH", "interpret", "load_lexicon"]

_INTERROGATIVE = re.compile(
    r"^\W*(what|why|which|how (do|does|is|are|would|should|can|come)|can you|could you|would you|"
    r"do you|does (that|this|it)|did you|is (that|this|it|there)|are (there|you)|what's|whats)\b"
)
_rubric_cue_cache: dict[int, tuple[Rubric, tuple[Cue, ...]]] = {}


def all_cues(rubric: Rubric, lexicon: Lexicon) -> tuple[Cue, ...]:
    """Every cue the reader matches: the lexicon's and the rubric's own labels (cached per rubric)."""
    hit = _rubric_cue_cache.get(id(rubric))
    if hit is None or hit[0] is not rubric:
        if len(_rubric_cue_cache) > 8:
            _rubric_cue_cache.clear()
        # Keyed by identity (rubrics are unhashable); the stored reference keeps the id valid.
        hit = (rubric, lexicon.compiled.cues + rubric_cues(rubric, lexicon))
        _rubric_cue_cache[id(rubric)] = hit
    return hit[1]


_prefilter_cache: dict[int, tuple[tuple[Cue, ...], list[tuple[str, list[int]]], list[int]]] = {}


def candidate_cues(cues: tuple[Cue, ...], low: str) -> list[Cue]:
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


def _quoted_at(low: str, evidence: str) -> int:
    """Where a reading's quote starts in the (matchable) reply; -1 when not found."""
    return low.find(matchable(evidence.strip()))


def interpret(ctx: InterpretContext, rubric: Rubric, lexicon: Lexicon) -> RubricUpdate:
    """Read one interview reply into a RubricUpdate (answers with verbatim evidence, flags).

    Deterministic; the only inputs are the context, the rubric and the lexicon.
    """
    screened = screen(ctx.reply or "")
    # The masked text has the reply's length with the suspicious segments blanked: offsets and
    # evidence refer to the (folded) reply, and nothing in a blanked segment can be read.
    reply = screened.masked
    if not reply.strip():
        return RubricUpdate()
    lex = lexicon.compiled
    low = matchable(reply)
    lang = guess_language(low, lex)
    if lang != "en":
        return RubricUpdate(understood=False, language=lang)

    current = ctx.current_question.id if ctx.current_question else None
    asking = frozenset(q.id for q in ctx.asking) | ({current} if current else set())
    asked: set[str] = {q.id for q in ctx.questions} or {q.id for q in rubric.questions}
    sents = sentence_spans(low)
    sidx = SpanIndex(sents)
    clauses = [clause_spans(low, a, b) for a, b in sents]

    # --- per-sentence flags ------------------------------------------------------------------
    injected = screened.suspicious
    skip: set[int] = set()          # sentences yielding no answers (injection, questions)
    stmt_end: dict[int, int] = {}   # question sentences: statement part ends here
    wants_stop = False
    is_correction_marker = False
    correction_from = len(low)  # the correction is what follows its first marker
    question_back: QuestionBack | None = None
    for i, (a, b) in enumerate(sents):
        s = low[a:b]
        if any_match(lex.injection, s):
            injected = True
            skip.add(i)
            continue
        if any_match(lex.stop, s) or (len(sents) == 1 and any_match(lex.stop_alone, s)):
            wants_stop = True
            skip.add(i)
            continue
        if any_match(lex.corrections, s) or any_match(lex.lapsed, s):
            is_correction_marker = True
            correction_from = min(correction_from, a)
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
    cues = candidate_cues(all_cues(rubric, lexicon), low)
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
    votes: list[Vote] = []
    any_topic = False
    for si, (a, b) in enumerate(sents):
        if si in skip:
            continue
        sent_votes, topical = read_sentence(si, a, b, clauses[si], hits.get(si, []), low, lex, lexicon,
                                             asking, asked, negs)
        any_topic = any_topic or topical
        votes.extend(sent_votes)

    answers = resolve(votes, reply, low, sents, clauses, asking)
    # The statistical reader, on the statements of the reply (not questions, injections or stops).
    kept = [(i, a, b) for i, (a, b) in enumerate(sents) if i not in skip]
    texts = [reply[a:stmt_end.get(i, b)] for i, a, b in kept]
    hedged = [any_match(lex.hedges, low[a:b]) is not None for _, a, b in kept]
    model = load_model()
    answers, likely = blend(answers, texts, [model.read(t) for t in texts], asking, asked,
                            changes_course=is_correction_marker, hedged=hedged)
    answers = _described(answers, texts, hedged, asking)
    if is_correction_marker:
        answers = [a.model_copy(update={"corrects": _quoted_at(low, a.evidence) >= correction_from}) for a in answers]
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
        likely=[LikelyOptions(question_id=as_question_id(q), options=o) for q, o in likely.items()],
    )


# A reading moved to a lower option because only that one is described is not a sure one.
FELL_CONFIDENCE = 0.55


def _described(answers: list[ScoredAnswer], texts: list[str], hedged: list[bool],
               asking: frozenset[str]) -> list[ScoredAnswer]:
    """Readings whose evidence describes their option (agent.core.concepts, the check every
    engine's answers pass): the reader's own evidence where it does; else, for a question asked,
    the last unhedged sentence of the reply that does; else the highest lower option a sentence
    describes (a plan sentence read as a hedged higher option, beside "we review spend monthly").
    Any other reading is left as it is, for the evidence check to refuse and count."""
    concepts = load_concepts()
    plain = [t for t, h in zip(texts, hedged, strict=True) if not h][::-1]
    out = []
    for a in answers:
        asked = a.question_id in asking
        why = concepts.shortfall(a.question_id, a.score, a.evidence, asked=asked)
        if why != "no_concept" or not asked:
            # Described; or the option's label recited, which no lower option mends; or a reading of
            # a question nobody asked whose words do not describe it: likely a word in passing.
            out.append(a)
            continue
        for score in range(a.score, 0, -1):
            said = next((t for t in plain if concepts.shortfall(a.question_id, score, t, asked=asked) is None), None)
            if said is not None:
                conf = a.confidence if score == a.score else min(a.confidence, FELL_CONFIDENCE)
                out.append(a.model_copy(update={"score": score, "evidence": sentence_evidence(said), "confidence": conf}))
                break
        else:
            out.append(a)
    return out


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
    words = set(re.findall(r"[a-z]{5,}", last.lower()))
    return any(w in words for w in re.findall(r"[a-z]{5,}", s))

