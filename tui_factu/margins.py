"""Margin and markup from the cost price each line keeps (snapshot at the time of sale).
Shown to the roles allowed to see costs, never printed; lines sold below cost or under the
margin floor are flagged before validation."""
from decimal import Decimal

from . import permissions
from .models import Setting
from .documents.kinds import PRICED_LINE_KINDS
from .money import HUNDRED, ZERO, fmt2, round_cents, round_to


def allowed(user: str | None = None) -> bool:
    """Costs and margins are shown to the roles that may see them (a margin is never printed)."""
    return permissions.allowed("costs.see", user=user)


def floor_percent() -> Decimal:
    row = Setting.get_or_none(Setting.key == "margin.floor_percent")
    return Decimal(row.value) if row else ZERO


def of_lines(lines) -> dict:
    """lines: objects or dicts with kind, quantity, net_amount (or net), cost_price, description."""
    floor = floor_percent()
    out, total_net, total_cost, flags = [], ZERO, ZERO, []
    for i, ln in enumerate(lines, start=1):
        get = (ln.get if isinstance(ln, dict) else lambda k, d=None, o=ln: getattr(o, k, d))
        if get("kind") not in PRICED_LINE_KINDS or get("cost_price") is None:
            continue
        net = get("net_amount")
        cost = round_cents(get("quantity") * get("cost_price"))
        margin = net - cost
        exact = margin / net * HUNDRED if net else ZERO
        rate = round_to(exact, 1)
        markup = round_to(margin / cost * HUNDRED, 1) if cost else None
        out.append({"position": get("position", i), "cost": fmt2(cost), "margin": fmt2(margin),
                    "rate": str(rate), "markup": None if markup is None else str(markup)})
        total_net += net
        total_cost += cost
        if net > 0 and margin < 0:
            flags.append(f"ligne {get('position', i)} ({get('description', '')[:30]}) vendue à perte ({fmt2(margin)} €)")
        elif net > 0 and exact < floor:                  # the exact rate: 9.95 % is under a 10 % floor
            flags.append(f"ligne {get('position', i)} ({get('description', '')[:30]}) sous la marge plancher "
                         f"({rate} % < {floor} %)")
    margin = total_net - total_cost
    return {"lines": out, "cost": fmt2(total_cost), "margin": fmt2(margin),
            "rate": str(round_to(margin / total_net * HUNDRED, 1)) if total_net else "0",
            "flags": flags}
