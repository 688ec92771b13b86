"""What the commands print besides their own lines, in one place: JSON, plain tables, and rows
made ready for them."""
import json


def print_json(data) -> None:
    """A list on one line (one document per line with `jq -c`), an object indented."""
    print(json.dumps(data, ensure_ascii=False, indent=None if isinstance(data, list) else 2))


def print_table(rows: list[dict]) -> None:
    """Rows as columns: the keys of the first row, then one line per row."""
    if rows:
        keys = list(rows[0])
        print("  ".join(keys))
        for r in rows:
            print("  ".join(str(r.get(k, "")) for k in keys))
    else:
        print("(aucune ligne)")


def backorder_rows(customer_id=None) -> list[dict]:
    """The backorders (`backorders --json`, `report backorders`), quantities as strings."""
    from .. import documents
    return [{**r, "ordered": str(r["ordered"]), "remaining": str(r["remaining"])}
            for r in documents.backorders(customer_id)]
