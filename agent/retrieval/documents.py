"""An organization's own documents added to the index: checked, copied, and remembered.

The sources are kept under the index folder (not only their vectors), so the organization's
chunks can be re-embedded whenever the embedder changes or the Chroma store has to be rebuilt.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ValidationError

from agent.retrieval.chunks import Chunk, slug
from agent.retrieval.markdown import document_chunks

TEXT_SUFFIXES = {".md", ".markdown", ".txt", ".text", ".rst", ""}
MANIFEST = "manifest.json"


class DocumentError(Exception):
    """One file cannot be added; the message names the file and why."""


class OrgDocument(BaseModel):
    name: str  # file name as stored (unique)
    source: str  # where it was added from
    sha256: str
    size: int
    added_at: str


class Manifest(BaseModel):
    documents: list[OrgDocument] = []


class OrgDocuments:
    """The folder of added documents and its manifest."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @property
    def manifest_path(self) -> Path:
        return self.folder / MANIFEST

    def manifest(self) -> Manifest:
        """The list of added documents; a damaged manifest is rebuilt from the files present."""
        try:
            return Manifest.model_validate_json(self.manifest_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return Manifest()
        except (OSError, ValueError, ValidationError):
            return self._rescan()

    def _rescan(self) -> Manifest:
        docs = []
        for p in sorted(self.folder.glob("*")):
            if p.name == MANIFEST or not p.is_file():
                continue
            data = p.read_bytes()
            docs.append(
                OrgDocument(name=p.name, source=str(p), sha256=hashlib.sha256(data).hexdigest(),
                            size=len(data), added_at=_now())
            )
        man = Manifest(documents=docs)
        self._save(man)
        return man

    def _save(self, man: Manifest) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(man.model_dump_json(indent=2))
        os.replace(tmp, self.manifest_path)

    def add(self, path: Path, max_bytes: int) -> tuple[OrgDocument, bool]:
        """Check and copy one file in; returns the record and whether it was new or changed.

        Raises DocumentError for a missing, unreadable, empty, binary, oversized or non-text file.
        """
        text = read_text_document(path, max_bytes)
        data = text.encode("utf-8")
        digest = hashlib.sha256(data).hexdigest()
        man = self.manifest()
        source = str(path.resolve())
        name = _stored_name(path)
        clash = next((d for d in man.documents if d.name == name and d.source != source), None)
        if clash is not None:  # team-a/README.md and team-b/README.md are different documents
            stem, dot, suffix = name.rpartition(".")
            name = f"{stem}-{hashlib.sha256(source.encode()).hexdigest()[:6]}{dot}{suffix}"
        old = next((d for d in man.documents if d.name == name), None)
        if old and old.sha256 == digest:
            return old, False
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / name).write_bytes(data)
        doc = OrgDocument(name=name, source=source, sha256=digest, size=len(data), added_at=_now())
        man.documents = [d for d in man.documents if d.name != name] + [doc]
        self._save(man)
        return doc, True

    def remove(self, name: str) -> bool:
        """Forget a document by its stored name; False if there was none."""
        man = self.manifest()
        keep = [d for d in man.documents if d.name != name]
        if len(keep) == len(man.documents):
            return False
        (self.folder / name).unlink(missing_ok=True)
        man.documents = keep
        self._save(man)
        return True

    def chunks(self) -> list[Chunk]:
        """Chunks of every added document (a document that vanished from the folder is skipped)."""
        out: list[Chunk] = []
        for doc in self.manifest().documents:
            p = self.folder / doc.name
            try:
                text = p.read_text(encoding="utf-8")
            except OSError:
                continue
            out.extend(document_chunks(text, doc.name, "organization", id_prefix=f"org-{slug(doc.name)}--"))
        return out

    def digest(self) -> str:
        """Changes whenever a document is added, changed or removed."""
        man = self.manifest()
        return hashlib.sha256("".join(f"{d.name}:{d.sha256};" for d in man.documents).encode()).hexdigest()


def _stored_name(path: Path) -> str:
    stem = slug(path.stem) or "document"
    return f"{stem}{path.suffix.lower() if path.suffix.lower() in TEXT_SUFFIXES else '.txt'}"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def read_text_document(path: Path, max_bytes: int) -> str:
    """The text of a Markdown or plain-text file, or DocumentError saying what is wrong with it."""
    if not path.exists():
        raise DocumentError(f"{path}: no such file")
    if path.is_dir():
        raise DocumentError(f"{path}: is a folder; pass the files in it (e.g. {path}/*.md)")
    if path.suffix.lower() not in TEXT_SUFFIXES:
        raise DocumentError(
            f"{path}: only Markdown and plain text can be added (.md, .txt, .rst); convert it to text first"
        )
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise DocumentError(
                f"{path}: {size:,} bytes is over the limit of {max_bytes:,} "
                "(retrieval.max_document_bytes); split it or raise the limit"
            )
        data = path.read_bytes()
    except PermissionError as exc:
        raise DocumentError(f"{path}: cannot be read ({exc.strerror}); check its permissions") from exc
    except OSError as exc:
        raise DocumentError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    if b"\x00" in data[:8192]:
        raise DocumentError(f"{path}: looks binary (contains NUL bytes); only text documents can be added")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentError(f"{path}: is not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8") from exc
    if not text.strip():
        raise DocumentError(f"{path}: is empty")
    return text
