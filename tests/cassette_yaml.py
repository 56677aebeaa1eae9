"""Readable provider cassettes: the `pretty_yaml` vcrpy serializer and the `provider_body` matcher
(both registered in tests/conftest.py's `pytest_recording_configure`).

`pretty_yaml` writes what vcrpy's `yaml` serializer writes, except that JSON bodies (requests, and
responses whose content-type is JSON) are decoded and pretty-printed, `content-length` is set to
the length of what is stored, and every multi-line string (JSON, SSE streams, NDJSON) is a YAML
literal block, so a cassette reads like the HTTP exchange it records. Reading is plain YAML.

`provider_body` compares request bodies as JSON data (so indentation does not matter) and
otherwise byte for byte. Nothing in the providers' request bodies is volatile (no ids, no clock):
the same conversation always sends the same JSON.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

try:
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - libyaml is in the wheel
    from yaml import SafeLoader as _Loader


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def _is_json_type(headers: dict) -> bool:
    for name, values in (headers or {}).items():
        if name.lower() == "content-type":
            return any("json" in v and "ndjson" not in v for v in (values if isinstance(values, list) else [values]))
    return False


def _pretty(text):
    """`text` as indented JSON if it is JSON, else unchanged."""
    if not isinstance(text, str) or not text.strip():
        return text
    try:
        data = json.loads(text)
    except ValueError:
        return text
    return json.dumps(data, indent=2, ensure_ascii=False)


def _set_length(headers: dict, body: str) -> None:
    for name in list(headers or {}):
        if name.lower() == "content-length":
            headers[name] = [str(len(body.encode("utf-8")))]


def prettify(data: dict) -> dict:
    """A cassette dict (vcrpy's serialized form) with its JSON bodies pretty-printed."""
    for it in data.get("interactions", []):
        req, resp = it["request"], it["response"]
        req["body"] = _pretty(req.get("body"))
        body = resp.get("body") or {}
        if isinstance(body.get("string"), str) and _is_json_type(resp.get("headers")):
            body["string"] = _pretty(body["string"])
            _set_length(resp["headers"], body["string"])
    return data


class PrettyYaml:
    """vcrpy serializer interface: `serialize(dict) -> str`, `deserialize(str) -> dict`."""

    @staticmethod
    def serialize(data: dict) -> str:
        return yaml.dump(prettify(data), Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=120)

    @staticmethod
    def deserialize(text: str) -> dict:
        return yaml.load(text, Loader=_Loader)


def read_cassette(path: Path) -> dict:
    return PrettyYaml.deserialize(Path(path).read_text(encoding="utf-8"))


def write_cassette(path: Path, data: dict) -> None:
    Path(path).write_text(PrettyYaml.serialize(data), encoding="utf-8")


def _json_or_text(body):
    raw = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def provider_body(r1, r2) -> None:
    """vcrpy matcher: request bodies equal as JSON data (raises AssertionError otherwise)."""
    b1, b2 = _json_or_text(r1.body), _json_or_text(r2.body)
    assert b1 == b2, "request bodies differ"
