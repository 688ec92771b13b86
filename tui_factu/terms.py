"""Payment terms as French companies write them, and the due dates they give.

A term is a code: `reception`, `30j` (30 days), `45jfdm` (45 days, then the end of that month),
`30jfdm10` (30 days, end of month, on the 10th of the next), `fdm45` (end of the month, then 45
days), `0/30/60` (three equal instalments), with `+esc2@10` for a 2 % discount paid within 10
days (`fm` is read as `fdm`). Between professionals the law caps them (Code de commerce L441-10 II): 60 days after the
invoice, or 45 days end of month; beyond, the term is refused with the article."""
import calendar
import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

from .errors import InvalidValue
from .money import round_cents

_STEP = re.compile(r"^(?:(?P<rec>reception|0)|(?P<days>\d{1,3})(?:j(?P<eom>fd?m(?P<dom>\d{1,2})?)?)?"
                   r"|fd?m(?P<after>\d{1,3}))$")
_DISCOUNT = re.compile(r"^esc(?P<pct>\d{1,2}(?:[.,]\d{1,2})?)@(?P<days>\d{1,3})$")
LEGAL = "art. L441-10 du Code de commerce"
# the terms offered in lists (any code the grammar reads is accepted too)
COMMON = ("reception", "30j", "45j", "60j", "30jfdm", "45jfdm", "30jfdm10", "fdm30", "0/30/60", "30j+esc2@10")


@dataclass(frozen=True)
class Step:
    days: int = 0
    end_of_month: bool = False      # after the days, the end of that month
    day_of_month: int = 0           # then that day of the next month (le 10)
    after_month_end: int = 0        # « fin de mois + N jours »

    def due(self, issued: dt.date) -> dt.date:
        if self.after_month_end:
            return _end_of_month(issued) + dt.timedelta(days=self.after_month_end)
        day = issued + dt.timedelta(days=self.days)
        if self.end_of_month:
            day = _end_of_month(day)
            if self.day_of_month:
                day = (day + dt.timedelta(days=1)).replace(day=self.day_of_month)
        return day

    def label(self) -> str:
        if self.after_month_end:
            return f"fin de mois + {self.after_month_end} jours"
        if not self.days and not self.end_of_month:
            return "à réception"
        text = f"{self.days} jours" + (" fin de mois" if self.end_of_month else "")
        return text + (f" le {self.day_of_month}" if self.day_of_month else "")


@dataclass(frozen=True)
class Term:
    code: str
    steps: tuple
    discount: tuple | None = None   # (percent, days)

    def due_dates(self, issued: dt.date) -> list[tuple[Decimal, dt.date]]:
        """(share in %, due date) per instalment; the shares sum to 100."""
        n = len(self.steps)
        share = round_cents(Decimal(100) / n)
        shares = [share] * (n - 1) + [Decimal(100) - share * (n - 1)]
        return [(s, step.due(issued)) for s, step in zip(shares, self.steps)]

    def due_date(self, issued: dt.date) -> dt.date:
        return self.due_dates(issued)[-1][1]

    def label(self) -> str:
        """BT-20 as printed: « 45 jours fin de mois », « 3 fois : à réception, 30 jours, 60 jours »."""
        text = self.steps[0].label() if len(self.steps) == 1 else \
            f"{len(self.steps)} fois : " + ", ".join(s.label() for s in self.steps)
        return ("Paiement " if len(self.steps) == 1 else "Paiement en ") + text

    def discount_text(self) -> str:
        """The AAB note: the discount for early payment, or its absence (L441-9)."""
        if not self.discount:
            return "Pas d'escompte pour paiement anticipé."
        pct, days = self.discount
        return f"Escompte de {str(pct).replace('.', ',')} % pour paiement sous {days} jours."

    def check_legal(self, issued: dt.date) -> None:
        """Between professionals: no due date after 60 days, or after 45 days end of month."""
        ceiling = max(issued + dt.timedelta(days=60), _end_of_month(issued + dt.timedelta(days=45)))
        for _, day in self.due_dates(issued):
            if day > ceiling:
                raise InvalidValue("délai de paiement", self.code,
                                   f"échéance le {day.strftime('%d/%m/%Y')} : au-delà de 60 jours après la facture "
                                   f"ou de 45 jours fin de mois ({LEGAL})")


def _end_of_month(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def parse(code: str) -> Term:
    """A term from its code; a French line naming the part that is not understood."""
    text = "".join((code or "").lower().split())
    if not text:
        raise InvalidValue("délai de paiement", code, "code attendu (ex. " + ", ".join(COMMON[:7]) + ")")
    body, _, esc = text.partition("+")
    discount = None
    if esc:
        m = _DISCOUNT.match(esc)
        if not m:
            raise InvalidValue("délai de paiement", code, "escompte : +esc2@10 (2 % sous 10 jours)")
        pct = Decimal(m.group("pct").replace(",", "."))
        if not Decimal(0) < pct < Decimal(100):
            raise InvalidValue("délai de paiement", code, "escompte entre 0 et 100 %")
        discount = (pct, int(m.group("days")))
    steps = []
    for part in body.split("/"):
        m = _STEP.match(part)
        if not m:
            raise InvalidValue("délai de paiement", code, f"« {part} » : reception, 30j, 45jfdm, 30jfdm10, fdm45 "
                                                          "ou des échéances 0/30/60")
        if m.group("rec"):
            steps.append(Step())
        elif m.group("after"):
            steps.append(Step(after_month_end=int(m.group("after"))))
        else:
            dom = int(m.group("dom") or 0)
            if dom and not 1 <= dom <= 28:
                raise InvalidValue("délai de paiement", code, "jour du mois de 1 à 28")
            steps.append(Step(int(m.group("days")), bool(m.group("eom")), dom))
    if len(steps) > 12:
        raise InvalidValue("délai de paiement", code, "12 échéances au plus")
    canonical = re.sub(r"(?<![a-z])fm|jfm", lambda m: m.group(0).replace("fm", "fdm"), text)
    return Term(canonical, tuple(steps), discount)


def clean(code) -> str:
    """A term code checked (empty: none set here)."""
    text = "".join(str(code or "").lower().split())
    return parse(text).code if text else ""


def choose(customer_code: str, customer_days, company_code: str, company_days) -> Term:
    """Which terms an invoice gets: the customer's code, else its number of days, else the
    company's code, else the company's days."""
    if customer_code:
        return parse(customer_code)
    if customer_days is not None:
        return of_days(customer_days)
    if company_code:
        return parse(company_code)
    return of_days(company_days or 0)


def of_days(days: int) -> Term:
    """The older setting, a number of days."""
    return parse("reception" if not days else f"{int(days)}j")
