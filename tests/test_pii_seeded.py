"""Seeded personal data, followed to every place text leaves the process.

For every kind the detector knows (agent.common.privacy.KINDS) a handful of values sits inside
sentences an interviewee could really type. Each kind is checked at three exits:

  (a) the provider's request body, non-streaming    what a local OpenAI-compatible server received
  (b) the provider's request body, streaming        the same server, `stream: true`, answered as SSE
  (c) the trace export                              the spans the Langfuse SDK hands to OpenTelemetry

and the interview must still work: the model's reply, which quotes the placeholders, reaches the
user with the values put back (token by token when streamed), and a whole interview with the
values spread over its replies reaches the review.

The server is the OpenAI emulator of tests/cassettes/generate.py (the one the cassettes of
tests/test_providers.py are generated from), recording each body it receives; litellm reaches it
through `api_base` over real HTTP. Nothing else on the network is reachable.

The other side, false positives: ordinary interview sentences (dates, versions, amounts,
percentages, ports, team sizes, ticket numbers) and thousands of random numbers and dates must come
through unchanged. Each test prints what it counted (`pytest -s` shows it).
"""

from __future__ import annotations

import json
import random
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any

import pytest

from agent.common.privacy import KINDS, Redactor, find, mask_text
from agent.observability import tracing
from tests.cassettes import generate
from tests.helpers import FULL

