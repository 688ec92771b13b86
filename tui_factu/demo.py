"""A realistic demo company: ~50 customers, ~200 products, ~100 documents in every state,
made through the real services (so the demo is also a run of the whole chain)."""
import datetime as dt
import random
from decimal import Decimal

from stdnum import ean, luhn

from . import (catalog, clock, counter, deposits, interventions, payments, plans, rates, settings, situations,
               timesheets)
from .documents import drafts, flow, queries
from .db import write
from .money import round_cents
from .models import Document

FAMILIES = {
    "Quincaillerie": ["Vis bois tête fraisée", "Cheville nylon", "Boulon tête hexagonale",
                      "Charnière laiton", "Serrure 3 points", "Cadenas à clé", "Équerre acier"],
    "Électricité": ["Câble R2V 3G2,5", "Disjoncteur 16 A", "Interrupteur va-et-vient",
                    "Prise 2P+T", "Gaine ICTA Ø20", "Ampoule LED E27", "Tableau électrique"],
    "Plomberie": ["Tube cuivre Ø14", "Raccord laiton", "Robinet d'arrêt", "Siphon évier",
                  "Mitigeur lavabo", "Flexible inox", "Joint fibre"],
    "Outillage": ["Perceuse visseuse 18 V", "Niveau à bulle", "Mètre ruban", "Scie égoïne",
                  "Tournevis cruciforme", "Clé à molette", "Pince multiprise"],
    "Peinture": ["Peinture acrylique blanc mat", "Sous-couche universelle", "Rouleau façade",
                 "Pinceau à réchampir", "Enduit de rebouchage", "Bâche de protection"],
}
SIZES = ["", " 4×40", " 6×60", " 10 m", " 25 m", " Ø12", " 2,5 L", " 10 L", " lot de 50", " pro"]
SERVICES = [("MO-ELEC", "Main d'œuvre électricien", "labour", "HUR", "52.00", "20"),
            ("MO-PLOMB", "Main d'œuvre plombier", "labour", "HUR", "55.00", "20"),
            ("MO-RENO", "Main d'œuvre rénovation (logement > 2 ans)", "labour", "HUR", "45.00", "10"),
            ("DEPLAC", "Déplacement zone 1", "service", "C62", "35.00", "20"),
            ("DEVIS-DIAG", "Diagnostic sur site", "service", "C62", "60.00", "20"),
            ("LIV", "Livraison sur chantier", "service", "C62", "25.00", "20"),
            ("LOC-ECHAF", "Location échafaudage (jour)", "equipment", "DAY", "38.00", "20"),
            ("LOC-BETON", "Location bétonnière (jour)", "equipment", "DAY", "29.00", "20"),
            ("ISOL-55", "Isolation rénovation énergétique", "labour", "MTK", "18.50", "5.5"),
            ("LIVRE-BRICO", "Guide du bricolage (livre)", "goods", "C62", "19.90", "5.5")]
COMPANY_NAMES = ["Bâtiments Durand", "Rénov'Habitat", "Électricité Lefèvre", "Plomberie Moreau",
                 "Menuiserie Girard", "Toitures du Sud", "SCI Les Tilleuls", "Garage Lambert",
                 "Boulangerie Petit", "Hôtel des Voyageurs", "Mairie de Saint-Ouen-l'Aumône",
                 "Clinique Vétérinaire Roux", "Cabinet Fontaine", "Restaurant Le Relais",
                 "Agence Immobilière Mercier", "Chauffage Bonnet", "Paysages Fournier",
                 "Transports Dupuis", "École Sainte-Thérèse", "Camping Les Pins", "Atelier Chevalier",
                 "Société Nouvelle Blanc", "EURL Garnier Services", "SAS Faure Industrie",
                 "Carrelages André", "Charpente Guerin", "Isolation Muller", "Serrurerie Henry",
                 "Cuisines Rousseau", "Peintures Nicolas"]
