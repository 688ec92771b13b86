"""Stock moves: a validated delivery (or an invoice that delivers at the counter) takes goods
out; a credit note with returned goods puts them back. The quantity on hand is the sum of the
moves, never a counter that could drift."""
from .money import ZERO, sum_of
from .db import prepared
from .models import Product, StockMove


def move(product_id: int, quantity, date, reason: str, document_id=None, line_id=None) -> None:
    StockMove.create(product=product_id, quantity=quantity, date=date, reason=reason,
                     document=document_id, line=line_id)


def move_many(moves) -> None:
    """moves: (product_id, signed quantity, date, reason, document_id, line_id)"""
    if moves:
        StockMove.insert_many([{"product": p, "quantity": q, "date": d, "reason": r, "document": doc,
                                "line": ln} for p, q, d, r, doc, ln in moves]).execute()


def on_hand(product_id: int):
    return StockMove.select(sum_of(StockMove.quantity)).where(StockMove.product == product_id).scalar()


def on_hand_many(product_ids) -> dict:
    rows = (StockMove.select(StockMove.product, sum_of(StockMove.quantity))
            .where(StockMove.product.in_(list(product_ids))).group_by(StockMove.product).tuples())
    out = {pid: ZERO for pid in product_ids}
    out.update(dict(rows))
    return out


def inventory_levels() -> dict:
    """product -> quantity set by inventory moves alone, before any document moved it: what the
    exchange format's `stock` means, so that export then import gives the same stock."""
    rows = (StockMove.select(StockMove.product, sum_of(StockMove.quantity))
            .where(StockMove.document.is_null()).group_by(StockMove.product).tuples())
    return dict(rows)


def managed_among(product_ids) -> set:
    out = set()
    for pid in product_ids:
        row = prepared("product.managed", lambda i: Product.select(Product.stock_managed)
                       .where(Product.id == i), int(pid))
        if row and row[0][0]:
            out.add(pid)
    return out
