"""The dense channel: a faiss inner-product index over several short texts per document.

Each procedure contributes a few short texts (name, English name and summary, colloquial
aliases); a document's dense score is the best score of its texts. Below ``IVF_THRESHOLD``
vectors the index is exact (flat); above it, an IVF index trades a little recall for speed.
"""

from __future__ import annotations

import math
from pathlib import Path

import faiss
import numpy as np
import numpy.typing as npt

from knowledge.embed import Vectors

IVF_THRESHOLD = 50_000
NPROBE = 16


def choose_index(vectors: Vectors) -> faiss.Index:
    """Flat for a province-sized catalogue, IVF (trained on the vectors) beyond that."""
    count, dim = vectors.shape
    if count < IVF_THRESHOLD:
        return faiss.IndexFlatIP(dim)
    nlist = int(4 * math.sqrt(count))
    quantizer = faiss.IndexFlatIP(dim)
    index = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
    rng = np.random.default_rng(0)
    sample = vectors[rng.choice(count, size=min(count, nlist * 40), replace=False)]
    index.train(sample)
    index.nprobe = NPROBE
    return index


class DenseIndex:
    """Vectors in faiss plus ``owners``: which document each vector belongs to."""

    def __init__(self, index: faiss.Index, owners: npt.NDArray[np.int32], num_docs: int) -> None:
        self._index = index
        self._owners = owners
        self.num_docs = num_docs

    @property
    def kind(self) -> str:
        return "ivf" if isinstance(self._index, faiss.IndexIVF) else "flat"

    @property
    def size(self) -> int:
        return int(self._index.ntotal)

    @classmethod
    def build(cls, vectors: Vectors, owners: list[int], num_docs: int) -> DenseIndex:
        index = choose_index(vectors)
        index.add(vectors)
        return cls(index, np.asarray(owners, dtype=np.int32), num_docs)

    def save(self, folder: Path) -> None:
        faiss.write_index(self._index, str(folder / "vectors.faiss"))
        np.save(folder / "owners.npy", self._owners)

    @classmethod
    def load(cls, folder: Path, num_docs: int) -> DenseIndex:
        index = faiss.read_index(str(folder / "vectors.faiss"))
        if isinstance(index, faiss.IndexIVF):
            index.nprobe = NPROBE
        return cls(index, np.load(folder / "owners.npy"), num_docs)

    def search(self, queries: Vectors, depth: int) -> dict[int, float]:
        """Best cosine per document over the top ``depth`` vectors of every query vector."""
        depth = max(1, min(depth, self.size))
        scores, ids = self._index.search(queries, depth)
        best: dict[int, float] = {}
        for row_scores, row_ids in zip(scores, ids, strict=True):
            for score, vid in zip(row_scores, row_ids, strict=True):
                if vid < 0:
                    continue
                doc = int(self._owners[vid])
                if score > best.get(doc, -1.0):
                    best[doc] = float(score)
        return best