PEOPLE = ["Jeanne Martin", "Lucas Bernard", "Chloé Dubois", "Hugo Thomas", "Léa Robert",
          "Louis Richard", "Manon Petit", "Gabriel Durand", "Camille Leroy", "Arthur Moreau",
          "Inès Simon", "Jules Laurent", "Zoé Lefebvre", "Adam Michel", "Éloïse Garcia",
          "Raphaël David", "Anaïs Bertrand", "Noé Roux", "Margaux Vincent", "Théo Fournier"]
CITIES = [("75011", "Paris"), ("69003", "Lyon"), ("13006", "Marseille"), ("31000", "Toulouse"),
          ("33000", "Bordeaux"), ("44000", "Nantes"), ("67000", "Strasbourg"), ("59000", "Lille"),
          ("95310", "Saint-Ouen-l'Aumône"), ("06000", "Nice"), ("35000", "Rennes")]
STREETS = ["rue de la République", "avenue Jean Jaurès", "boulevard Victor Hugo", "rue Pasteur",
           "place de l'Église", "chemin des Vignes", "rue du Général de Gaulle", "allée des Acacias"]
SALES = ["Sophie", "Karim", "Nathalie"]


def siren(rng: random.Random) -> str:
    body = str(rng.randint(30000000, 99999999))
    return body + luhn.calc_check_digit(body)


def vat_fr(s: str) -> str:
    return f"FR{(12 + 3 * (int(s) % 97)) % 97:02d}{s}"


def load(seed: int = 2026, today: dt.date | None = None) -> dict:
    rng = random.Random(seed)
    today = today or clock.today()
    with write():        # all or nothing
        own = "732829320"
        catalog.update_company({
            "name": "Quincaillerie Martin & Fils", "legal_form": "SARL", "capital": "50000",
            "siren": own, "siret": own + "00074", "rcs_city": "Pontoise", "vat_number": vat_fr(own),
            "line1": "12 rue des Artisans", "postcode": "95310", "city": "Saint-Ouen-l'Aumône",
            "email": "contact@quincaillerie-martin.fr", "phone": "01 34 00 00 00",
            "iban": "FR7630006000011234567890189", "bic": "AGRIFRPP", "payment_terms_days": "30",
            "late_penalty_rate": "12.15",
            "vat_exemption": "Exonération de TVA, art. 261-4-4° du CGI (formation professionnelle continue)"})
        customers = _customers(rng)
        products = _products(rng)
        counts = _documents(rng, customers, products, today)
    return {"clients": len(customers), "produits": len(products), "documents": counts}


def _customers(rng):
    out = []
    for i, name in enumerate(COMPANY_NAMES, start=1):
        s = siren(rng)
        pc, city = rng.choice(CITIES)
        data = {"code": f"C{i:03d}", "name": name, "kind": "company", "siren": s,
                "vat_number": vat_fr(s), "email": f"compta{i}@exemple.fr",
                "phone": f"01 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
                "address": {"line1": f"{rng.randint(1, 120)} {rng.choice(STREETS)}", "postcode": pc,
                            "city": city, "country": "FR"},
                "payment_terms_days": rng.choice([30, 30, 45, 60, 0]), "salesperson": rng.choice(SALES)}
        if i % 4 == 0:
            pc2, city2 = rng.choice(CITIES)
            data["delivery_address"] = {"name": "Chantier", "line1": f"{rng.randint(1, 80)} {rng.choice(STREETS)}",
                                        "postcode": pc2, "city": city2, "country": "FR"}
        out.append(catalog.save_customer(data))
    for j, name in enumerate(PEOPLE, start=len(COMPANY_NAMES) + 1):
        pc, city = rng.choice(CITIES)
        out.append(catalog.save_customer({
            "code": f"C{j:03d}", "name": name, "kind": "person",
            "email": f"{name.split()[0].lower()}@exemple.fr",
            "address": {"line1": f"{rng.randint(1, 120)} {rng.choice(STREETS)}", "postcode": pc,
                        "city": city, "country": "FR"}, "salesperson": rng.choice(SALES)}))
    out.append(catalog.save_customer({"code": "COMPTOIR", "name": "Client comptoir", "kind": "person",
                                      "address": {"city": "Saint-Ouen-l'Aumône", "postcode": "95310"}}))
    return out