# Each value appears verbatim in its sentence (at "{}").
SEEDED: dict[str, list[tuple[str, str]]] = {
    "EMAIL": [
        ("Escalations go to our platform lead at {} and she owns the gateway config.", "priya.raman@acme-retail.example"),
        ("The on-call alias {} pages whoever holds the rota that week.", "ai-oncall+pager@ops.acme.io"),
        ("Audit findings are mailed to {} before every quarterly review.", "j.schmidt@acme-gmbh.de"),
        ("For Langfuse questions we write to {}, the vendor's support desk.", "support-team@vendor.co.uk"),
    ],
    "API_KEY": [
        ("Honestly, the shared gateway key {} is still hard-coded in two notebooks.", "sk-proj-Zq81XbT4c9LmN2vR7pW0yK3d"),
        ("An old AWS key, {}, turned up in a prompt template last month.", "AKIAIOSFODNN7EXAMPLE"),
        ("The CI job pushes evals with the token {} from the repo secrets.", "ghp_Xk29dLmQ7rT4vB8nW1cY5sZ0aJ3hF6gE2uPq"),
        ("Our agents call the internal API with Authorization: Bearer {} and nobody rotates it.",
         "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJvcHMtYm90In0.Zm9vYmFyYmF6cXV4"),
    ],
    "IBAN": [
        ("Provider invoices are paid from {}, the central IT account.", "DE89 3704 0044 0532 0130 00"),
        ("The UK entity pays OpenAI by transfer to {} every month.", "GB82WEST12345698765432"),
        ("Our French subsidiary still uses {} for the Mistral contract.", "FR14 2004 1010 0505 0001 3M02 606"),
        ("Refunds from the vendor land on {} in Amsterdam.", "NL91ABNA0417164300"),
    ],
    "CARD": [
        ("Anthropic is billed to the corporate card {} with a monthly cap.", "4111 1111 1111 1111"),
        ("Someone put their own card, {}, on the OpenAI account during the pilot.", "5500-0000-0000-0004"),
        ("The Amex {} pays for the Langfuse cloud plan.", "340000000000009"),
        ("Test purchases in the shopping assistant used {} until last week.", "6011000990139424"),
    ],
    "IP": [
        ("The LiteLLM proxy runs on {} behind the internal load balancer.", "10.20.30.40"),
        ("Ollama is reachable at {} from the build agents only.", "192.168.1.17"),
        ("Our egress firewall allows {} for the Azure endpoint.", "2001:db8:85a3::8a2e:370:7334"),
        ("The GPU box announces itself as {} on the lab network.", "fe80::1ff:fe23:4567:890a"),
    ],
    "PHONE": [
        ("If the gateway is down, call the duty manager on {} day or night.", "+44 20 7946 0958"),
        ("The vendor's escalation line is {} and they answer within an hour.", "+1 (415) 555-0132"),
        ("Das Berliner Team erreicht man unter {} für Freigaben.", "030 12345678"),
        ("Pour la production, l'astreinte répond au {} le week-end.", "06 12 34 56 78"),
    ],
    "NATIONAL_ID": [
        ("A support ticket pasted into the chatbot contained the customer's SSN {} and nothing stopped it.", "536-90-4399"),
        ("Our red-team prompt used the social security number {} and the model repeated it back.", "123-45-6789"),
        ("UK payroll questions include the employee's NI number {} in the prompt.", "QQ 12 34 56 C"),
        ("We found the national insurance number {} in a trace from the HR bot.", "JG103759A"),
        ("The German tax assistant sees the Steuer-ID {} of every employee it helps.", "36 574 261 809"),
        ("A French claims form with the NIR {} went through the summariser unmasked.", "2 95 10 99 126 111 93"),
        ("Dutch customers sometimes type their BSN {} straight into the chat.", "123456782"),
        ("The Spanish onboarding flow asks for the DNI {} and sends it to the model.", "54362315K"),
        ("Foreign staff in Madrid give their NIE {} to the HR assistant.", "X2482300W"),
        ("An Italian invoice with the codice fiscale {} was used as a few-shot example.", "RCCMNL83S18D969H"),
        ("Canadian applicants enter their SIN {} in the screening form the model reads.", "130 692 544"),
        ("The Indian KYC flow sends the PAN {} along with the customer's question.", "ACUPA7085R"),
        ("Support agents paste the Aadhaar number {} when they escalate.", "2341 2341 2346"),
        ("Swiss payroll runs include the AHV number {} in the prompt.", "756.9217.0769.85"),
        ("A Swedish candidate's personnummer {} ended up in the eval data set.", "880320-0016"),
        ("The Finnish HR bot saw the henkilötunnus {} in a pasted CV.", "131052-308T"),
        ("A Polish contractor's PESEL {} was in a ticket we used for testing.", "44051401359"),
        ("Belgian payslips carry the national number {} on every page.", "85.07.30-033.28"),
    ],
    "DOB": [
        ("A prompt in the logs held an HR record: Jane, born {}, team lead since 2019.", "12/03/1985"),
        ("The onboarding bot asks for the date of birth: {} was the last one I saw in a trace.", "1985-03-12"),
        ("Medical intake notes include lines like DOB {} and go straight to the summariser.", "3 March 1985"),
        ("Ein Ticket enthielt: geboren am {} in Köln, Kundennummer folgt.", "12.03.1985"),
        ("Un formulaire disait : née le {} à Lyon, et le modèle l'a résumé.", "14 juillet 1979"),
        ("La solicitud decía fecha de nacimiento: {} y el modelo la repitió.", "5 de mayo de 1990"),
        ("The HR assistant reads profiles; mine says birthday is {} and it congratulated me.", "March 3, 1988"),
        ("Un modulo italiano diceva nato il {} a Torino.", "21/09/1975"),
        ("Het formulier vermeldt geboortedatum {} bij elke klant.", "1 april 1982"),
        ("A CV pasted into the screening prompt said: born on Tuesday, {} in Leeds.", "9 November 1991"),
    ],
}

