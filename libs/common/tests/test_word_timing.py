from reelforge.word_timing import fill_untimed


def test_a_run_of_untimed_words_shares_the_gap_by_weight() -> None:
    spans = fill_untimed([(0.0, 1.0), None, None, (4.0, 5.0)], [1, 1, 2, 1], 0.0, 9.0)
    assert spans == [(0.0, 1.0), (1.0, 2.0), (2.0, 4.0), (4.0, 5.0)]


def test_untimed_words_at_the_edges_run_to_the_bounds() -> None:
    assert fill_untimed([None, (2.0, 3.0), None], [1, 1, 1], 1.0, 4.0) == \
        [(1.0, 2.0), (2.0, 3.0), (3.0, 4.0)]


def test_a_neighbour_out_of_order_gives_empty_spans_not_negative_ones() -> None:
    assert fill_untimed([(0.0, 3.0), None, (2.0, 2.5)], [1, 1, 1], 0.0, 5.0) == \
        [(0.0, 3.0), (3.0, 3.0), (2.0, 2.5)]