def _products(rng):
    out = []
    n = 0
    for family, names in FAMILIES.items():
        for base in names:
            for size in rng.sample(SIZES, 5 if family != "Outillage" else 6):
                n += 1
                cost = Decimal(rng.randint(20, 9000)) / 100
                price = round_cents(cost * Decimal(rng.choice(["1.35", "1.5", "1.8", "2"])))
                body = f"376{n:09d}"
                out.append(catalog.save_product({
                    "code": f"{catalog.search_key(family)[:3].upper()}{n:04d}", "name": (base + size).strip(),
                    "kind": "goods", "unit": "C62", "price": str(price), "cost": str(cost),
                    "vat_rate": "20", "family": family, "barcode": body + ean.calc_check_digit(body),
                    "stock_managed": True, "stock": str(rng.randint(0, 120)),
                    "reorder_level": str(rng.choice([5, 10, 20]))}))
    for code, name, kind, unit, price, rate in SERVICES:
        out.append(catalog.save_product({"code": code, "name": name, "kind": kind, "unit": unit,
                                         "price": price, "cost": str(Decimal(price) * Decimal("0.6")),
                                         "vat_rate": rate, "family": "Services"}))
    return out


def _lines(rng, products, n):
    lines = []
    for p in rng.sample(products, n):
        line = {"product": p.code, "quantity": str(rng.choice([1, 1, 2, 3, 5, 10, 12, 25]))}
        if rng.random() < 0.2:
            line["discount_percent"] = rng.choice(["5", "10", "15"])
        lines.append(line)
    if rng.random() < 0.3:
        lines.insert(0, {"kind": "section", "description": "Fournitures"})
        lines.append({"text": "Matériel livré sur chantier, à réceptionner par le client."})
    return lines


