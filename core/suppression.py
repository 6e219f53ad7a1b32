"""Small-number suppression: which cells of a table of student counts must not be shown.

Municipality and national figures are shared, so no child may be singled out: a count from 1 to
4 is hidden (shown as "<5"; a zero names no one and stays). A table whose rows end in a total,
or whose last row is the column totals, would let a hidden cell be recovered by subtraction: so
in every such line where exactly one part is hidden, the smallest part still shown is hidden too
(the total itself when no other part is left), over rows and columns until nothing changes.
"""

THRESHOLD = 5
HIDDEN = "<5"


def hidden_cells(
    counts: list[list[int]], *, row_totals: bool = False, column_totals: bool = False
) -> set[tuple[int, int]]:
    """The (row, column) positions to hide. With `row_totals` each row's last cell is the sum of
    the others; with `column_totals` the last row is the sum of the rows above."""
    hidden = {
        (r, c)
        for r, row in enumerate(counts)
        for c, value in enumerate(row)
        if 0 < value < THRESHOLD
    }
    lines: list[list[tuple[int, int]]] = []
    if row_totals:
        lines += [[(r, c) for c in range(len(row))] for r, row in enumerate(counts)]
    if column_totals and counts:
        lines += [[(r, c) for r in range(len(counts))] for c in range(len(counts[0]))]
    changed = True
    while changed:
        changed = False
        for line in lines:
            parts, total = line[:-1], line[-1]
            if total not in hidden and not any(cell in hidden for cell in parts):
                continue
            shown = [cell for cell in line if cell not in hidden]
            if len(line) - len(shown) != 1 or not shown:
                continue
            # One cell of the line is hidden: hide the smallest other one, preferring a part.
            candidates = [cell for cell in shown if cell != total] or shown
            hidden.add(min(candidates, key=lambda cell: counts[cell[0]][cell[1]]))
            changed = True
    return hidden


def suppressed(
    counts: list[list[int]], *, row_totals: bool = False, column_totals: bool = False
) -> list[list[int | str]]:
    """The counts with every hidden cell replaced by "<5"."""
    hidden = hidden_cells(counts, row_totals=row_totals, column_totals=column_totals)
    return [
        [HIDDEN if (r, c) in hidden else value for c, value in enumerate(row)]
        for r, row in enumerate(counts)
    ]
