"""The editor's daily actions beyond typing codes (issue #16): on a draft, its header (validity or
due date, reference, notes), a free priced line, a subtotal line, a line's VAT rate, allowances
and charges on the whole document; on a validated document, paying several invoices of the
customer at once, refunding a credit note, cancelling a payment, invoicing several delivery
notes together.

A mixin of EditorScreen: screens/editor.py binds the keys, here are the dialogs and what they
ask of the core. Every write goes through the editor's `_write` (a worker, the busy line); the
core checks the permissions and its French refusal is shown as it is."""
from decimal import Decimal

from tui_factu import catalog, documents, fr, payments
from tui_factu.documents.kinds import PAYMENT_STATUSES, PRICED_LINE_KINDS
from tui_factu.errors import FactuError

from ..pickers import Choice, Confirm, Form
from .dialogs import Tick, field_error

ZERO = Decimal(0)
# the date a user sets on a draft, per kind (the core fills it at validation when left empty)
HEADER_DATES = {"quote": ("validity_date", "Valable jusqu'au (JJ/MM/AAAA, vide : 30 jours)"),
                "invoice": ("due_date", "Échéance (JJ/MM/AAAA, vide : selon les conditions de paiement)"),
                "credit_note": ("due_date", "Échéance (JJ/MM/AAAA)")}
REFUND_METHODS = ("cash", "card", "cheque", "transfer")


def _decimal(values: dict, key: str, label: str) -> Decimal:
    return field_error(key, lambda: documents.to_decimal(values[key], label))


def priced_line(ln: dict, values: dict) -> dict:
    """A priced line as the form changed it (quantity, price, discount, VAT rate, wording), each
    value checked; a refusal names its field (the form stays open on it)."""
    new = dict(ln)
    q = _decimal(values, "quantity", "quantité")
    if q <= 0 and not (ln.get("quantity") is not None and ln["quantity"] < 0):     # a deposit deducted
        raise FactuError("quantité : doit être positive (un retour se fait par un avoir)", "quantity", q)
    price = field_error("unit_price", lambda: catalog.clean_money(values["unit_price"], "prix unitaire"))
    discount = _decimal(dict(values, discount_percent=values.get("discount_percent") or "0"),
                        "discount_percent", "remise")
    if not ZERO <= discount <= 100:
        raise FactuError("remise : entre 0 et 100 %", "discount_percent", discount)
    rate = field_error("vat_rate", lambda: catalog.clean_rate(values["vat_rate"], "TVA"))
    kept = ln.get("vat_category") if ln.get("vat_rate") == rate else None      # Z, E, AE… stay with their rate
    category = field_error("vat_rate", lambda: catalog.clean_category(kept, rate, "TVA"))
    new.update(quantity=q, unit_price=price, discount_percent=discount, vat_rate=rate, vat_category=category,
               description=field_error("description", lambda: catalog.clean_text(
                   "désignation", values["description"], 2000, required=True)))
    return new