def _documents(rng, customers, products, today):
    """A 90-day timeline. Steps are run in date order so that numbers stay chronological;
    each step is dated on its day."""
    companies = [c for c in customers if c.kind == "company"]
    start = today - dt.timedelta(days=90)
    steps = []          # (date, order of creation, function)

    def at(i, fn):
        steps.append((start + dt.timedelta(days=i), len(steps), fn))

    def quote_story(i, cust, lines, fate):
        st = {}

        def make(d):
            st["quote"] = drafts.create("quote", cust.code, d, lines, reference=f"DA-{rng.randint(1000, 9999)}")
            if fate:
                flow.validate(st["quote"].id, d)
            if fate == 2:
                flow.set_status(st["quote"].id, rng.choice(["refused", "expired"]))
            if fate >= 3:
                # the story happens on day d, when the quote was still valid
                st["order"] = flow.transform([st["quote"].id], "order", force=True)
                flow.validate(st["order"].id, d)
        at(i, make)
        if fate == 3 and i < 80:
            def first(d):
                order = st["order"]
                st["d1"] = flow.transform([order.id], "delivery", {
                    ln.position: max(Decimal(1), (ln.quantity / 2).to_integral_value())
                    for ln in queries.lines_of(order.id) if ln.quantity})
                flow.validate(st["d1"].id, d)
            at(i + 1, first)
            if i < 60:
                def rest(d):
                    ids = [st["d1"].id]
                    if any(q > 0 for q in queries.remaining(st["order"], "delivery").values()):
                        second = flow.transform([st["order"].id], "delivery")
                        flow.validate(second.id, d)
                        ids.append(second.id)
                    st["inv"] = flow.transform(ids, "invoice")
                    flow.validate(st["inv"].id, d)
                at(i + 5, rest)
                if i % 2 == 0:
                    def credit(d):
                        inv = st["inv"]
                        last = [ln for ln in queries.lines_of(inv.id) if ln.quantity][-1]
                        cn = flow.credit(inv.id, {last.position: Decimal(1)})
                        flow.validate(cn.id, d)
                    at(i + 8, credit)
        elif fate == 4:
            def invoice(d):
                inv = flow.transform([st["order"].id], "invoice")
                if i < 75:
                    flow.validate(inv.id, d)
            at(i + 2, invoice)

    for i in range(0, 90, 3):
        quote_story(i, rng.choice(companies), _lines(rng, products, rng.randint(2, 5)), i % 5)
    for i in range(2, 90, 4):        # counter sales invoiced directly
        cust = rng.choice(companies) if rng.random() < 0.6 else rng.choice(customers)
        lines = _lines(rng, products, rng.randint(1, 4))

        def sale(d, cust=cust, lines=lines, i=i):
            inv = drafts.create("invoice", cust.code, d, lines)
            if i < 86 and (cust.kind == "person" or cust.siren):
                flow.validate(inv.id, d)
        at(i, sale)
    for i in range(70, 90, 4):       # orders still to deliver
        cust, lines = rng.choice(companies), _lines(rng, products, rng.randint(2, 4))

        def open_order(d, cust=cust, lines=lines):
            order = drafts.create("order", cust.code, d, lines,
                                     charges=[{"amount": "25.00", "vat_rate": "20", "reason": "Port"}])
            flow.validate(order.id, d)
        at(i, open_order)
    _building_site(at, companies[0])
    _billing_plan(at, companies[1], products, rng)
    _service_work(at, companies[2], products)
    _reform_cases(at, companies[4], products)
    at(86, lambda d: _collect(d))
    for d, _, fn in sorted(steps, key=lambda s: (s[0], s[1])):
        fn(d)
    goods = [p.code for p in products if p.kind == "goods"]
    for items in ([f"{goods[0]}:2", "LIVRE-BRICO"], [goods[7]], [f"{goods[11]}:3", goods[20]]):   # walk-in, today
        counter.sale(counter.parse_items(items), counter.parse_payments(["cash:5000"]))
    # a ticket the customer asks to have as an invoice: already paid when issued (BT-23 B2)
    person = next(c for c in customers if c.kind == "person" and c.code != "COMPTOIR")
    ticket = counter.sale(counter.parse_items([goods[3], "LIVRE-BRICO"]), counter.parse_payments(["cash:200"]),
                          customer=person.code)
    flow.validate(flow.transform([ticket["document"].id], "invoice").id)
    return Document.select().count()


def _building_site(at, cust):
    """A contract billed by situations: a deposit, three situations with a 5 % retention, the
    retention released and paid."""
    st = {}

    def order(d):
        st["order"] = flow.validate(drafts.create("order", cust.code, d, [
            {"kind": "section", "description": "Lot 1 — Gros œuvre"},
            {"description": "Maçonnerie des fondations", "quantity": "1", "unit_price": "12000.00", "vat_rate": "20"},
            {"description": "Dalle béton", "quantity": "85", "unit": "MTK", "unit_price": "45.50", "vat_rate": "20"},
            {"kind": "section", "description": "Lot 2 — Rénovation énergétique"},
            {"description": "Isolation des combles", "quantity": "120", "unit": "MTK", "unit_price": "33.33",
             "vat_rate": "5.5"},
            {"description": "Menuiseries extérieures", "quantity": "6", "unit_price": "850.00", "vat_rate": "10"}],
            reference="Marché 2026-17").id, d)
    at(8, order)
    at(9, lambda d: st.update(dep=flow.validate(deposits.request(st["order"].id, percent="20").id, d)))
    at(12, lambda d: payments.pay([st["dep"].id], str(st["dep"].due), "transfer", d, "VIR-DURAND-1"))
    at(30, lambda d: st.update(s1=flow.validate(situations.create(
        st["order"].id, percent="30", retention="5", date=d).id, d)))
    at(40, lambda d: payments.pay([st["s1"].id], str(st["s1"].due - situations.retention_held(st["s1"])[0]),
                                  "transfer", d, "VIR-DURAND-2"))             # the retention is held back
    at(55, lambda d: flow.validate(situations.create(st["order"].id, sections={1: Decimal(80)},
                                                           lines={5: Decimal(50)}, date=d).id, d))
    at(75, lambda d: flow.validate(situations.create(st["order"].id, percent="100", date=d).id, d))
    at(88, lambda d: situations.release(st["order"].id, d))          # accepted without reservation
    at(89, lambda d: payments.pay([st["s1"].id], str(payments.balance(queries.get(st["s1"].id))), "transfer", d,
                                  "VIR-DURAND-RG"))


