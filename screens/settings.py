"""Settings: company identity, numbering patterns, printers (with a test print), users, the
Plateforme Agréée (its secret is write-only: typed hidden, never read back, never shown)."""
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from tui_factu import catalog, numbering, pa, printing, settings, users
from tui_factu.errors import FactuError
from tui_factu.permissions import ROLE_LABELS

from .pickers import Choice, Form
from .widgets.base import FactuScreen
from .widgets.field import Field

COMPANY_LABELS = {"name": "Raison sociale", "legal_form": "Forme juridique", "capital": "Capital (€)",
                  "siren": "SIREN", "siret": "SIRET", "rcs_city": "Ville du RCS", "vat_number": "N° TVA",
                  "line1": "Adresse", "line2": "Adresse (suite)", "postcode": "Code postal", "city": "Ville",
                  "country": "Pays", "email": "Email", "phone": "Téléphone", "iban": "IBAN", "bic": "BIC",
                  "payment_terms_days": "Délai de paiement (jours)",
                  "late_penalty_rate": "Pénalités de retard (% l'an, 0 = 3 × taux légal)",
                  "recovery_indemnity": "Mention indemnité 40 €", "vat_on_debits": "TVA sur les débits (oui/non)",
                  "sole_trader": "Entrepreneur individuel EI (oui/non)", "logo_path": "Logo (chemin d'une image)",
                  "always_sign": "Toujours signer les PDF (oui/non)",
                  "einvoice_address": "Adresse de facturation électronique (vide : le SIREN)",
                  "vat_franchise": "Franchise en base de TVA, art. 293 B (oui/non)",
                  "vat_exemption": "Article des opérations exonérées (ex. art. 261-4-4° du CGI)"}
ITEMS = [("company", "Identité de la société"), ("numbering", "Numérotation des pièces"),
         ("printers", "Imprimantes thermiques (ajout, test)"), ("users", "Utilisateurs et rôles"),
         ("business", "Réglages commerciaux (marge plancher, remise maximale, temps)"),
         ("pa", "Plateforme agréée (facture électronique)")]
SECRET_SET = "••• (enregistré)"


class SecretForm(Form):
    """A form whose `secret` field hides what is typed and starts empty whatever is stored."""

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#f-secret", Field).password = True


