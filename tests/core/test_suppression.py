"""Small-number suppression: under five hidden, and any cell that would give it back."""

from core.suppression import hidden_cells, suppressed


def test_four_is_hidden_five_is_shown_and_zero_names_no_one():
    assert suppressed([[4, 5, 0, 1, 12]]) == [["<5", 5, 0, "<5", 12]]


def test_a_row_with_a_total_hides_the_next_smallest_part_too():
    # 3 + 7 + 9 = 19: with 3 hidden alone, 19 - 7 - 9 gives it back; 7 is hidden with it
    assert suppressed([[3, 7, 9, 19]], row_totals=True) == [["<5", "<5", 9, 19]]


def test_two_small_parts_need_no_more():
    assert suppressed([[3, 2, 9, 14]], row_totals=True) == [["<5", "<5", 9, 14]]


def test_a_lone_part_beside_its_total_hides_the_total():
    assert suppressed([[3, 3]], row_totals=True) == [["<5", "<5"]]
    assert suppressed([[0, 6, 6]], row_totals=True) == [[0, 6, 6]]


def test_column_totals_are_protected_too_and_the_rule_repeats_until_stable():
    counts = [
        [2, 8, 10],
        [6, 9, 15],
        [8, 17, 25],
    ]
    hidden = hidden_cells(counts, row_totals=True, column_totals=True)
    # 2 hidden; its row hides 8, its column hides 6; then 6's row hides 9, 8's column hides 9
    assert {(0, 0), (0, 1), (1, 0), (1, 1)} <= hidden
    rows = [[(r, c) for c in range(3)] for r in range(3)]
    columns = [[(r, c) for r in range(3)] for c in range(3)]
    for line in rows + columns:
        assert sum(cell in hidden for cell in line) != 1, line
