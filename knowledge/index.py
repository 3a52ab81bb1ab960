"""Building, saving and loading the search index (lexical + dense) for one catalogue.

An index lives in ``<index_dir>/<key>/`` where the key depends on the catalogue's content
hash and the embedding model, with a ``meta.json`` that records both; an index built by one
model is never loaded for another. A new index is written to a temporary folder and renamed
into place, so a failed build leaves the running index untouched.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from helpdesk.errors import IndexUnavailable
from knowledge.cache import EmbeddingCache, embed_passages_cached
from knowledge.catalogue import Catalogue
from knowledge.dense import DenseIndex
from knowledge.embed import Embedder
from knowledge.lexical import LexicalIndex
from knowledge.progress import Progress, silent
from knowledge.texts import dense_texts, lexical_text, naming_texts

FORMAT = 4


@dataclass(frozen=True, slots=True)
class DocInfo:
    code: str
    name: str
    name_en: str
    # the names a question may use for the procedure: official, colloquial, English
    names: tuple[str, ...] = ()


@dataclass
class IndexMeta:
    model_id: str
    dim: int
    catalogue_hash: str
    num_docs: int
    num_vectors: int
    dense_kind: str
    built_at: float
    build_seconds: float
    new_embeddings: int
    calibration: dict[str, Any] = field(default_factory=dict)
    format: int = FORMAT


@dataclass
class KnowledgeIndex:
    docs: list[DocInfo]
    lexical: LexicalIndex
    dense: DenseIndex
    meta: IndexMeta

    def position(self, code: str) -> int | None:
        return next((i for i, d in enumerate(self.docs) if d.code == code), None)


# The files whose content shapes a built index besides the catalogue and the model: how texts
# are cut and folded, how candidates are ranked, the calibration and its out-of-scope questions.
# A change to any of them makes the index stale, as a change to the catalogue does.
METHOD_FILES = (
    "normalize.py",
    "lexical.py",
    "texts.py",
    "search.py",
    "families.py",
    "calibrate.py",
    "calibration/out_of_scope.txt",
)


def method_hash() -> str:
    """A digest of :data:`METHOD_FILES` as installed."""
    digest = hashlib.sha256()
    here = Path(__file__).parent
    for name in METHOD_FILES:
        digest.update(name.encode() + b"\0" + (here / name).read_bytes())
    return digest.hexdigest()[:16]


def index_key(catalogue_hash: str, model_id: str) -> str:
    material = f"{FORMAT}\0{catalogue_hash}\0{model_id}\0{method_hash()}"
    return hashlib.sha256(material.encode()).hexdigest()[:16]


def build_index(
    catalogue: Catalogue,
    embedder: Embedder,
    cache: EmbeddingCache | None = None,
    progress: Progress = silent,
) -> KnowledgeIndex:
    """Index every procedure of ``catalogue``; cached embeddings are reused."""
    started = time.perf_counter()
    procedures = list(catalogue)
    docs = [DocInfo(p.code, p.name, p.name_en, naming_texts(p)) for p in procedures]
    lexical = LexicalIndex.build([lexical_text(p) for p in procedures])
    # one vector per distinct text, owned by every procedure that has the text
    owners: dict[str, list[int]] = {}
    for position, procedure in enumerate(procedures):
        for text in dense_texts(procedure):
            owners.setdefault(text, []).append(position)
    texts = list(owners)
    vectors, fresh = embed_passages_cached(embedder, texts, cache, progress)
    dense = DenseIndex.build(vectors, list(owners.values()), len(docs))
    meta = IndexMeta(
        model_id=embedder.model_id,
        dim=embedder.dim,
        catalogue_hash=catalogue.content_hash,
        num_docs=len(docs),
        num_vectors=dense.size,
        dense_kind=dense.kind,
        built_at=time.time(),
        build_seconds=round(time.perf_counter() - started, 3),
        new_embeddings=fresh,
    )
    return KnowledgeIndex(docs, lexical, dense, meta)


def save_index(index: KnowledgeIndex, root: Path) -> Path:
    """Write ``index`` under ``root`` atomically; return its folder."""
    root.mkdir(parents=True, exist_ok=True)
    final = root / index_key(index.meta.catalogue_hash, index.meta.model_id)
    staging = Path(tempfile.mkdtemp(prefix=".build-", dir=root))
    try:
        index.lexical.save(staging / "lexical")
        index.dense.save(staging)
        (staging / "docs.json").write_text(
            json.dumps([asdict(d) for d in index.docs], ensure_ascii=False), encoding="utf-8"
        )
        (staging / "meta.json").write_text(json.dumps(asdict(index.meta), indent=2))
        if final.exists():
            shutil.rmtree(final)
        os.replace(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _prune(root, keep=final)
    return final


def _prune(root: Path, keep: Path, limit: int = 5) -> None:
    folders = sorted(
        (p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".") and p != keep),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for old in folders[limit - 1 :]:
        shutil.rmtree(old, ignore_errors=True)


def load_index(folder: Path, model_id: str, catalogue_hash: str | None = None) -> KnowledgeIndex:
    """Load an index; refuse one built by another model or for another catalogue."""
    meta_path = folder / "meta.json"
    if not meta_path.exists():
        raise IndexUnavailable(f"no index at {folder}: run `helpdesk index build`")
    try:
        meta = IndexMeta(**json.loads(meta_path.read_text()))
    except (TypeError, ValueError) as exc:
        raise IndexUnavailable(f"unreadable index metadata in {folder}: {exc}") from exc
    if meta.format != FORMAT:
        raise IndexUnavailable(f"index format {meta.format} is outdated; rebuild it")
    if meta.model_id != model_id:
        raise IndexUnavailable(f"index built with {meta.model_id}, not {model_id}; rebuild it")
    if catalogue_hash is not None and meta.catalogue_hash != catalogue_hash:
        raise IndexUnavailable("index is stale: the catalogue changed; rebuild it")
    rows = json.loads((folder / "docs.json").read_text(encoding="utf-8"))
    docs = [DocInfo(**{**d, "names": tuple(d.get("names", ()))}) for d in rows]
    lexical = LexicalIndex.load(folder / "lexical")
    dense = DenseIndex.load(folder, len(docs))
    return KnowledgeIndex(docs, lexical, dense, meta)


def find_index(root: Path, catalogue_hash: str, model_id: str) -> Path:
    return root / index_key(catalogue_hash, model_id)
