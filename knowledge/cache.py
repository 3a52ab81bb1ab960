"""On-disk cache of passage embeddings, keyed by model id and text hash.

Re-indexing after a one-procedure edit then embeds only the changed texts.
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import numpy as np

from knowledge.embed import Embedder, Vectors
from knowledge.progress import Progress, silent


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


class EmbeddingCache:
    """A small SQLite table ``(model, key) -> float32 vector``."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS embeddings ("
            " model TEXT NOT NULL, key TEXT NOT NULL, vec BLOB NOT NULL,"
            " PRIMARY KEY (model, key))"
        )

    def get_many(self, model: str, keys: list[str]) -> dict[str, Vectors]:
        found: dict[str, Vectors] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(
                f"SELECT key, vec FROM embeddings WHERE model = ? AND key IN ({marks})",
                [model, *chunk],
            )
            for key, blob in rows:
                found[key] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_many(self, model: str, items: dict[str, Vectors]) -> None:
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO embeddings (model, key, vec) VALUES (?, ?, ?)",
                [(model, k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in items.items()],
            )

    def close(self) -> None:
        self._db.close()


CHUNK = 256


def embed_passages_cached(
    embedder: Embedder,
    texts: list[str],
    cache: EmbeddingCache | None,
    progress: Progress = silent,
) -> tuple[Vectors, int]:
    """Embed passages, reusing cached vectors; return the matrix and how many were new."""
    if not texts:
        return np.zeros((0, embedder.dim), dtype=np.float32), 0
    keys = [text_key(t) for t in texts]
    known = cache.get_many(embedder.model_id, list(set(keys))) if cache else {}
    missing = list(dict.fromkeys(k for k in keys if k not in known))
    first_text = {k: t for k, t in zip(keys, texts, strict=True)}
    # stored chunk by chunk: an interrupted large build keeps what it has embedded
    progress("embed", 0, len(missing))
    for start in range(0, len(missing), CHUNK):
        chunk = missing[start : start + CHUNK]
        fresh = embedder.embed_passages([first_text[k] for k in chunk])
        new = dict(zip(chunk, fresh, strict=True))
        if cache:
            cache.put_many(embedder.model_id, new)
        known.update(new)
        progress("embed", start + len(chunk), len(missing))
    matrix = np.vstack([known[k] for k in keys]).astype(np.float32)
    return matrix, len(missing)