class DocumentActions:
    """Mixed into EditorScreen (its lines, header fields, `_write`, `changed`…)."""
    header_extra: dict = {}            # validity/due date and notes as stored
    header_changes: dict = {}          # what the header form changed since (only that is sent)
    adjustments: list = []             # allowances and charges on the whole document
    adjustments_changed = False

    # ---- a draft's lines -----------------------------------------------------------------
    def edit_line(self, i: int) -> None:
        ln = self.lines[i]
        if ln["kind"] not in PRICED_LINE_KINDS:
            fields = [("description", "Texte", ln["description"])]

            def check(v):
                return dict(ln, description=field_error("description", lambda: catalog.clean_text(
                    "texte", v["description"], 2000, required=ln["kind"] != "subtotal")))
        else:
            fields = [("quantity", "Quantité", fr.number(ln["quantity"])),
                      ("unit_price", "Prix unitaire HT", fr.price(ln["unit_price"])),
                      ("discount_percent", "Remise %", fr.number(ln["discount_percent"])),
                      ("vat_rate", "TVA %", fr.number(ln["vat_rate"])),
                      ("description", "Désignation", ln["description"])]

            def check(v):
                return priced_line(ln, v)
        self.app.push_screen(Form(f"Ligne {i + 1}", fields, check), lambda new: new and self._set_line(i, new))

    def _set_line(self, i: int, new: dict) -> None:
        self.lines[i] = new
        self.changed()

    def _usual_rate(self) -> Decimal:
        rates = [ln["vat_rate"] for ln in self.lines if ln["kind"] in PRICED_LINE_KINDS]
        return rates[-1] if rates else Decimal(20)

    def action_free_line(self) -> None:
        """A priced line with no product: wording, quantity, unit price, VAT rate."""
        if self.readonly or self.lines_locked:
            return
        blank = {"kind": "service", "product": None, "code": "", "description": "", "quantity": None,
                 "unit": "C62", "unit_price": None, "discount_percent": ZERO, "vat_rate": None,
                 "vat_category": None, "cost_price": None}
        self.app.push_screen(Form("Ligne libre (sans produit)", [
            ("description", "Désignation", ""), ("quantity", "Quantité", "1"),
            ("unit_price", "Prix unitaire HT", ""), ("vat_rate", "TVA %", fr.number(self._usual_rate()))],
            lambda v: priced_line(blank, v)), self._add_line)

    def _add_line(self, line) -> None:
        if line:
            self.lines.append(line)
            self.changed()
        self.query_one("#code").focus()

    def action_add_subtotal(self) -> None:
        if self.readonly or self.lines_locked:
            return
        self._add_line({"kind": "subtotal", "description": "Sous-total"})

    # ---- a draft's header ----------------------------------------------------------------
    def header_values(self, doc) -> None:
        """The header fields the form shows, as stored (called when the document is read)."""
        self.header_extra = {"validity_date": doc.validity_date, "due_date": doc.due_date, "notes": doc.notes}
        self.header_changes = {}

    def action_header(self) -> None:
        if self.readonly:
            self.notify("Document validé : son en-tête ne change plus.", severity="warning")
            return
        now = dict(self.header_extra, **self.header_changes)
        fields = []
        if self.kind in HEADER_DATES:
            key, label = HEADER_DATES[self.kind]
            fields.append((key, label, fr.date(now.get(key))))
        fields += [("reference", "Référence du client (son bon de commande)", self.query_one("#reference").value),
                   ("notes", "Notes (imprimées sur le document)", now.get("notes") or "")]
        self.app.push_screen(Form("En-tête du document", fields, self._check_header), self._header_set)

    @staticmethod
    def _check_header(v: dict) -> dict:
        out = {}
        for key in ("validity_date", "due_date"):
            if key in v:
                text = v[key].strip()
                out[key] = field_error(key, lambda: documents.parse_date(text, "date")) if text else None
        out["reference"] = field_error("reference", lambda: catalog.clean_text("référence", v["reference"], 100))
        out["notes"] = field_error("notes", lambda: catalog.clean_text("notes", v["notes"], 4000, multiline=True))
        return out

    def _header_set(self, values) -> None:
        if values is None:
            return
        self.query_one("#reference").value = values.pop("reference")       # the header line shows it
        for key, value in values.items():
            if value == (self.header_extra.get(key) or (None if key != "notes" else "")):
                self.header_changes.pop(key, None)
            else:
                self.header_changes = dict(self.header_changes, **{key: value})
        if self.header_changes:
            self.changed()

    def header_payload(self) -> dict:
        """Only what the header form changed: the core writes only that."""
        return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in self.header_changes.items()}

    # ---- allowances and charges on the whole document --------------------------------------
    def adjustments_read(self, rows) -> None:
        self.adjustments = [{"is_charge": a.is_charge, "amount": a.amount, "vat_rate": a.vat_rate,
                             "vat_category": a.vat_category, "reason": a.reason, "vat_group": a.vat_group,
                             "vat_carried": a.vat_carried} for a in rows]
        self.adjustments_changed = False

    def action_adjust(self) -> None:
        if self.readonly or self.lines_locked:
            return
        choices = [("allowance", "Ajouter une remise sur tout le document"),
                   ("charge", "Ajouter des frais (port, emballage…)")]
        choices += [(str(i), f"Retirer : {a['reason'][:30]} {'+' if a['is_charge'] else '−'}"
                             f"{fr.amount(a['amount'], True)} HT") for i, a in enumerate(self.adjustments)]
        self.app.push_screen(Choice("Remises et frais du document", choices), self._adjust)

    def _adjust(self, what) -> None:
        if what is None:
            return
        if what.isdigit():
            self._adjusted([a for i, a in enumerate(self.adjustments) if i != int(what)])
            return
        charge = what == "charge"

        def check(v) -> dict:
            amount = field_error("amount", lambda: catalog.clean_money(v["amount"], "montant", 2))
            if amount <= 0:
                raise FactuError("montant : doit être positif", "amount", amount)
            rate = field_error("vat_rate", lambda: catalog.clean_rate(v["vat_rate"], "TVA"))
            return {"is_charge": charge, "amount": amount, "vat_rate": rate,
                    "vat_category": field_error("vat_rate", lambda: catalog.clean_category(None, rate, "TVA")),
                    "reason": field_error("reason", lambda: catalog.clean_text("motif", v["reason"], 200, required=True))}
        self.app.push_screen(Form("Frais sur le document" if charge else "Remise sur tout le document", [
            ("amount", "Montant HT", ""), ("vat_rate", "TVA %", fr.number(self._usual_rate())),
            ("reason", "Motif (imprimé)", "Frais de port" if charge else "Remise")], check),
            lambda a: a and self._adjusted(self.adjustments + [a]))

    def _adjusted(self, adjustments: list) -> None:
        self.adjustments = adjustments          # a new list: the class's empty one stays empty
        self.adjustments_changed = True
        self.changed()

    def adjustments_payload(self) -> dict:
        """allowances= and charges= for the core, only when they changed here (else it keeps them)."""
        if not self.adjustments_changed:
            return {}
        rows = [(a["is_charge"], {"amount": str(a["amount"]), "vat_rate": str(a["vat_rate"]),
                                  "vat_category": a["vat_category"], "reason": a["reason"]}) for a in self.adjustments]
        return {"allowances": [r for charge, r in rows if not charge], "charges": [r for charge, r in rows if charge]}

    # ---- money on a validated document ---------------------------------------------------
    def action_pay(self) -> None:
        if self.kind == "credit_note" and self.status == "validated":
            self.app.push_screen(Form(f"Imputer l'avoir {self.number} sur une facture", [
                ("invoice", "N° de la facture du même client", ""),
                ("amount", "Montant (vide : tout ce qui se peut)", "")]), self._credit_applied)
            return
        if self.kind != "invoice" or self.status not in ("validated", "partly_paid"):
            self.notify("Seule une facture validée, non soldée, s'encaisse.", severity="warning")
            return
        this = documents.get(self.doc_id)
        open_ = [r for r in documents.listing("invoice", customer_id=this.customer_id,
                                              statuses=("validated", "partly_paid"), limit=50)]
        dues = {r["id"]: payments.balance(documents.get(r["id"])) for r in open_}
        dues[this.id] = payments.balance(this)
        if len(dues) == 1:
            self._pay_form([this.id], dues)
            return
        numbers = {r["id"]: r["number"] for r in open_}
        self.app.push_screen(Tick(f"Factures ouvertes de {self.customer_code} : cocher celles que ce règlement paie", [
            (str(i), f"{numbers.get(i, self.number):<14} reste dû {fr.amount(due, True):>14}", i == this.id)
            for i, due in sorted(dues.items())]),
            lambda ids: ids and self._pay_form([int(i) for i in ids], dues))

    def _pay_form(self, ids: list[int], dues: dict) -> None:
        due = sum((dues[i] for i in ids), ZERO)
        what = self.number if ids == [self.doc_id] else f"{len(ids)} factures"
        self.app.push_screen(Form(f"Encaisser {what} — reste dû {fr.amount(due, True)}", [
            ("amount", "Montant reçu", fr.amount(due)),
            ("method", "Mode : espèces, carte, chèque, virement, avoir client", "espèces"),
            ("reference", "Référence (n° de chèque, virement…)", "")]), lambda v: self._paid(ids, v))

    def _paid(self, ids: list[int], values) -> None:
        if not values:
            return
        doc_id = self.doc_id
        self._write("Encaissement en cours", lambda: payments.pay(ids, values["amount"], values["method"].strip(),
                                                                   reference=values["reference"]),
                    self._payment_done, reload=lambda _: doc_id)

    def _payment_done(self, done) -> None:
        message = f"Règlement n° {done['payment']} : {fr.amount(done['amount'], True)}."
        if len(done.get("allocations") or ()) > 1:
            message += " " + ", ".join(f"{n} : {fr.amount(a, True)}" for n, a in done["allocations"]) + "."
        if done["change"]:
            message += f" Monnaie à rendre : {fr.amount(done['change'], True)}."
        if done["credit"]:
            message += f" Crédit client : {fr.amount(done['credit'], True)}."
        self.notify(message, timeout=10)

    def _credit_applied(self, values) -> None:
        if not values:
            return
        doc_id, invoice, amount = self.doc_id, values["invoice"].strip(), values["amount"].strip() or None

        def do():
            target = documents.resolve(invoice)
            return target, payments.apply_credit(doc_id, target.id, amount)

        def applied(result) -> None:
            target, done = result
            self.notify(f"Avoir imputé : {fr.amount(done['amount'], True)} sur {target.number} ; reste de l'avoir "
                        f"{fr.amount(done['left'], True)}, reste dû {fr.amount(done['balance'], True)}.", timeout=10)
        self._write("Imputation de l'avoir en cours", do, applied)

    def action_payments(self) -> None:
        """The money of a validated document: refund a credit note, cancel one of its payments."""
        if self.status not in PAYMENT_STATUSES or self.kind not in ("invoice", "credit_note"):
            self.notify("Les règlements se voient sur une facture ou un avoir validé.", severity="warning")
            return
        choices = []
        if self.kind == "credit_note":
            left = payments.credit_note_left(documents.get(self.doc_id))
            if left > 0:
                choices.append(("refund", f"Rembourser le client (reste de l'avoir {fr.amount(left, True)})"))
        else:
            for r in payments.of_invoice(self.doc_id):
                amount = documents.to_decimal(r["amount"])
                if amount > 0:
                    choices.append((str(r["payment"]), f"Annuler le règlement n° {r['payment']} du {fr.date(r['date'])}"
                                    f" — {payments.PAYMENT_METHODS.get(r['method'], r['method'])} "
                                    f"{fr.amount(amount, True)}"))
        if not choices:
            self.notify("Aucun règlement à annuler ni reste d'avoir à rembourser.", severity="warning")
            return
        self.app.push_screen(Choice(f"Règlements de {self.number}", choices), self._payment_chosen)

    def _payment_chosen(self, what) -> None:
        if what == "refund":
            self.app.push_screen(Choice(f"Rembourser l'avoir {self.number} par…", [
                (m, payments.PAYMENT_METHODS[m]) for m in REFUND_METHODS]), self._refund_method)
        elif what:
            seq, doc_id = int(what), self.doc_id
            self.app.push_screen(Confirm(f"Annuler le règlement n° {seq} par une contre-passation ? Elle est scellée "
                                         "et ne se défait pas."), lambda ok: ok and self._write(
                "Annulation du règlement en cours", lambda: payments.cancel(seq), self._cancelled,
                reload=lambda _: doc_id))

    def _cancelled(self, done) -> None:
        self.notify(f"Règlement n° {done['cancels']} annulé par le règlement n° {done['payment']}.", timeout=10)

    def _refund_method(self, method) -> None:
        if not method:
            return
        left = payments.credit_note_left(documents.get(self.doc_id))
        doc_id = self.doc_id

        def check(v):
            text = v["amount"].strip()
            return field_error("amount", lambda: catalog.clean_money(text, "montant", 2)) if text else None
        self.app.push_screen(Form(f"Rembourser l'avoir {self.number} — {payments.PAYMENT_METHODS[method]}", [
            ("amount", "Montant (vide : tout le reste)", fr.amount(left))], check),
            lambda amount: amount is not None and self._write(
                "Remboursement en cours", lambda: payments.refund(doc_id, amount, method), self._refunded,
                reload=lambda _: doc_id))

    def _refunded(self, done) -> None:
        self.notify(f"Remboursement de {fr.amount(done['amount'], True)} (règlement n° {done['payment']}) ; "
                    f"reste de l'avoir {fr.amount(done['left'], True)}.", timeout=10)

    # ---- several delivery notes, one invoice -----------------------------------------------
    def deliveries_to_group(self, then) -> None:
        """On a validated delivery note made into an invoice: the customer's other delivery notes
        not yet invoiced may go on the same invoice. then(): the one-document road."""
        this = documents.get(self.doc_id)
        rows = documents.listing("delivery", "validated", this.customer_id, limit=50)
        if len(rows) < 2:
            then()
            return
        doc_id = self.doc_id

        def chosen(ids) -> None:
            if not ids:
                return
            if ids == [str(doc_id)]:
                then()
                return
            self._write("Facture en préparation", lambda: documents.transform(sorted(int(i) for i in ids), "invoice"),
                        self._grouped)
        self.app.push_screen(Tick("Bons de livraison non facturés du client : cocher ceux de la facture", [
            (str(r["id"]), f"{r['number']:<14} {fr.date(r['date'])}  {fr.amount(documents.to_decimal(r['grand_total']), True):>14}",
             r["id"] == doc_id) for r in rows]), chosen)

    def _grouped(self, doc) -> None:
        self.notify(f"Facture brouillon #{doc.id} créée ({len(documents.lines_of(doc.id))} lignes).")
        self.app.open_document(doc.id, "invoice")
