"""Reminder letters (relances) as PDF/A-3b on A4, in the family of the other documents, and
their two ways out: printed to a file (sent by post) or mailed through the outbox.

The words and figures come from `dunning.letter` (the core): this module lays them out and
computes nothing. A reminder due today is recorded as sent in the same transaction as its
file or its message (`dunning.record(..., then=...)`): one without the other never happens,
and no level goes twice."""
from pathlib import Path

from reportlab.lib.units import mm
from reportlab.platypus import Spacer

from tui_factu import clock, dunning, fr, mail, permissions
from tui_factu.errors import FactuError

from . import fonts
from .dispatch import _write
from .pdf import ACCENT, _a4, _address, _p, _page_head, _styles, _table


def letter_pdf(view: dict) -> bytes:
    """The letter: the seller, the customer's address block, the level as its subject, the
    words, the table of the invoice(s) and, for a formal notice, what is claimed in all."""
    st = _styles()
    c = view["customer"]
    story = [_page_head(view["seller"], view["title"].upper(), view["number"], view["date"], st), Spacer(1, 8 * mm)]
    addressee = [_p(c.get("name", ""), st["bold"])] + [_p(x, st["base"]) for x in _address(c.get("address"))]
    story.append(_table([["", addressee]], [100 * mm, 80 * mm], [("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story += [Spacer(1, 8 * mm), _p(f"Objet : {view['title']} — facture(s) impayée(s)", st["section"]),
              Spacer(1, 2 * mm), _p(f"Client : {c.get('code', '')}", st["base"]), Spacer(1, 4 * mm),
              _p("Madame, Monsieur,", st["base"]), Spacer(1, 3 * mm), _p(view["text"][0], st["base"]),
              Spacer(1, 4 * mm)]
    rows = [["Facture", "Date", "Échéance", "Retard", "Montant TTC", "Reste dû"]]
    cur = view["currency"]
    rows += [[i["number"], fr.date(i["date"]), fr.date(i["due_date"]), f"{i['days_late']} j",
              fr.amount(i["total"], cur), fr.amount(i["balance"], cur)] for i in view["invoices"]]
    claims = [("Intérêts de retard", view["interest"], cur), ("Indemnité forfaitaire (D441-5)", view["indemnity"], "EUR")]
    claims = [c for c in claims if c[1] is not None]
    apart = [c for c in claims if c[2] != cur]       # the euro indemnity of an invoice in another currency
    rows += [[label, "", "", "", "", fr.amount(amount, code)] for label, amount, code in claims if code == cur]
    rows.append(["Total à régler" if claims else "Reste à régler", "", "", "", "", fr.amount(view["claimed"], cur)])
    total = len(rows) - 1
    rows += [[label, "", "", "", "", fr.amount(amount, code)] for label, amount, code in apart]
    story.append(_table(rows, [34 * mm, 24 * mm, 24 * mm, 18 * mm, 40 * mm, 40 * mm],
                        [("FONTSIZE", (0, 0), (-1, -1), 8.5),
                         ("FONTNAME", (0, 0), (-1, 0), fonts.BOLD), ("FONTNAME", (0, total), (-1, total), fonts.BOLD),
                         ("ALIGN", (3, 0), (-1, -1), "RIGHT"), ("LINEBELOW", (0, 0), (-1, 0), 0.8, ACCENT),
                         ("LINEABOVE", (0, total), (-1, total), 0.8, ACCENT)]))
    for paragraph in view["text"][1:]:
        story += [Spacer(1, 3 * mm), _p(paragraph, st["base"])]
    story += [Spacer(1, 6 * mm), _p(view["seller"].get("name", ""), st["bold"])]
    return _a4(story, view["seller"], f"{view['title']} {view['number']}",
               f"{view['title']} — facture {view['invoices'][0]['number']}")


def write_letter(ref: str, out: str | None = None, folder: Path | None = None) -> tuple[Path, dict]:
    """Writes the letter of REF (as of today). When a reminder is due for it today, this is
    its sending by post: recorded with the file, once. Otherwise a copy of the last level (or
    a courtesy reminder), nothing recorded. Returns (path, view); view["recorded"] says which."""
    on = clock.today()
    view = dunning.letter(ref, on)
    data = letter_pdf(view)
    name = f"relance-{view['number']}.pdf"
    out = out or (str(folder) if folder else None)
    due = [p for p in dunning.due(on) if p["invoice"] == view["invoices"][0]["number"] and p["level"] == view["level"]]
    written = []
    view["recorded"] = bool(dunning.record(due, on, "paper", then=lambda p: written.append(_write(data, name, out))))
    return written[0] if written else _write(data, name, out), view


def send(proposals: list[dict], password: str | None = None) -> list[dict]:
    """Mails today's reminders, each with its letter, to the customer's e-mail: recorded and
    queued together, then sent (a server that is down leaves them in the outbox, sent later by
    `tui-factu mail --outbox --retry`, once). Per proposal: its fields, `state` (sent,
    pending, failed, sending: the outbox's; refused: nothing recorded) and a French `message`."""
    permissions.require("payment.collect")          # a refusal for the whole run, not one per reminder
    if not proposals:
        return []
    on = clock.today()
    password = mail.require_password(password)      # refused here, before anything is recorded
    report, ids = [], {}
    for p in proposals:
        row = {k: p[k] for k in ("invoice", "level", "days_late", "balance")}
        queued = []
        try:
            data = letter_pdf(dunning.letter(p["invoice"], on, p["level"], known=p))
            done = dunning.record([p], on, "mail", then=lambda p: queued.append(
                mail.queue(mail.prepare(p["invoice"], "reminder", letter=p["level"]), data)))
        except FactuError as e:
            if e.field == "messagerie":                 # not configured: nothing can go, say it once
                raise
            report.append({**row, "state": "refused", "message": str(e)})
            continue
        if done:
            ids[queued[0].id] = row
            report.append(row)
    for sent in mail.send_pending(list(ids), password) if ids else []:
        ids[sent["id"]].update(state=sent["state"], message=sent["message"], to=sent["to"])
    return report