# Ordinary interview sentences: numbers, dates, versions, amounts, but nothing personal.
ORDINARY = [
    "We migrated the gateway on 2025-03-12 and nothing broke.",
    "Since March 2024 every team goes through the LiteLLM proxy.",
    "Am 12.03.2025 haben wir auf die neue Version umgestellt.",
    "The incident on 03/12/2025 lasted 45 minutes.",
    "The contract runs from 01.04.2025 to 31.03.2027.",
    "Quarterly review is on 15 March 2026 at 10:30.",
    "The Q3 2025 report is due on September 30, 2025.",
    "The old gateway ran from 2021-06-01 to 2024-11-30.",
    "We moved 42% of workloads on 01/07/2025 and the rest on 15/09/2025.",
    "We tested with 5 000 synthetic conversations on 12 and 13 May.",
    "Release 3.2.1 went out on the 4th of July.",
    "We were born as a two-person platform team in 2019.",
    "The platform was born out of a hackathon in March 2024.",
    "The birthday release of the gateway is planned for March 2026.",
    "We run LiteLLM v1.110.2 and Langfuse 5.0.4 in production.",
    "Version 2.14.0 of pydantic broke one of our schemas.",
    "Build 2024.10.015 is the one we pinned after the outage.",
    "Model ids like gpt-5.4-mini-2026-03-17 are pinned in config.",
    "Our Kubernetes cluster runs 1.29.4 with 3 node pools.",
    "The budget is $5,000 a month, about €4,600.",
    "Spend went from $12,345.67 to $23,456.78 in one quarter.",
    "In FY2025 we spent 1.2 million on inference.",
    "GPT-4o-mini costs $0.15 per 1M input tokens.",
    "About 40% of traffic goes to Anthropic and 60% to OpenAI.",
    "Uptime was 99.95% last quarter and p95 latency 850 ms.",
    "Error rates dropped from 2.3% to 0.4% after the fallback to claude-haiku-4-5.",
    "The SLA says 99.9% monthly, that is 43 minutes of downtime.",
    "Roughly 1 in 250 answers gets a thumbs-down.",
    "Scores are on a scale of 0-5 and we average 2.5.",
    "The proxy listens on port 4000 and Postgres on 5432.",
    "Grafana is on :3000 and the OTLP collector on 4318.",
    "HTTP 429 and 503 are retried, 400 is not.",
    "We are a team of 12 engineers across 3 squads.",
    "Headcount grew from 120 to 180 people in 2025.",
    "We have 24 prompts in production and 113 in staging.",
    "We run 8 replicas with 4 vCPU and 16 GiB each.",
    "We serve 10 000 000 requests a day, 1,200,000 of them cached.",
    "Last month we processed 123456789 tokens in total.",
    "We answered 123 456 789 questions since launch.",
    "The warehouse table has 36574261809 rows.",
    "Between 09:00 and 17:00 CET we see 450 requests per second.",
    "The batch job starts at 02:30 UTC and takes 1h 15m.",
    "We rate-limit at 600 RPM and 150,000 TPM per key.",
    "The model context window is 128k tokens, output 16 384 tokens.",
    "Embedding dimension is 1536; the index has 2 400 000 vectors.",
    "We keep traces for 30 days and aggregates for 13 months.",
    "Our retry policy is 3 attempts with a 2.5 s backoff.",
    "Ticket INC-2024-00123 tracks the rollout.",
    "Invoice number 2025-000123 covers the March usage.",
    "Our cost centre is 4410-200 and the project code AI-42.",
    "Our runbook RB-0042 covers provider outages.",
    "We comply with ISO 27001 and SOC 2 Type II.",
    "CVE-2024-3094 made us audit every dependency.",
    "The 2024-Q4 review listed 17 action items.",
    "The shared drive path is /data/2025/03/12/exports.",
    "The PAN-European rollout covers 14 countries.",
    "The tax ID field in the form is optional since 2025.",
    "Our SSN lookup service was retired in 2023.",
]

OPENAI = "openai/gpt-5.4-mini"


def _seeded(kind: str) -> list[tuple[str, str]]:
    """(sentence, value) for every seeded value of `kind`."""
    return [(sentence.format(value), value) for sentence, value in SEEDED[kind]]


def _report(what: str, counts: dict[str, tuple[int, int]]) -> None:
    print(f"\n{what}: " + ", ".join(f"{k} {caught}/{total}" for k, (caught, total) in counts.items()))


def test_every_kind_is_seeded():
    assert set(SEEDED) == set(KINDS)
    assert all(len(values) >= 4 for values in SEEDED.values())


# --- the detector itself --------------------------------------------------------------------------

@pytest.mark.parametrize("kind", KINDS)
def test_the_detector_finds_every_seeded_value_as_its_kind(kind):
    caught = 0
    for sentence, value in _seeded(kind):
        spans = [(s.kind, sentence[s.start:s.end]) for s in find(sentence)]
        redactor = Redactor()
        redacted = redactor.redact(sentence)
        if (kind, value) in spans and value not in mask_text(sentence) and value not in redacted:
            caught += 1
        assert (kind, value) in spans, (sentence, spans)
        assert redactor.restore(redacted) == sentence
    _report("seeded values found", {kind: (caught, len(SEEDED[kind]))})
    assert caught == len(SEEDED[kind])


