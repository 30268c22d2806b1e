"""The one rule for every text cell the app writes to a file a spreadsheet opens.

A spreadsheet treats a cell starting with = + - @ (or a tab or carriage return) as a formula;
such text is written with a leading single quote so a name or note cannot run as one. The CSV
downloads (ui.download) and the Excel report (kpi.workbook) both apply it; it lives apart so a
page offering a CSV does not load openpyxl.
"""

from __future__ import annotations

READS: frozenset[str] = frozenset()  # no table (every kpi module declares its own)

# Text starting with one of these is a formula to a spreadsheet.
DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value: object) -> object:
    """Return a text value prefixed with a quote when it would start a spreadsheet formula."""
    if isinstance(value, str) and value.startswith(DANGEROUS_PREFIXES):
        return "'" + value
    return value