def _billing_plan(at, cust, products, rng):
    st = {}

    def order(d):
        st["order"] = flow.validate(drafts.create("order", cust.code, d, _lines(rng, products, 3)).id, d)
        plans.set_plan(st["order"].id, "30%@0:À la commande,40%@+30:Livraison,30%@+60:Réception")
    at(15, order)
    for day in (15, 45, 75):
        at(day, lambda d: flow.validate(plans.invoice(plans.due(d, st["order"].id)[0], d).id, d))


def _service_work(at, cust, products):
    """An equipment register, intervention sheets with parts, time on a project, each invoiced."""
    settings.store("intervention.labour_product", "MO-PLOMB")
    part = next(p.code for p in products if p.kind == "goods")

    def sheets(d):
        interventions.add_equipment(cust.code, "Chaudière gaz à condensation", serial="CHG-2231-77",
                                    location="Chaufferie", installed_on=d - dt.timedelta(days=700),
                                    warranty_end=d - dt.timedelta(days=1))
        interventions.add(cust.code, d, start="08:30", end="10:05", equipment="CHG-2231-77", technician="Karim",
                          work="Remplacement du joint de brûleur, réglage de la combustion",
                          parts=[(part, Decimal(2), True)])
    at(25, sheets)
    at(50, lambda d: interventions.add(cust.code, d, hours="1.25", technician="Karim", work="Contrôle annuel"))
    for day, hours in ((26, "2"), (27, "3.5"), (29, "1.25")):
        at(day, lambda d, h=hours: timesheets.add(cust.code, h, d, "Rénovation bureaux", "Suivi de chantier",
                                                   "MO-RENO", "Sophie"))
    at(52, lambda d: flow.validate(interventions.invoice(cust.code, date=d).id, d))
    at(60, lambda d: flow.validate(timesheets.invoice(cust.code, group="project", date=d).id, d))


