"""The dense channel: a faiss inner-product index over several short texts per document.

Each procedure contributes a few short texts (name, English name and summary, colloquial
aliases); a document's dense score is the best score of its texts. A text that several
procedures share (the same name at two levels of government, a shared English summary) is
stored once, with every procedure that owns it. Below ``IVF_THRESHOLD`` vectors the search is
exhaustive (flat, vectors kept as 16-bit floats); above it, an IVF index trades a little
recall for speed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import faiss
import numpy as np
import numpy.typing as npt

from knowledge.embed import Vectors

IVF_THRESHOLD = 50_000
NPROBE = 16

Ints = npt.NDArray[np.int32]


def choose_index(vectors: Vectors) -> faiss.Index:
    """Flat for a province-sized catalogue, IVF (trained on the vectors) beyond that."""
    count, dim = vectors.shape
    if count < IVF_THRESHOLD:
        # exhaustive, with vectors stored as 16-bit floats: half the memory to scan per query
        flat = faiss.IndexScalarQuantizer(
            dim, faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT
        )
        flat.train(vectors)
        return flat
    nlist = int(4 * math.sqrt(count))
    quantizer = faiss.IndexFlatIP(dim)
    index = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
    rng = np.random.default_rng(0)
    sample = vectors[rng.choice(count, size=min(count, nlist * 40), replace=False)]
    index.train(sample)
    index.nprobe = NPROBE
    return index


def set_search_threads(threads: int) -> None:
    """How many threads faiss uses (process-wide; OpenMP would otherwise take every core)."""
    faiss.omp_set_num_threads(max(1, threads))


class DenseIndex:
    """Vectors in faiss plus their owners: vector ``v`` belongs to the documents
    ``owner_docs[owner_start[v]:owner_start[v + 1]]``."""

    def __init__(
        self, index: faiss.Index, owner_start: Ints, owner_docs: Ints, num_docs: int
    ) -> None:
        if len(owner_start) != index.ntotal + 1:
            raise ValueError(f"{index.ntotal} vectors but {len(owner_start) - 1} owner lists")
        self._index = index
        self._start = owner_start
        self._docs = owner_docs
        self.num_docs = num_docs

    @property
    def kind(self) -> str:
        return "ivf" if isinstance(self._index, faiss.IndexIVF) else "flat"

    @property
    def size(self) -> int:
        return int(self._index.ntotal)

    def owners(self, vid: int) -> list[int]:
        """The documents that own vector ``vid``, in document order."""
        owned: list[int] = self._docs[self._start[vid] : self._start[vid + 1]].tolist()
        return owned

    @classmethod
    def build(cls, vectors: Vectors, owners: Sequence[Sequence[int]], num_docs: int) -> DenseIndex:
        """``owners[v]`` lists the documents whose text vector ``v`` embeds."""
        if len(owners) != len(vectors):
            raise ValueError(f"{len(vectors)} vectors but {len(owners)} owner lists")
        index = choose_index(vectors)
        index.add(vectors)
        start = np.zeros(len(owners) + 1, dtype=np.int32)
        start[1:] = np.cumsum([len(o) for o in owners])
        docs = np.fromiter((d for o in owners for d in sorted(o)), dtype=np.int32, count=start[-1])
        return cls(index, start, docs, num_docs)

    def save(self, folder: Path) -> None:
        faiss.write_index(self._index, str(folder / "vectors.faiss"))
        np.save(folder / "owner_start.npy", self._start)
        np.save(folder / "owner_docs.npy", self._docs)

    @classmethod
    def load(cls, folder: Path, num_docs: int) -> DenseIndex:
        index = faiss.read_index(str(folder / "vectors.faiss"))
        if isinstance(index, faiss.IndexIVF):
            index.nprobe = NPROBE
        start = np.load(folder / "owner_start.npy")
        return cls(index, start, np.load(folder / "owner_docs.npy"), num_docs)

    def search(self, queries: Vectors, depth: int) -> dict[int, float]:
        """Best cosine per document: for every query vector, its nearest ``depth`` vectors,
        taken in order until ``depth`` documents have a score."""
        depth = max(1, depth)
        scores, ids = self._index.search(queries, max(1, min(depth, self.size)))
        best: dict[int, float] = {}
        for row_scores, row_ids in zip(scores.tolist(), ids.tolist(), strict=True):
            found: set[int] = set()
            for score, vid in zip(row_scores, row_ids, strict=True):
                if vid < 0:
                    break
                # a text shared by many documents gives them one score; like any tie at the
                # cut, only the first of them (in document order) are kept
                for doc in self.owners(vid):
                    if doc not in found:
                        if len(found) >= depth:
                            break
                        found.add(doc)
                    if score > best.get(doc, -1.0):
                        best[doc] = score
                if len(found) >= depth:
                    break
        return best
