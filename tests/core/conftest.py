"""Fixtures the core tests share."""
import pytest

from tui_factu import documents, payments


@pytest.fixture
def invoices(shop):
    """Five open invoices: C1 30.00, 49.50, 42.00; P1 20.99, 60.00."""
    made = {}
    for key, customer, product, qty, day in (("a", "C1", "VIS", "2", "2026-11-02"), ("b", "C1", "MO", "1", "2026-11-03"),
                                             ("c", "C1", "DEPL", "1", "2026-11-04"),
                                             ("d", "P1", "LIVRE", "1", "2026-11-05"),
                                             ("e", "P1", "VIS", "4", "2026-11-06")):
        made[key] = documents.validate(documents.create("invoice", customer, day,
                                                        [{"product": product, "quantity": qty}]).id)
    assert [str(payments.balance(made[k])) for k in "abcde"] == ["30.00", "49.50", "42.00", "20.99", "60.00"]
    return made
