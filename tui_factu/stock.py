"""Stock moves: a validated delivery (or an invoice that delivers at the counter) takes goods
out; a credit note with returned goods puts them back. The quantity on hand is the sum of the
moves, never a counter that could drift."""
from .money import ZERO, sum_of
from .models import Product, StockMove


def move(product_id: int, quantity, date, reason: str, document_id=None, line_id=None) -> None:
    StockMove.create(product=product_id, quantity=quantity, date=date, reason=reason,
                     document=document_id, line=line_id)


def on_hand(product_id: int):
    return StockMove.select(sum_of(StockMove.quantity)).where(StockMove.product == product_id).scalar()


def on_hand_many(product_ids) -> dict:
    rows = (StockMove.select(StockMove.product, sum_of(StockMove.quantity))
            .where(StockMove.product.in_(list(product_ids))).group_by(StockMove.product).tuples())
    out = {pid: ZERO for pid in product_ids}
    out.update(dict(rows))
    return out


def stock_managed(product_id: int | None) -> bool:
    if product_id is None:
        return False
    p = Product.get_or_none(Product.id == product_id)
    return bool(p and p.stock_managed)
