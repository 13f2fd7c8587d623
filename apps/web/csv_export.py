"""The one way the product writes CSV: every cell opens in a spreadsheet as text or as a number, never as a formula.

PR titles, logins, repository and branch names are written by anyone who can open a pull request. Excel, LibreOffice
and Google Sheets run a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return as a formula
(``=HYPERLINK(...)`` sends the sheet's data away when clicked). As OWASP's "CSV Injection" page describes, such a
text cell gets a leading single quote (a spreadsheet shows the rest as text) and every text cell is quoted; numbers
are written bare, so they stay numbers.
"""

from __future__ import annotations

import csv
import numbers
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, Protocol

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Cell = str | int | float | Decimal | None


class _Writable(Protocol):
    def write(self, value: str, /) -> Any: ...


def csv_cell(value: Cell) -> str | int | float | Decimal:
    """A number as it is; anything else as text, with a leading ``'`` when a spreadsheet would read it as a formula."""
    if isinstance(value, numbers.Number) and not isinstance(value, bool):
        return value
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class SpreadsheetSafeWriter:
    """``csv.writer`` that passes every cell through ``csv_cell`` and quotes every text cell (``QUOTE_NONNUMERIC``)."""

    def __init__(self, file: _Writable) -> None:
        self._writer = csv.writer(file, quoting=csv.QUOTE_NONNUMERIC)

    def writerow(self, cells: Iterable[Cell]) -> Any:
        """Returns what the file's ``write`` returned (the line, for a streaming response's echo file)."""
        return self._writer.writerow([csv_cell(cell) for cell in cells])


class Echo:
    """A file-like object whose ``write`` returns the line, so ``SpreadsheetSafeWriter`` feeds a streaming response."""

    def write(self, value: str) -> str:
        return value
