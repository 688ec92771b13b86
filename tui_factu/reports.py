"""Figures that follow the business, aggregated in SQL over the stored totals."""
import datetime as dt

from peewee import fn

from .models import Document
from .money import sum_of

OPEN_INVOICE = ("validated", "partly_paid")


def dashboard(today: dt.date | None = None) -> dict:
    """The home screen: what happened today and what needs doing."""
    today = today or dt.date.today()
    D = Document

    def count_and_sum(where, field=D.grand_total):
        return D.select(fn.COUNT(D.id), sum_of(field)).where(where).tuples().get()

    sold_n, sold = count_and_sum((D.kind == "invoice") & (D.status != "draft") & (D.date == today),
                                 D.tax_basis_total)
    credited_n, credited = count_and_sum((D.kind == "credit_note") & (D.status != "draft") & (D.date == today),
                                         D.tax_basis_total)
    return {
        "today": today,
        "sales_today": (sold_n, sold - credited),
        "quotes_expiring": count_and_sum((D.kind == "quote") & (D.status == "validated")
                                         & (D.validity_date >= today)
                                         & (D.validity_date <= today + dt.timedelta(days=7))),
        "orders_to_deliver": count_and_sum((D.kind == "order") & D.status.in_(("validated", "partial"))),
        "deliveries_to_invoice": count_and_sum((D.kind == "delivery") & (D.status == "validated")),
        "overdue": count_and_sum((D.kind == "invoice") & D.status.in_(OPEN_INVOICE) & (D.due_date < today),
                                 D.due),
        "drafts": count_and_sum(D.status == "draft"),
    }
