from __future__ import annotations

import pytest

from knowledge.fusion import reciprocal_rank_fusion


def test_items_ranked_well_by_both_lists_win() -> None:
    fused = reciprocal_rank_fusion([["a", "b", "c"], ["b", "c", "a"]], k=60)
    assert [item for item, _ in fused] == ["b", "a", "c"]


def test_scores_are_sums_of_reciprocal_ranks() -> None:
    fused = dict(reciprocal_rank_fusion([["x", "y"], ["y"]], k=10))
    assert fused["x"] == pytest.approx(1 / 11)
    assert fused["y"] == pytest.approx(1 / 12 + 1 / 11)


def test_an_item_in_one_list_only_still_counts() -> None:
    fused = reciprocal_rank_fusion([["a"], ["b", "c"]], k=60)
    assert {item for item, _ in fused} == {"a", "b", "c"}


def test_ties_keep_first_seen_order_and_empty_input_is_empty() -> None:
    fused = reciprocal_rank_fusion([["a", "b"], ["b", "a"]], k=60)
    assert [item for item, _ in fused] == ["a", "b"]
    assert reciprocal_rank_fusion([]) == []