def _reform_cases(at, cust, products):
    """What the e-invoicing reform asks an invoicing system to get right, on the last day: an
    intra-EU supply (K), a reverse-charged subcontract (AE), an exempt training day (E), a
    service outside the scope of French VAT (O), a public buyer, a final invoice after a deposit."""
    goods = [p.code for p in products if p.kind == "goods"]
    others = [
        {"code": "UE-BE01", "name": "Bouwmaterialen Janssens BV", "kind": "company", "vat_number": "BE0403170701",
         "email": "facturen@janssens.example.be",
         "address": {"line1": "Kerkstraat 12", "postcode": "2000", "city": "Antwerpen", "country": "BE"}},
        {"code": "ST-BTP01", "name": "Constructions Bernard", "kind": "company", "siren": "404833048",
         "vat_number": vat_fr("404833048"), "email": "compta@constructions-bernard.example.fr",
         "address": {"line1": "3 rue du Chantier", "postcode": "95000", "city": "Cergy", "country": "FR"}},
        {"code": "CH01", "name": "Alpes Rénovation SA", "kind": "company", "email": "comptabilite@alpes-renovation.example.ch",
         "address": {"line1": "Rue du Rhône 8", "postcode": "1204", "city": "Genève", "country": "CH"}},
        {"code": "US01", "name": "Hudson Hardware Supply Inc.", "kind": "company",
         "email": "ap@hudson-hardware.example.com",
         "address": {"line1": "120 Water Street", "postcode": "10038", "city": "New York", "country": "US"}},
        {"code": "PUB01", "name": "Mairie de Cergy", "kind": "public", "siren": "219501277",
         "siret": "21950127700012", "service_code": "SERVICES-TECHNIQUES",
         "address": {"line1": "3 place de l'Hôtel de Ville", "postcode": "95000", "city": "Cergy", "country": "FR"}}]
    st = {}

    def invoice(d, customer, lines, reference=""):
        return flow.validate(drafts.create("invoice", customer, d, lines, reference=reference).id, d)

    def cases(d):
        for data in others:
            catalog.save_customer(data)
        invoice(d, "UE-BE01", [{"product": goods[5], "quantity": "40", "vat_category": "K", "vat_rate": "0"},
                               {"product": goods[9], "quantity": "12", "vat_category": "K", "vat_rate": "0"}],
                "PO-JAN-2231")
        invoice(d, "ST-BTP01", [{"kind": "labour", "description": "Sous-traitance : pose de cloisons (lot 4)",
                                 "quantity": "36", "unit": "HUR", "unit_price": "48.00",
                                 "vat_category": "AE", "vat_rate": "0"}], "Contrat ST-2026-08")
        invoice(d, cust.code, [{"product": goods[2], "quantity": "3"},
                               {"kind": "service", "description": "Formation à l'utilisation des outils (1 jour)",
                                "quantity": "1", "unit": "DAY", "unit_price": "450.00",
                                "vat_category": "E", "vat_rate": "0"}])
        invoice(d, "CH01", [{"kind": "service", "description": "Conseil technique à distance",
                             "quantity": "6", "unit": "HUR", "unit_price": "90.00",
                             "vat_category": "O", "vat_rate": "0"}])
        invoice(d, "PUB01", [{"product": "MO-ELEC", "quantity": "7"}, {"product": goods[14], "quantity": "4"}],
                "EJ-2026-000417")
        # goods exported to New York, invoiced in dollars: the VAT (none, art. 262 I) stated in euros too
        rates.set_rate("USD", d - dt.timedelta(days=7), "0.9187")
        rates.set_rate("USD", d, "0.9234")
        flow.validate(drafts.create("invoice", "US01", d, [{"product": goods[3], "quantity": "200", "vat_category": "G",
                                                            "vat_rate": "0"},
                                                           {"product": goods[8], "quantity": "50", "vat_category": "G",
                                                            "vat_rate": "0"}],
                                    reference="PO-HHS-5521", currency="USD").id, d)
        order = flow.validate(drafts.create("order", cust.code, d, [{"product": goods[6], "quantity": "10"},
                                                                     {"product": "LIV", "quantity": "1"}]).id, d)
        deposit = flow.validate(deposits.request(order.id, percent="30").id, d)
        payments.pay([deposit.id], str(deposit.due), "transfer", d, "VIR-ACOMPTE-1")
        st["final"] = flow.validate(flow.transform([order.id], "invoice").id, d)
    at(89, cases)


def _collect(d):
    """A third of the open invoices paid, another third in part."""
    open_ = list(Document.select().where((Document.kind == "invoice") & (Document.status == "validated")
                                         & (Document.type == "standard")).order_by(Document.id))
    for i, inv in enumerate(open_):
        if i % 3 == 0:
            payments.pay([inv.id], str(inv.due), "transfer", d, f"VIR-{inv.number}")
        elif i % 3 == 1:
            payments.pay([inv.id], str(round_cents(inv.due / 2)), "cheque", d, f"CHQ-{1000 + i}")
