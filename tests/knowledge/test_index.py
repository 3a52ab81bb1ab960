import json
from pathlib import Path

import numpy as np
import pytest

from helpdesk.errors import IndexUnavailable
from knowledge import dense
from knowledge.cache import EmbeddingCache, embed_passages_cached
from knowledge.index import build_index, find_index, load_index, save_index
from knowledge.search import Searcher
from tests.factories import make_catalogue, make_procedure, small_catalogue


def test_build_save_load_round_trip(tmp_path: Path, embedder) -> None:
    catalogue = small_catalogue()
    index = build_index(catalogue, embedder)
    folder = save_index(index, tmp_path)
    meta = json.loads((folder / "meta.json").read_text())
    assert meta["model_id"] == embedder.model_id
    assert meta["catalogue_hash"] == catalogue.content_hash
    assert meta["num_docs"] == len(catalogue)
    loaded = load_index(folder, embedder.model_id, catalogue.content_hash)
    before = Searcher(index, embedder).search("nhap ho khau")
    after = Searcher(loaded, embedder).search("nhap ho khau")
    assert before.hits[0].code == after.hits[0].code == "1.000004"


def test_refuses_an_index_built_by_another_model(tmp_path: Path, embedder) -> None:
    catalogue = small_catalogue()
    folder = save_index(build_index(catalogue, embedder), tmp_path)
    with pytest.raises(IndexUnavailable, match="built with"):
        load_index(folder, "sentence-transformers/other-model")
    with pytest.raises(IndexUnavailable, match="stale"):
        load_index(folder, embedder.model_id, "another-catalogue-hash")
    assert find_index(tmp_path, catalogue.content_hash, "x") != folder


def test_failed_save_keeps_the_running_index(tmp_path: Path, embedder, monkeypatch) -> None:
    catalogue = small_catalogue()
    index = build_index(catalogue, embedder)
    folder = save_index(index, tmp_path)
    snapshot = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}

    def explode(*_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(index.dense, "save", explode)
    with pytest.raises(OSError):
        save_index(index, tmp_path)
    assert {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()} == snapshot
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".build-")]


def test_embedding_cache_reuses_vectors(tmp_path: Path, embedder) -> None:
    cache = EmbeddingCache(tmp_path / "cache.sqlite")
    texts = ["Đăng ký khai sinh", "Đăng ký kết hôn", "Đăng ký khai sinh"]
    first, fresh = embed_passages_cached(embedder, texts, cache)
    assert fresh == 2
    again, fresh_again = embed_passages_cached(embedder, texts, cache)
    assert fresh_again == 0
    np.testing.assert_allclose(first, again)
    assert first.shape == (3, embedder.dim)


def test_one_procedure_edit_embeds_only_its_texts(tmp_path: Path, embedder) -> None:
    cache = EmbeddingCache(tmp_path / "cache.sqlite")
    catalogue = small_catalogue()
    build_index(catalogue, embedder, cache)
    edited = make_procedure(code="1.000001", aliases=["làm giấy khai sinh", "khai sinh cho con"])
    changed = make_catalogue(edited, *[p for p in catalogue if p.code != "1.000001"])
    index = build_index(changed, embedder, cache)
    assert index.meta.new_embeddings == 1


def test_large_indexes_switch_to_ivf(embedder, monkeypatch) -> None:
    monkeypatch.setattr(dense, "IVF_THRESHOLD", 10)
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(400, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = dense.DenseIndex.build(vectors, list(range(400)), 400)
    assert index.kind == "ivf"
    best = index.search(vectors[:1], 5)
    assert max(best, key=lambda d: best[d]) == 0
