"""The named features of a candidate and of a question's candidate list."""

from knowledge.search import (
    GATE_FEATURES,
    RANK_FEATURES,
    RRF_K,
    GateFeatures,
    RankFeatures,
)


def test_feature_names_are_those_stored_with_the_fitted_weights() -> None:
    # meta.json names the features in this order; another order would drop the fitted weights
    assert RANK_FEATURES == ("dense", "dense_gap", "lexical", "match_share", "both_top", "rrf")
    assert GATE_FEATURES == (
        "dense_best",
        "share_best",
        "coverage",
        "dense_top",
        "share_top",
        "both_channels",
        "name_cover",
    )


def test_candidates_carry_named_features(real_knowledge) -> None:
    searcher = real_knowledge.searcher
    evidence = searcher.evidence("đăng ký khai sinh cần giấy tờ gì")
    candidates = searcher.fuse(evidence)
    assert candidates and all(isinstance(c.features, RankFeatures) for c in candidates)
    dense_best = max(c.features.dense for c in candidates)
    for c in candidates:
        assert c.features.dense_gap == c.features.dense - dense_best
        assert c.features.rrf == c.fused * RRF_K
        assert c.features.both_top in (0.0, 1.0)
        assert 0.0 <= c.features.match_share <= 1.0
    top = searcher.rank(candidates)[0][1]
    chosen = next(c for c in candidates if c.position == top)
    assert searcher.gate_features(evidence, candidates, top) == GateFeatures(
        dense_best=dense_best,
        share_best=max(c.features.match_share for c in candidates),
        coverage=evidence.parsed.coverage,
        dense_top=chosen.features.dense,
        share_top=chosen.features.match_share,
        both_channels=1.0,  # birth registration is found by both channels
        name_cover=searcher.name_cover(evidence.parsed, top),
    )


def test_no_candidate_means_only_the_coverage_is_known(real_knowledge) -> None:
    searcher = real_knowledge.searcher
    evidence = searcher.evidence("khai sinh")
    gate = searcher.gate_features(evidence, [], None)
    assert gate == GateFeatures(0.0, 0.0, evidence.parsed.coverage, 0.0, 0.0, 0.0, 0.0)
    assert gate.coverage == evidence.parsed.coverage


def test_name_cover_tells_a_named_procedure_from_a_near_miss(real_knowledge) -> None:
    searcher = real_knowledge.searcher
    birth = searcher.index.position("1.001193")
    land_after_court = searcher.index.position("1.013980")
    asked = searcher.evidence("đăng ký khai sinh cho con cần giấy tờ gì").parsed
    assert searcher.name_cover(asked, birth) == 1.0
    # "ly hôn" is in one of the land procedure's names, but the question names no part of it
    near_miss = searcher.evidence("thủ tục ly hôn thuận tình nộp đơn ở đâu").parsed
    assert searcher.name_cover(near_miss, land_after_court) < 0.5
    # calibration leaves out the name a question was made from
    alias = "chia sổ đỏ sau ly hôn theo thỏa thuận"
    own = searcher.evidence(alias).parsed
    assert searcher.name_cover(own, land_after_court) == 1.0
    assert searcher.name_cover(own, land_after_court, leave_out=alias) < 1.0