# --- the provider boundary and the trace ----------------------------------------------------------

@dataclass
class Provider:
    """The recording OpenAI emulator: its base URL and the JSON bodies it received."""

    url: str
    bodies: list[dict] = field(default_factory=list)

    def raw(self) -> str:
        return json.dumps(self.bodies, ensure_ascii=False)


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    """tests/cassettes/generate.py's OpenAI emulator (answers from the offline engine, JSON or SSE)
    on a free local port, recording every request body before answering it."""
    rec = Provider(url="")

    class Recording(generate._Handler):
        provider = "openai"

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("content-length") or 0))
            body = json.loads(raw)
            rec.bodies.append(body)
            self._openai(body, raw, "ok")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Recording)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="pii-provider", daemon=True).start()
    rec.url = f"http://127.0.0.1:{server.server_port}"
    try:
        yield rec
    finally:
        server.shutdown()
        server.server_close()


_real_connect = socket.socket.connect


def _loopback_only(sock, address):
    host = address[0] if isinstance(address, tuple) else address
    if host not in ("127.0.0.1", "::1", "localhost"):
        raise AssertionError(f"network connection attempted: {address}")
    return _real_connect(sock, address)


# Not the key of tests/test_tracing.py: the SDK keeps one client (and exporter) per public key for
# the life of the process, so this module's capture must not share it.
TRACE_KEYS = {"LANGFUSE_PUBLIC_KEY": "pk-lf-aiops-assess-pii", "LANGFUSE_SECRET_KEY": "sk-lf-aiops-assess-pii",
              "LANGFUSE_BASE_URL": "http://127.0.0.1:9"}


@pytest.fixture(scope="module")
def span_exporter():
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    before = tracing._client
    client = tracing.init(public_key=TRACE_KEYS["LANGFUSE_PUBLIC_KEY"], secret_key=TRACE_KEYS["LANGFUSE_SECRET_KEY"],
                          base_url=TRACE_KEYS["LANGFUSE_BASE_URL"], span_exporter=exporter,
                          tracer_provider=TracerProvider())
    tracing._client = before  # `exits` sets it for each test; other modules keep theirs
    return client, exporter


@dataclass
class Exits:
    """What left the process in one test: request bodies and exported spans."""

    provider: Provider
    exporter: Any

    def trace(self) -> str:
        """Every attribute value of every exported span, as one text."""
        tracing.flush()
        spans = self.exporter.get_finished_spans()
        return " ".join(str(v) for s in spans for v in (s.attributes or {}).values())


@pytest.fixture
def exits(provider, span_exporter, monkeypatch) -> Exits:
    """Tracing on, the provider's recording and the span capture emptied, only loopback reachable,
    an OpenAI key that is not one."""
    client, exporter = span_exporter
    for k, v in TRACE_KEYS.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-key")
    monkeypatch.setattr(tracing, "_client", client)
    monkeypatch.setattr(socket.socket, "connect", _loopback_only)
    tracing.flush()
    exporter.clear()
    provider.bodies.clear()
    return Exits(provider, exporter)


def _settings(provider: Provider, **update):
    from agent.common.config import Settings

    return Settings().model_copy(update={"model": OPENAI, "api_base": provider.url + "/v1", "fallbacks": [],
                                         "offline_fallback": False, "num_retries": 0, **update})


ECHO = "Noted, you said: "


def _echo(monkeypatch) -> None:
    """The emulator answers with the last user message it received, placeholders and all."""
    def answer(messages, fault):
        return ECHO + generate._text_of(messages[-1]["content"]), False

    monkeypatch.setattr(generate, "_answer", answer)