class SettingsScreen(FactuScreen):
    BINDINGS = [Binding("escape", "app.pop_screen", "Retour", id="settings.back")]

    def __init__(self, item: str = ""):
        super().__init__()
        self.item = item            # a form to open at once (the palette's « Plateforme agréée »)

    def compose(self) -> ComposeResult:
        yield Static("[b]Paramètres[/b]", id="title")
        yield OptionList(*[Option(label, id=key) for key, label in ITEMS], id="items")
        yield Static("", id="detail")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()
        self.show_detail()
        if self.item in dict(ITEMS):
            getattr(self, f"edit_{self.item}")()

    def show_detail(self) -> None:
        found = printing.printers()
        lines = ["Imprimantes : " + (", ".join(f"{n} ({c.get('url')})" for n, c in found.items()) or "aucune"),
                 "Utilisateurs : " + ", ".join(f"{u.name} ({u.role})" for u in users.listing()),
                 "Numérotation : " + "  ".join(f"{s} {numbering.pattern(s)}" for s in numbering.SERIES)]
        p = pa.configured()
        lines.append("Plateforme agréée : " + (f"{p['url']} (client {p['client_id']}, secret "
                                               f"{SECRET_SET if p['secret_set'] else 'absent'})"
                                               if p["url"] else "non configurée")
                     + f" — adresse électronique (BT-34) : {catalog.company().einvoice_address or 'le SIREN'}")
        self.query_one("#detail", Static).update("\n".join(lines))

    @on(OptionList.OptionSelected)
    def _open(self, event) -> None:
        getattr(self, f"edit_{event.option.id}")()

    def _apply(self, fn, values) -> None:
        if values is None:
            return
        try:
            fn(values)
        except FactuError as e:
            self.notify(str(e), severity="error", timeout=8)
            return
        self.notify("Enregistré.")
        self.show_detail()

    def edit_company(self) -> None:
        c = catalog.company()

        def value(k):
            v = getattr(c, k)
            return ("oui" if v else "non") if isinstance(v, bool) else ("" if v is None else v)
        fields = [(k, COMPANY_LABELS[k], value(k)) for k in catalog.COMPANY_FIELDS]
        self.app.push_screen(Form("Identité de la société", fields),
                             lambda v: self._apply(lambda x: catalog.update_company(x), v))

    def edit_numbering(self) -> None:
        fields = [(s, f"Modèle {s} ({{yyyy}} {{yy}} {{mm}} {{n:05}})", numbering.pattern(s)) for s in numbering.SERIES]

        self.app.push_screen(Form("Numérotation", fields), lambda v: self._apply(numbering.set_patterns, v))

    def edit_printers(self) -> None:
        fields = [("name", "Nom (default, comptoir, entrepot…)", "default"),
                  ("url", "URL (tcp://192.168.1.50:9100, usb://04b8:0202, file:///dev/usb/lp0…)", ""),
                  ("profile", "Profil (default, TM-T88V, TM-T20II, POS-5890…)", "default"),
                  ("columns", "Colonnes (32, 42 ou 48)", "42"), ("test", "Imprimer une page de test (oui/non)", "oui")]

        def save(v):
            try:
                columns = int(v["columns"])
            except ValueError:
                raise FactuError(f"colonnes : 32, 42 ou 48 attendu « {v['columns']} »") from None
            printing.set_printer(v["name"].strip(), v["url"].strip(), v["profile"].strip(), columns)
            if v["test"].strip().lower().startswith("o"):
                self.test_print(v["name"].strip())
        self.app.push_screen(Form("Imprimante", fields), lambda v: self._apply(save, v))

    @work(thread=True, group="printing")
    def test_print(self, name: str) -> None:
        from printers import dispatch
        try:
            dispatch.test(name)
            self.app.call_from_thread(self.notify, f"Page de test envoyée à « {name} ».")
        except FactuError as e:
            self.app.call_from_thread(self.notify, str(e), severity="error", timeout=10)

    def edit_users(self) -> None:
        choices = [("", "Nouvel utilisateur…")] + [
            (u.name, f"{u.name:<16} {ROLE_LABELS.get(u.role, u.role):<15}{'' if u.active else ' désactivé'}")
            for u in users.listing()]
        self.app.push_screen(Choice("Utilisateurs", choices), self._user_chosen)

    def _user_chosen(self, name) -> None:
        if name is None:
            return
        roles = "admin, manager, sales, warehouse, accountant"
        if not name:
            fields = [("name", "Nom d'utilisateur", ""), ("role", f"Rôle ({roles})", "sales"),
                      ("password", "Mot de passe", "")]
            self.app.push_screen(Form("Nouvel utilisateur", fields),
                                 lambda v: self._apply(lambda x: users.create(x["name"], x["role"].strip(),
                                                                              x["password"] or None), v))
            return
        u = users.get(name)
        fields = [("role", f"Rôle ({roles})", u.role), ("active", "Actif (oui/non)", "oui" if u.active else "non"),
                  ("password", "Nouveau mot de passe (vide : inchangé)", ""),
                  ("unlock", "Lever un verrouillage (oui/non)", "non")]

        def save(v):
            users.update(name, v["role"].strip(), v["password"] or None, v["active"].strip().lower().startswith("o"),
                         unlock=v["unlock"].strip().lower().startswith("o"))
        self.app.push_screen(Form(f"Utilisateur {name}", fields), lambda v: self._apply(save, v))

    def edit_business(self) -> None:
        keys = list(settings.KNOWN)        # the form's field ids cannot hold dots: k0, k1…
        fields = [(f"k{i}", settings.KNOWN[key][0], settings.get(key)) for i, key in enumerate(keys)]

        def save(v):
            for i, key in enumerate(keys):
                if v[f"k{i}"].strip() != settings.get(key):
                    settings.set_value(key, v[f"k{i}"])
        self.app.push_screen(Form("Réglages commerciaux", fields), lambda v: self._apply(save, v))

    def edit_pa(self) -> None:
        """URLs and client id prefilled; the secret never: an empty field keeps the stored one."""
        p = pa.configured()
        fields = [("url", "Adresse de l'API Flow (https://…)", p["url"]),
                  ("token_url", "Adresse des jetons OAuth2 (https://…/token)", p["token_url"]),
                  ("client_id", "Identifiant client OAuth2", p["client_id"]),
                  ("directory_url", "Adresse de l'API Annuaire (vide : celle de Flow)", p["directory_url"]),
                  ("secret", "Secret client : " + (f"{SECRET_SET} — vide : inchangé" if p["secret_set"]
                                                   else "aucun enregistré"), ""),
                  ("address", "Adresse électronique de la société, BT-34 (vide : le SIREN)",
                   catalog.company().einvoice_address or "")]

        def save(v):
            if v["address"].strip() != (catalog.company().einvoice_address or ""):
                catalog.update_company({"einvoice_address": v["address"].strip()})
            changed = {k: v[k].strip() for k in ("url", "token_url", "client_id", "directory_url")
                       if v[k].strip() != p[k]}          # only what changed is written (and audited)
            pa.configure(changed.get("url"), changed.get("token_url"), changed.get("client_id"),
                         v["secret"] or None, changed.get("directory_url"))
        self.app.push_screen(SecretForm("Plateforme agréée (XP Z12-013)", fields), lambda v: self._apply(save, v))
