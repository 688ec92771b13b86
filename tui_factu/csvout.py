"""Rows of a report to CSV, streamed (constant memory), plain or French (semicolons, decimal
commas, a BOM so that a French spreadsheet opens it right)."""
import csv
import re

from . import files

_DECIMAL = re.compile(r"-?\d+\.\d+")


def write(rows, path: str, french: bool = False) -> int:
    n = 0
    with files.replacing(path, "CSV", "--csv") as tmp:
        with open(tmp, "w", newline="", encoding="utf-8-sig" if french else "utf-8") as f:
            writer = None
            for r in rows:
                if writer is None:
                    writer = csv.DictWriter(f, fieldnames=list(r), delimiter=";" if french else ",")
                    writer.writeheader()
                writer.writerow({k: (v.replace(".", ",") if french and isinstance(v, str) and _DECIMAL.fullmatch(v)
                                     else v) for k, v in r.items()})
                n += 1
    return n