@pytest.mark.parametrize("kind", KINDS)
def test_no_seeded_value_reaches_the_provider_or_the_trace(kind, exits, monkeypatch):
    from agent.app import build_gateway

    _echo(monkeypatch)
    seeded = _seeded(kind)
    said = " ".join(sentence for sentence, _ in seeded)
    messages = [{"role": "system", "content": "You interview people about how they run AI."},
                {"role": "user", "content": said}]
    gw = build_gateway(_settings(exits.provider))
    tokens: list[str] = []
    with tracing.turn("pii-" + kind.lower(), reply=said, rubric_version="1", model=gw.model):
        whole, calls = gw.text("ask", messages)
        streamed, stream_calls = gw.text("ask", messages, on_token=tokens.append)
    assert calls[-1].ok and stream_calls[-1].ok, (calls, stream_calls)

    plain, stream = exits.provider.bodies
    assert not plain.get("stream") and stream["stream"] is True
    trace = exits.trace()
    counts = {}
    for exit_name, text in (("(a) request", json.dumps(plain, ensure_ascii=False)),
                            ("(b) streaming request", json.dumps(stream, ensure_ascii=False)),
                            ("(c) trace export", trace)):
        kept_out = [value for _, value in seeded if value not in text]
        counts[exit_name] = (len(kept_out), len(seeded))
        assert len(kept_out) == len(seeded), (exit_name, [v for _, v in seeded if v in text])
    _report(f"{kind} values kept out", counts)
    # The model saw numbered placeholders of this kind, the trace typed masks.
    assert f"[{kind}_1]" in plain["messages"][-1]["content"] and f"[{kind}_{len(seeded)}]" in stream["messages"][-1]["content"]
    assert f"[{kind}]" in trace
    # The interviewee gets the reply with the values put back, streamed token by token too.
    assert whole == ECHO + said
    assert streamed == ECHO + said and "".join(tokens) == ECHO + said and len(tokens) > len(seeded)


def test_a_whole_interview_with_seeded_values_keeps_them_all_in(exits):
    """The sample interview's replies, each with seeded sentences of every kind added, through the
    emulator answering as a model would (structured readings, streamed questions): it reaches the
    review, and no value reached the provider or the trace."""
    from langgraph.checkpoint.memory import InMemorySaver

    from agent.app import App

    pool = [pair for kind in KINDS for pair in _seeded(kind)]
    replies = [" ".join([reply, *(s for s, _ in pool[i::len(FULL)])]) for i, reply in enumerate(FULL)]
    iv = App(_settings(exits.provider)).interview("pii-whole", InMemorySaver(), stream_tokens=True)
    tokens: list[str] = []
    list(iv.start())
    for reply in replies:
        tokens.extend(iv.stream_reply(reply))
    # The seeded sentences are about the same topics, so the agent checks some readings with the
    # interviewee (confirm them, or take the first reading it offers) or asks a question again (the
    # sample's own reply to it, q1..q12 in order).
    for _ in range(12):
        if iv.state.get("phase") == "confirm":
            break
        pending = (iv.state.get("pending") or {}).get("kind")
        answer = {"verify": "Yes, that's right.", "options": "1"}.get(pending) or FULL[int(iv.state["current"][1:]) - 1]
        tokens.extend(iv.stream_reply(answer))
    st = iv.state
    assert st["phase"] == "confirm" and len(st["answers"]) == 12, (st.get("phase"), st.get("pending"), iv.said)
    assert tokens and "Here is what I understood" in iv.said[-1]
    assert [m["content"] for m in st["messages"] if m["role"] == "user"][:len(replies)] == replies  # kept locally
    assert all(c["ok"] for c in st["calls"]) and any(b.get("stream") for b in exits.provider.bodies)
    # Readings quote the interviewee's own words: placeholders were mapped back before anyone read them.
    evidence = " ".join(a["evidence"] for a in st["answers"].values())
    assert not any(f"[{k}_" in evidence for k in KINDS)

    sent, trace = exits.provider.raw(), exits.trace()
    counts = {}
    for kind in KINDS:
        values = [v for _, v in _seeded(kind)]
        assert not [v for v in values if v in sent], kind
        assert not [v for v in values if v in trace], kind
        assert f"[{kind}_1]" in sent and f"[{kind}]" in trace
        counts[kind] = (len(values), len(values))
    _report(f"whole interview, {len(exits.provider.bodies)} requests: values kept out of requests and trace", counts)


# --- false positives --------------------------------------------------------------------------------

