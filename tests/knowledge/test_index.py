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
    index = dense.DenseIndex.build(vectors, [[v] for v in range(400)], 400)
    assert index.kind == "ivf"
    best = index.search(vectors[:1], 5)
    assert max(best, key=lambda d: best[d]) == 0


def test_a_text_shared_by_procedures_is_stored_once_and_found_for_each(embedder) -> None:
    # the same procedure name at two levels of government: one vector, two owners
    commune = make_procedure(code="1.000001", name="Đăng ký khai sinh", aliases=[])
    province = make_procedure(code="2.000001", name="Đăng ký khai sinh", aliases=[])
    other = make_procedure(
        code="1.000002",
        name="Đăng ký kết hôn",
        name_en="Marriage registration",
        summary_en="Register a marriage at the commune.",
        aliases=[],
    )
    index = build_index(make_catalogue(commune, province, other), embedder)
    positions = {d.code: i for i, d in enumerate(index.docs)}
    shared_texts = {"Đăng ký khai sinh", "dang ky khai sinh", commune.name_en}
    shared_texts.add(f"{commune.name_en}: {commune.summary_en}")
    own_texts = 4 if other.name_en != commune.name_en else 2
    assert index.dense.size == len(shared_texts) + own_texts
    query = embedder.embed_queries(["đăng ký khai sinh"])
    best = index.dense.search(query, 10)
    assert best[positions["1.000001"]] == best[positions["2.000001"]] > best[positions["1.000002"]]


def test_dense_search_stops_at_depth_documents_even_inside_a_shared_text() -> None:
    vectors = np.eye(3, 8, dtype=np.float32)
    # vector 0 is shared by documents 0..4; vectors 1 and 2 belong to documents 5 and 6
    index = dense.DenseIndex.build(vectors, [[4, 3, 2, 1, 0], [5], [6]], 7)
    query = np.eye(1, 8, dtype=np.float32) + 0.5 * np.eye(1, 8, 1, dtype=np.float32)
    assert index.owners(0) == [0, 1, 2, 3, 4]
    best = index.search(query / np.linalg.norm(query), 3)
    assert sorted(best) == [0, 1, 2]
    wide = index.search(query / np.linalg.norm(query), 6)
    assert sorted(wide) == [0, 1, 2, 3, 4, 5]
    assert wide[5] < wide[0]


def test_a_build_reports_its_progress_to_the_end(tmp_path: Path, embedder, monkeypatch) -> None:
    monkeypatch.setattr("knowledge.cache.CHUNK", 4)
    reports: list[tuple[str, int, int]] = []
    cache = EmbeddingCache(tmp_path / "cache.sqlite")
    index = build_index(small_catalogue(), embedder, cache, lambda *report: reports.append(report))
    embedded = [done for stage, done, total in reports if stage == "embed"]
    assert embedded[0] == 0 and embedded == sorted(embedded) and len(embedded) > 2
    assert reports[-1] == ("embed", index.meta.new_embeddings, index.meta.new_embeddings)
    reports.clear()
    build_index(small_catalogue(), embedder, cache, lambda *report: reports.append(report))
    assert reports == [("embed", 0, 0)]  # everything came from the cache
    cache.close()
