"""Tables on the terminal: a wide table folded into as many tables as the console's width
needs, each repeating the row names, with headers wrapped at their words and no cell cut."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

# A column's cost beyond its text in rich's default table: one space of padding each side
# and the border on its left; the table's right border once.
COLUMN_EXTRA, TABLE_EXTRA = 3, 1


def _min_width(header: str, cells: Sequence[str]) -> int:
    """The narrowest a column can be: its widest cell whole, its header's longest word."""
    return max([len(word) for word in header.split()] + [len(c) for c in cells] + [1])


def _natural_width(header: str, cells: Sequence[str]) -> int:
    """The width that shows the column's header on one line."""
    return max(len(header), _min_width(header, cells))


def column_groups(
    header: Sequence[str], rows: Sequence[Sequence[str]], width: int
) -> list[list[int]]:
    """The columns after the first (the row names) in order, split into groups that fit in
    ``width`` with the first repeated in each; a column wider than that alone gets its own."""
    widths = [_min_width(h, [row[i] for row in rows]) for i, h in enumerate(header)]
    base = TABLE_EXTRA + COLUMN_EXTRA + _natural_width(header[0], [row[0] for row in rows])
    groups: list[list[int]] = [[]]
    used = base
    for i in range(1, len(header)):
        cost = widths[i] + COLUMN_EXTRA
        if groups[-1] and used + cost > width:
            groups.append([])
            used = base
        groups[-1].append(i)
        used += cost
    return groups


def group_widths(
    header: Sequence[str], rows: Sequence[Sequence[str]], group: Sequence[int], width: int
) -> dict[int, int]:
    """Each column's width in one table: its narrowest, then the room left given to the
    headers that need the least of it to show on one line."""
    cells = {i: [row[i] for row in rows] for i in group}
    widths = {i: _min_width(header[i], cells[i]) for i in group}
    base = TABLE_EXTRA + COLUMN_EXTRA + _natural_width(header[0], [row[0] for row in rows])
    spare = width - base - sum(w + COLUMN_EXTRA for w in widths.values())
    wants = {i: _natural_width(header[i], cells[i]) - widths[i] for i in group}
    for i in sorted(group, key=lambda i: wants[i]):
        give = max(0, min(spare, wants[i]))
        widths[i] += give
        spare -= give
    return widths


def fitted_tables(
    title: str, header: Sequence[str], rows: Sequence[Sequence[str]], width: int
) -> list[Table]:
    """``rows`` under ``header`` as rich tables of at most ``width`` columns: the first
    column (left-aligned names) in each, the others (right-aligned) as many as fit, headers
    wrapped between their words, no cell cut; the first table has the title, the others
    say they go on."""
    tables = []
    for k, group in enumerate(column_groups(header, rows, width)):
        name = title if k == 0 else f"{title} (continued)"
        table = Table(title=name, title_justify="left")
        table.add_column(header[0], justify="left", no_wrap=True)
        for i, w in group_widths(header, rows, group, width).items():
            table.add_column(header[i], justify="right", width=w)
        for row in rows:
            table.add_row(row[0], *(row[i] for i in group))
        tables.append(table)
    return tables


def table_console(piped_width: int = 200) -> Console:
    """The console for a table on stdout: the terminal's width, or ``piped_width`` when
    stdout is piped or redirected (a file gets room for every column)."""
    return Console() if Console().is_terminal else Console(width=piped_width)


def print_table(
    console: Console, title: str, header: Sequence[str], rows: Sequence[Sequence[str]]
) -> None:
    """The table on ``console``, folded into tables that fit its width."""
    for table in fitted_tables(title, header, rows, console.width):
        console.print(table)
