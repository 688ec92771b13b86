"""Rows of a report to CSV, streamed (constant memory), plain or French (semicolons, decimal
commas, a BOM so that a French spreadsheet opens it right).

A cell that a spreadsheet would read as a formula (= + - @, a tab or a carriage return first:
a customer named "=HYPERLINK(…)") is written with a leading apostrophe, in both formats;
numbers, negative ones included, stay numbers."""
import csv
import re

from . import files

_DECIMAL = re.compile(r"-?\d+\.\d+")
_NUMBER = re.compile(r"-?\d+([.,]\d+)?")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value, french: bool = False):
    if not isinstance(value, str):
        return value
    if french and _DECIMAL.fullmatch(value):
        return value.replace(".", ",")
    if value.startswith(_FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def write(rows, path: str, french: bool = False) -> int:
    n = 0
    with files.writing(path, "CSV", "--csv", "w", newline="", encoding="utf-8-sig" if french else "utf-8") as f:
        writer = None
        for r in rows:
            if writer is None:
                writer = csv.DictWriter(f, fieldnames=list(r), delimiter=";" if french else ",")
                writer.writeheader()
            writer.writerow({k: cell(v, french) for k, v in r.items()})
            n += 1
    return n
