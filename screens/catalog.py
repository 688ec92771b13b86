"""Customers and products: search first, then a form that checks SIREN, VAT, EAN in French."""
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from tui_factu import catalog, fr

from .pickers import Form
from .widgets.base import FactuScreen
from .widgets.field import Field

CUSTOMER_FIELDS = [("code", "Code"), ("name", "Nom ou raison sociale"),
                   ("kind", "Type (company / person / public : acheteur public)"),
                   ("siren", "SIREN"), ("siret", "SIRET"), ("vat_number", "N° TVA intracommunautaire"),
                   ("email", "Email"), ("phone", "Téléphone"), ("line1", "Adresse"), ("postcode", "Code postal"),
                   ("city", "Ville"), ("country", "Pays (FR, BE…)"),
                   ("einvoice_address", "Adresse de facturation électronique (vide : le SIREN)"),
                   ("service_code", "Code service (acheteur public)"),
                   ("payment_terms", "Conditions de paiement : code (30j, 45jfdm, reception… ; vide : société)"),
                   ("payment_terms_days", "Délai de paiement (jours, sans code)"), ("salesperson", "Commercial")]
PRODUCT_FIELDS = [("code", "Code"), ("name", "Désignation"), ("kind", "Type (goods / service / labour / equipment)"),
                  ("unit", "Unité (C62, HUR, KGM…)"), ("price", "Prix de vente HT"), ("cost", "Prix de revient"),
                  ("vat_rate", "Taux de TVA"), ("barcode", "Code-barres EAN"), ("family", "Famille"),
                  ("stock_managed", "Stock géré (oui / non)")]


class Browser(FactuScreen):
    BINDINGS = [Binding("ctrl+n", "new", "Nouveau", id="catalog.new"),
                Binding("ctrl+o", "history", "Historique", id="catalog.history"),
                Binding("escape", "app.pop_screen", "Retour", id="catalog.back")]
    ENTITY = ""

    def action_history(self) -> None:
        """Who changed the highlighted record, when, from what to what."""
        box = self.query_one(OptionList)
        if box.highlighted is None:
            return
        code = box.get_option_at_index(box.highlighted).id
        record = self.record(code)
        self.app.history(self.ENTITY, record.id, code)
    TITLE_TEXT = ""

    def __init__(self, text: str = ""):
        super().__init__()
        self.initial = text

    def compose(self) -> ComposeResult:
        yield Static(f"[b]{self.TITLE_TEXT}[/b] — tapez un code ou une partie du nom", id="title")
        yield Field(self.initial, id="search", placeholder="recherche")
        yield OptionList(id="found")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#search").focus()
        self.search(self.initial)

    @on(Field.Changed, "#search")
    def _typed(self, event) -> None:
        self.search(event.value)

    @on(Field.Submitted, "#search")
    def _enter(self) -> None:
        self.query_one(OptionList).focus()

    @work(thread=True, exclusive=True)
    def search(self, text: str) -> None:
        rows = self.find(text)
        self.app.call_from_thread(self._show, rows)

    def _show(self, rows) -> None:
        box = self.query_one(OptionList)
        box.clear_options()
        box.add_options([Option(label, id=key) for key, label in rows]
                        or [Option("aucun résultat", disabled=True)])
        if rows:
            box.highlighted = 0

    @on(OptionList.OptionSelected)
    def _chosen(self, event) -> None:
        self.edit(event.option.id)

    def action_new(self) -> None:
        self.edit(None)

    def _checked(self, values) -> dict:
        """Saved from the form: a refusal keeps it open, what was typed with it (Form.check)."""
        self.save(values)
        return values

    def _saved(self, values) -> None:
        if values is None:
            return
        self.notify(f"« {values.get('code')} » enregistré.")
        self.search(self.query_one("#search", Field).value)


class CustomersScreen(Browser):
    TITLE_TEXT = "Clients"
    ENTITY = "customer"
    record = staticmethod(catalog.customer_by_code)

    def find(self, text):
        return [(c.code, f"{c.code:<9} {c.name[:36]:<36} {c.postcode:<6} {c.city[:16]}")
                for c in catalog.find_customers(text, 100)]

    def edit(self, code):
        c = catalog.customer_by_code(code) if code else None
        defaults = {"kind": "company", "country": "FR"}
        fields = [(k, label, getattr(c, k) if c else defaults.get(k, "")) for k, label in CUSTOMER_FIELDS]
        self.app.push_screen(Form("Client", fields, self._checked), self._saved)

    def save(self, v):
        data = {k: v[k] for k in ("code", "name", "kind", "siren", "siret", "vat_number", "email", "phone",
                                  "einvoice_address", "service_code", "payment_terms", "payment_terms_days",
                                  "salesperson")}
        data["address"] = {"line1": v["line1"], "postcode": v["postcode"], "city": v["city"],
                           "country": v["country"] or "FR"}
        catalog.save_customer(data)


class ProductsScreen(Browser):
    TITLE_TEXT = "Produits"
    ENTITY = "product"
    record = staticmethod(catalog.product_by_code)

    def find(self, text):
        return [(p.code, f"{p.code:<10} {p.name[:38]:<38} {fr.price(p.price):>10}")
                for p in catalog.find_products(text, 100)]

    def edit(self, code):
        p = catalog.product_by_code(code) if code else None

        def value(k):
            if not p:
                return {"kind": "goods", "unit": "C62", "vat_rate": "20", "stock_managed": "non"}.get(k, "")
            v = getattr(p, k)
            if k == "stock_managed":
                return "oui" if v else "non"
            return fr.number(v, 4).replace(" ", "").replace(",", ".") if k in ("price", "cost", "vat_rate") else v
        fields = [(k, label, value(k)) for k, label in PRODUCT_FIELDS
                  if k != "cost" or self.app.may("costs.see")]       # a cost shown only to who sees costs
        self.app.push_screen(Form("Produit", fields, self._checked), self._saved)

    def save(self, v):
        catalog.save_product(dict(v))