def test_ordinary_interview_sentences_come_through_unchanged(exits, monkeypatch):
    from agent.app import build_gateway

    flagged = {s: [(sp.kind, s[sp.start:sp.end]) for sp in find(s)] for s in ORDINARY}
    flagged = {s: f for s, f in flagged.items() if f}
    print(f"\nfalse positives: {len(flagged)} of {len(ORDINARY)} ordinary sentences")
    assert not flagged
    assert all(mask_text(s) == s for s in ORDINARY)
    # And at the provider: the request carries them exactly as typed.
    _echo(monkeypatch)
    said = " ".join(ORDINARY)
    text, calls = build_gateway(_settings(exits.provider)).text("ask", [{"role": "user", "content": said}])
    assert calls[-1].ok and exits.provider.bodies[-1]["messages"][-1]["content"] == said
    assert text == ECHO + said


_NUMBER_SENTENCES = ("Last month we processed {} tokens.", "The table has {} rows.", "Ticket {} is closed.",
                     "We answered {} questions since launch.")


def _grouped(n: int, sep: str) -> str:
    s = str(n)
    head = len(s) % 3 or 3
    return sep.join([s[:head], *(s[i:i + 3] for i in range(head, len(s), 3))])


def test_random_numbers_without_a_label_are_left_alone():
    """Plain 9-12 digit numbers pass some national checksum one time in ten; without a label next
    to them they are counts, not identities. (13+ digits are the card detector's, not measured here.)"""
    rng = random.Random(13)
    numbers = [rng.randrange(10 ** (n - 1), 10 ** n) for n in (9, 10, 11, 12) for _ in range(250)]
    texts = [rng.choice(_NUMBER_SENTENCES).format(_grouped(x, rng.choice(["", " ", ",", "."])))
             for x in numbers]
    flagged = [t for t in texts if find(t)]
    print(f"\nfalse positives: {len(flagged)} of {len(texts)} random 9-12 digit numbers")
    assert not flagged


_MONTHS = ["January", "March", "May", "September", "Dec", "März", "mars", "mayo", "maggio", "mei"]


def _random_date(rng: random.Random) -> str:
    d, m, y = rng.randint(1, 28), rng.randint(1, 12), rng.randint(1940, 2030)
    return rng.choice([f"{y}-{m:02d}-{d:02d}", f"{d:02d}.{m:02d}.{y}", f"{d:02d}/{m:02d}/{y}", f"{m}/{d}/{y}",
                       f"{d} {rng.choice(_MONTHS)} {y}", f"{rng.choice(_MONTHS)} {d}, {y}",
                       f"{rng.choice(_MONTHS)} {y}"])


def test_dates_are_dates_of_birth_only_after_a_birth_word():
    rng = random.Random(13)
    ordinary = [f"{lead} {_random_date(rng)}{tail}" for lead, tail in
                [(rng.choice(["We migrated on", "Since", "The outage started", "Am", "Le déploiement du",
                              "The contract ends", "Our birthday party for the team is planned", "Born-in-the-cloud since"]),
                  rng.choice(["", ".", " and it went fine.", ", before the audit."])) for _ in range(500)]]
    flagged = [t for t in ordinary if find(t)]
    birth = [f"{rng.choice(['born', 'born on', 'date of birth:', 'DOB', 'geboren am', 'née le', 'fecha de nacimiento:'])} "
             f"{_random_date(rng)}" for _ in range(500)]
    missed = [t for t in birth if [s.kind for s in find(t)] != ["DOB"]]
    print(f"\ndates: {len(flagged)} of {len(ordinary)} ordinary dates flagged, "
          f"{len(birth) - len(missed)} of {len(birth)} dates of birth found")
    assert not flagged and not missed


def test_the_longest_placeholder_is_held_back_until_complete_in_a_stream():
    """The streaming restorer holds a token that may start a placeholder: NATIONAL_ID's numbered
    placeholders are the longest there are, and arrive one character at a time here."""
    from agent.gateway.streaming import RestoringStream

    redactor = Redactor()
    text = " ".join(sentence for sentence, _ in _seeded("NATIONAL_ID"))
    redacted = redactor.redact(text)
    assert f"[NATIONAL_ID_{len(SEEDED['NATIONAL_ID'])}]" in redacted
    out: list[str] = []
    stream = RestoringStream(redactor, out.append)
    for ch in redacted:
        stream(ch)
    stream.flush()
    assert "".join(out) == text
