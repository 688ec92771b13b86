"""The installed `tui-factu` command, run as a script or a person would."""
import json
import os
import subprocess

import pytest

from support import EXE, run_cli as run  # noqa: E402,F401  (EXE: the tests that start it themselves)


def test_demo_base_has_every_kind_and_state_and_verifies(base):
    docs = json.loads(run(base, "doc", "list", "--json").stdout)
    assert len(docs) >= 80
    seen = {(d["kind"], d["status"]) for d in docs}
    for pair in [("quote", "draft"), ("quote", "validated"), ("quote", "accepted"), ("order", "validated"),
                 ("order", "delivered"), ("delivery", "invoiced"), ("invoice", "validated"),
                 ("invoice", "draft"), ("credit_note", "validated")]:
        assert pair in seen, pair
    assert [d["id"] for d in docs] == sorted(d["id"] for d in docs)
    out = run(base, "verify").stdout
    assert "chaîne invoice" in out and "intacte" in out


def test_quote_to_credit_note_from_the_command_line(base):
    run(base, "doc", "new", "quote", "C001", "MO-ELEC:3", "QUI0001:10:1.25", "--validate")
    quote = json.loads(run(base, "doc", "list", "--kind", "quote", "--json").stdout)[-1]
    run(base, "doc", "transform", quote["number"], "--to", "order")
    order = json.loads(run(base, "doc", "list", "--kind", "order", "--status", "draft", "--json").stdout)[-1]
    run(base, "doc", "validate", f"#{order['id']}")
    order = json.loads(run(base, "doc", "show", f"#{order['id']}", "--json").stdout)
    run(base, "doc", "transform", order["number"], "--to", "delivery", "--line", "2:4")
    delivery = json.loads(run(base, "doc", "list", "--kind", "delivery", "--status", "draft", "--json").stdout)[-1]
    run(base, "doc", "validate", f"#{delivery['id']}")
    shown = json.loads(run(base, "doc", "show", order["number"], "--json").stdout)
    assert shown["status"] == "partial"
    assert shown["lines"][1]["remaining_to_deliver"] == "6"
    assert "QUI0001" in run(base, "backorders").stdout
    run(base, "doc", "transform", order["number"], "--to", "invoice")
    inv = json.loads(run(base, "doc", "list", "--kind", "invoice", "--status", "draft", "--json").stdout)[-1]
    run(base, "doc", "validate", f"#{inv['id']}")
    inv = json.loads(run(base, "doc", "show", f"#{inv['id']}", "--json").stdout)
    assert inv["totals"]["grand_total"] == order["totals"]["grand_total"]
    run(base, "doc", "credit", inv["number"], "--line", "2:1")
    cn = json.loads(run(base, "doc", "list", "--kind", "credit_note", "--status", "draft", "--json").stdout)[-1]
    run(base, "doc", "validate", f"#{cn['id']}")
    cn = json.loads(run(base, "doc", "show", f"#{cn['id']}", "--json").stdout)
    assert cn["preceding"]["number"] == inv["number"]
    assert cn["totals"]["tax_basis_total"] == "1.25"
    run(base, "verify")


@pytest.mark.parametrize("args,message", [
    (("doc", "show", "FA1999-99999"), "document introuvable « FA1999-99999 »"),
    (("doc", "transform", "#1", "--to", "bidule"), "--to : type de document inconnu"),
    (("doc", "transform", "#2", "--to", "order", "--line", "x"), "--line : format N:QUANTITÉ"),
    (("doc", "list", "--kind", "facture"), "--kind : type inconnu"),
    (("doc", "credit", "DE2026-00001"), "n'est pas une facture"),
    (("import", "/nonexistent.json"), "fichier : illisible"),
    (("doc", "frobnicate"), "commande invalide"),
    (("doc", "list", "--zzz"), "arguments inconnus: --zzz (voir tui-factu --help)"),
    (("report", "bla"), "valeurs possibles : 'sales-journal'"),
    (("verify-archive", "/etc/passwd"), "archive illisible « /etc/passwd » (ce n'est pas un fichier ZIP)"),
    (("restore", "/tmp"), "sauvegarde illisible « /tmp » (c'est un dossier : donnez le fichier)"),
    (("--user", "inconnu", "doc", "list"), "mot de passe requis"),
    (("company", "set", "siren=123456789"), "numéro SIREN invalide"),
    (("export", "/proc/nope/x.json"), "export : écriture impossible « /proc/nope/x.json »"),
    (("export-fec", "2026", "-o", "/proc/nope"), "FEC : écriture refusée « /proc/nope » (hors des dossiers"),
    (("pdf", "FA2026-00001", "-o", "/proc/nope/"), "écriture impossible « /proc/nope/FA2026-00001.pdf »"),
    (("report", "aging", "--csv", "/proc/nope/a.csv"), "CSV : écriture impossible"),
    (("backup", "-o", "/proc/nope/b.zip"), "sauvegarde : écriture impossible"),
    (("archive", "2026", "-o", "/proc/nope/a.zip"), "archive : écriture impossible"),
])
def test_refusals_exit_2_with_one_french_line(base, args, message):
    r = run(base, *args, expect=2)
    assert message in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_stdin_closed_is_an_empty_input_not_an_internal_error(base):
    """`tui-factu <&-` (cron, a service unit): the terminal is asked for, in French."""
    import os
    import subprocess
    r = subprocess.run([EXE, "--db", str(base)], capture_output=True, text=True, preexec_fn=lambda: os.close(0),
                       timeout=60)
    assert (r.returncode, r.stderr.strip()) == (2, "tui-factu : l'interface a besoin d'un terminal (ssh -t, ou les "
                                                   "commandes de tui-factu --help)")


def test_verify_exits_1_and_names_the_document(base):
    import sqlite3
    con = sqlite3.connect(base)
    con.execute("DROP TRIGGER document_line_sealed_update")
    con.execute("UPDATE document_line SET unit_price = 1 WHERE document_id = "
                "(SELECT id FROM document WHERE number = 'FA2026-00002') AND position = "
                "(SELECT MIN(position) FROM document_line WHERE unit_price IS NOT NULL AND document_id = "
                "(SELECT id FROM document WHERE number = 'FA2026-00002'))")
    con.commit()
    con.close()
    r = run(base, "verify", expect=1)
    assert "FA2026-00002" in r.stderr
    report = json.loads(run(base, "verify", "--json", expect=1).stdout)
    assert report["ok"] is False and report["first_failure"]["ref"] == "FA2026-00002"


def test_import_json_output_and_export(base, tmp_path):
    bundle = {"format": "tui-factu/1", "documents": [
        {"kind": "invoice", "customer": "C001", "date": "2026-12-31", "validate": True,
         "lines": [{"product": "MO-ELEC", "quantity": "2"}]}]}
    f = tmp_path / "b.json"
    f.write_text(json.dumps(bundle))
    created = json.loads(run(base, "import", str(f), "--json").stdout)
    assert created[0]["kind"] == "invoice" and created[0]["number"].startswith("FA2026-")
    run(base, "export", str(tmp_path / "out.json"))
    out = json.loads((tmp_path / "out.json").read_text())
    assert out["format"] == "tui-factu/1" and len(out["documents"]) > 80


def test_a_building_site_cycle_and_its_statement_from_the_command_line(base, tmp_path):
    bundle = {"format": "tui-factu/1", "documents": [{"kind": "order", "customer": "C001", "validate": True,
              "lines": [{"kind": "section", "description": "Lot 1"},
                        {"description": "Gros œuvre", "quantity": "1", "unit_price": "10000", "vat_rate": "20"},
                        {"description": "Isolation", "quantity": "100", "unit": "MTK", "unit_price": "33.33",
                         "vat_rate": "5.5"}]}]}
    f = tmp_path / "marche.json"
    f.write_text(json.dumps(bundle))
    order = json.loads(run(base, "import", str(f), "--json").stdout)[0]["number"]
    run(base, "deposit", order, "--percent", "10", "--validate")
    out = run(base, "situation", order, "--percent", "40", "--retention", "5", "--validate").stdout
    assert "Situation n° 1" in out
    run(base, "situation", order, "--percent", "30", expect=2)              # progress never goes down
    r = run(base, "situation", order, "--retention", "7", "--percent", "50", expect=2)
    assert "5 %" in r.stderr
    run(base, "situation", order, "--section", "1:100", "--validate")
    run(base, "situation", "--release", order, "--validate")
    statement = json.loads(run(base, "situation", "--final", order, "--json").stdout)
    assert statement["progress_percent"] == "100.00" and statement["retention"]["held"] == "0.00"
    shown = json.loads(run(base, "doc", "show", order, "--json").stdout)
    assert statement["invoiced"] == shown["totals"]["grand_total"]          # the whole contract, to the cent
    r = run(base, "doc", "transform", order, "--to", "invoice", expect=2)
    assert "facturée par situations" in r.stderr
    assert "intacte" in run(base, "verify").stdout


def test_interventions_and_time_billed_from_the_command_line(base):
    run(base, "equipment", "add", "C002", "Chaudière", "--serial", "CH-42", "--warranty-end", "2020-01-01")
    out = run(base, "intervention", "add", "C002", "--start", "08:00", "--end", "09:10", "--equipment", "CH-42",
              "--part", "ELE0036:2", "--labour", "MO-PLOMB", "--work", "Dépannage").stdout
    assert "facturable" in out
    r = run(base, "intervention", "add", "C002", "--start", "10:00", "--end", "09:00", "--labour", "MO-PLOMB", expect=2)
    assert "la fin doit suivre le début" in r.stderr
    assert "Facture FA" in run(base, "intervention", "invoice", "C002", "--validate").stdout
    rows = json.loads(run(base, "intervention", "list", "C002", "--json").stdout)
    assert rows[0]["hours"] == "1.25" and rows[0]["state"].startswith("facturée FA")
    r = run(base, "intervention", "invoice", "C002", expect=2)
    assert "rien à facturer" in r.stderr
    run(base, "time", "add", "C002", "--hours", "2", "--project", "A", "--product", "MO-RENO")
    run(base, "time", "add", "C002", "--hours", "1", "--project", "B", "--product", "MO-RENO")
    run(base, "time", "invoice", "C002", "--project", "A", "--validate")
    left = json.loads(run(base, "time", "list", "C002", "--unbilled", "--json").stdout)
    assert [r["project"] for r in left] == ["B"]


def test_peer_authentication_user_with_password_and_refusals(base):
    env_add = {"TUI_FACTU_NEW_PASSWORD": "motdepasse"}
    r = subprocess.run([EXE, "user", "add", "vendeur", "--role", "sales"], capture_output=True, text=True,
                       env=dict(os.environ, TUI_FACTU_DB=str(base), **env_add))
    assert r.returncode == 0, r.stderr                              # as demo, linked to this OS account

    def as_vendeur(*args, password="motdepasse", expect=0):
        env = dict(os.environ, TUI_FACTU_DB=str(base), TUI_FACTU_PASSWORD=password)
        r = subprocess.run([EXE, "--user", "vendeur", *args], capture_output=True, text=True, env=env,
                           stdin=subprocess.DEVNULL, timeout=120)
        assert "Traceback" not in r.stdout + r.stderr
        assert r.returncode == expect, (r.returncode, r.stdout, r.stderr)
        return r
    as_vendeur("doc", "new", "quote", "C001", "MO-ELEC:1", "--validate")
    r = as_vendeur("setting", "margin.floor_percent", "20", expect=2)
    assert "droits insuffisants : vendeur (rôle vendeur) ne peut pas modifier les paramètres" in r.stderr
    r = as_vendeur("doc", "list", password="faux", expect=2)
    assert "mot de passe incorrect" in r.stderr
    r = subprocess.run([EXE, "--user", "vendeur", "doc", "list"], capture_output=True, text=True,
                       env={k: v for k, v in dict(os.environ, TUI_FACTU_DB=str(base)).items()
                            if k != "TUI_FACTU_PASSWORD"}, stdin=subprocess.DEVNULL)
    assert r.returncode == 2 and "mot de passe requis" in r.stderr
    quote = json.loads(run(base, "doc", "list", "--kind", "quote", "--json").stdout)[-1]
    audit = json.loads(run(base, "audit", "--doc", quote["number"], "--json").stdout)
    assert {a["user"] for a in audit} == {"vendeur"}
    # the OS account unlinked from demo: plain commands are refused until --user says who acts
    run(base, "user", "set", "demo", "--link", "")
    r = run(base, "doc", "list", expect=2)
    assert "n'est lié à aucun utilisateur" in r.stderr
    env = dict(os.environ, TUI_FACTU_DB=str(base), TUI_FACTU_PASSWORD="demo")
    r = subprocess.run([EXE, "--user", "demo", "setting", "margin.floor_percent", "12"], capture_output=True,
                       text=True, env=env, stdin=subprocess.DEVNULL)
    assert r.returncode == 0 and "margin.floor_percent = 12" in r.stdout


def test_an_archive_verifies_on_a_machine_without_the_database(base, tmp_path):
    import zipfile
    from facturx import get_facturx_xml_from_pdf
    out = tmp_path / "archive-2026.zip"
    run(base, "archive", "2026", "-o", str(out))
    bare = {k: v for k, v in os.environ.items() if not k.startswith("TUI_FACTU")}
    bare.update(HOME=str(tmp_path / "elsewhere"), XDG_DATA_HOME=str(tmp_path / "elsewhere"))
    key = tmp_path / "signing.pub"                                   # the company key, kept apart
    key.write_bytes((base.parent / (base.name + ".d") / "signing.pub").read_bytes())
    r = subprocess.run([EXE, "verify-archive", str(out)], capture_output=True, text=True, env=bare)
    assert r.returncode == 1 and "aucune clé de confiance" in r.stderr        # self-signed proves nothing
    r = subprocess.run([EXE, "verify-archive", str(out), "--key", str(key)], capture_output=True, text=True, env=bare)
    assert r.returncode == 0 and "Archive intacte" in r.stdout and "clé de confiance : donnée" in r.stdout, r.stderr
    assert not (tmp_path / "elsewhere").exists()                     # nothing opened nor created
    with zipfile.ZipFile(out) as z:
        pdf = next(n for n in z.namelist() if n.startswith("documents/FA") and n.endswith(".pdf"))
        import io
        _, xml = get_facturx_xml_from_pdf(io.BytesIO(z.read(pdf)), check_xsd=False)
        assert pdf[len("documents/"):-4].encode() in xml              # the Factur-X of that invoice
    broken = tmp_path / "broken.zip"
    with zipfile.ZipFile(out) as zin, zipfile.ZipFile(broken, "w") as zout:
        for item in zin.infolist():
            if item.filename != pdf:
                zout.writestr(item, zin.read(item.filename))
    r = subprocess.run([EXE, "verify-archive", str(broken), "--key", str(key)], capture_output=True, text=True,
                       env=bare)
    assert r.returncode == 1 and f"fichier manquant : {pdf}" in r.stderr


def test_the_e_invoice_alone_in_cii_and_ubl(base, tmp_path):
    from lxml import etree
    invoices = [d for d in json.loads(run(base, "doc", "list", "--kind", "invoice", "--json").stdout) if d["number"]]
    number = invoices[-1]["number"]
    out = run(base, "xml", number, "--syntax", "ubl", "-o", str(tmp_path) + "/").stdout
    assert f"Facture électronique (UBL) écrite : {tmp_path / (number + '-ubl.xml')}" in out
    ubl = etree.parse(str(tmp_path / f"{number}-ubl.xml")).getroot()
    assert ubl.tag == "{urn:oasis:names:specification:ubl:schema:xsd:Invoice-2}Invoice"
    ns = {"cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"}
    assert ubl.findtext("cbc:ID", namespaces=ns) == number
    assert ubl.findtext("cbc:ProfileID", namespaces=ns) in {f"{n}{s}" for n in "BSM" for s in "124"}   # BT-23
    run(base, "xml", number, "-o", str(tmp_path / "a.xml"))
    assert b"CrossIndustryInvoice" in (tmp_path / "a.xml").read_bytes()[:400]
    err = run(base, "xml", number, "--syntax", "pdf", expect=2).stderr
    assert "--syntax : cii ou ubl attendu « pdf »" in err
    quote = json.loads(run(base, "doc", "list", "--kind", "quote", "--json").stdout)[-1]
    err = run(base, "xml", quote["number"] or f"#{quote['id']}", expect=2).stderr
    assert "seule une facture ou un avoir validé a une facture électronique" in err


def test_a_plateforme_agreee_from_the_command_line(base, tmp_path):
    """pa config / send / status / sync / status-message against the simulator (XP Z12-013)."""
    simulator = pytest.importorskip("pa_simulator", reason="openapi-core (test extra) missing")
    from support import need
    need(simulator.FLOW_SPEC.exists(), "../shared/reference/afnor absent (the AFNOR OpenAPI files)")
    platform = simulator.Platform().start()
    try:
        urls = platform.urls()
        env_secret = dict(os.environ, TUI_FACTU_DB=str(base), TUI_FACTU_PA_SECRET=platform.secret)
        r = subprocess.run([EXE, "pa", "config", "--url", urls["url"], "--token-url", urls["token_url"],
                            "--client-id", platform.client_id], capture_output=True, text=True, env=env_secret)
        assert r.returncode == 0 and platform.secret not in r.stdout + r.stderr, r.stderr
        paid = [d for d in json.loads(run(base, "doc", "list", "--kind", "invoice", "--status", "paid", "--json").stdout)]
        number = paid[0]["number"]
        out = run(base, "pa", "send", number).stdout
        assert number in out and "transmise" in out
        shown = json.loads(run(base, "doc", "show", number, "--json").stdout)["einvoice"]
        assert shown["syntax"] == "Factur-X" and shown["flow_id"] == platform.outgoing()[0]["flowId"]
        run(base, "pa", "status-message", number, "--status", "212", "-o", str(tmp_path) + "/", "--send")
        assert (tmp_path / f"{number}-212.xml").exists()
        status = json.loads(run(base, "pa", "status", number, "--json").stdout)["einvoice"]
        assert status["status_code"] == 212 and status["history"][-1]["label"] == "Encaissée"
        assert [f["flowSyntax"] for f in platform.outgoing()] == ["Factur-X", "CDAR"]
        assert "0 statut(s) nouveau(x)" in run(base, "pa", "sync").stdout
        err = run(base, "pa", "import-status", str(tmp_path / f"{number}-212.xml")).stdout
        assert "(déjà connu)" in err
        bad = tmp_path / "bad.xml"
        bad.write_text("<pas-un-cdar/>")
        assert "message de cycle de vie CDAR attendu" in run(base, "pa", "import-status", str(bad), expect=2).stderr
        assert platform.errors == []
    finally:
        platform.stop()


def test_payment_terms_from_the_command_line(base, tmp_path):
    listed = run(base, "terms", "list").stdout
    for code in ("reception", "30j", "45j", "60j", "30jfdm", "45jfdm", "30jfdm10"):
        assert f"\n{code} " in "\n" + listed, code
    run(base, "customer", "set", "C001", "payment_terms=45jfdm")
    assert json.loads(run(base, "customer", "show", "C001").stdout)["payment_terms"] == "45jfdm"
    assert "L441-10" in run(base, "customer", "set", "C002", "payment_terms=90j").stdout + \
        run(base, "doc", "new", "invoice", "C002", "MO-ELEC:1", "--validate", expect=2).stderr
    bundle = tmp_path / "b.json"
    bundle.write_text(json.dumps({"format": "tui-factu/1", "customers": [
        {"code": "T45", "name": "Terme SARL", "kind": "company", "siren": "404833048", "payment_terms": "45jfdm"},
        {"code": "T30", "name": "Ancien SARL", "kind": "company", "siren": "552100554", "payment_terms_days": 30}]}))
    run(base, "import", str(bundle))
    assert json.loads(run(base, "customer", "show", "T45").stdout)["payment_terms"] == "45jfdm"
    assert json.loads(run(base, "customer", "show", "T30").stdout)["payment_terms_days"] == 30


def test_dunning_from_the_command_line(base, tmp_path):
    due = json.loads(run(base, "dunning", "run", "--date", "2026-12-15", "--json").stdout)
    assert due and set(due[0]) == {"invoice", "level", "days_late", "balance"}
    # --send mails today's reminders with their letters (tests/printers/test_reminder_letters.py
    # sends them through an SMTP server): never for another day, never without a mail server
    assert "n'est pas aujourd'hui" in run(base, "dunning", "run", "--date", "2026-12-15", "--send", expect=2).stderr
    assert "messagerie : non configurée" in run(base, "dunning", "run", "--send", expect=2).stderr
    today = json.loads(run(base, "dunning", "run", "--json").stdout)
    first = today[0]
    out = run(base, "dunning", "letter", first["invoice"], "-o", str(tmp_path)).stdout
    assert f"relance-{first['invoice']}-R{first['level']}.pdf" in out and "enregistrée comme envoyée par courrier" in out
    assert (tmp_path / f"relance-{first['invoice']}-R{first['level']}.pdf").read_bytes().startswith(b"%PDF-")
    assert json.loads(run(base, "dunning", "run", "--json").stdout) == today[1:]    # that level went: once
    assert "(copie)" in run(base, "dunning", "letter", first["invoice"], "-o", str(tmp_path)).stdout
    history = run(base, "dunning", "history", first["invoice"]).stdout
    assert f"niveau {first['level']}" in history and "courrier" in history
    err = run(base, "dunning", "penalty", "DE2026-00001", expect=2).stderr
    assert "pas une facture émise" in err
    err = run(base, "dunning", "letter", "DE2026-00001", expect=2).stderr
    assert "pas une facture émise" in err


def test_sepa_direct_debit_from_the_command_line(base, tmp_path):
    run(base, "setting", "sepa.creditor_id", "FR72ZZZ123456")
    overdue = json.loads(run(base, "dunning", "run", "--json").stdout)[0]
    customer = json.loads(run(base, "doc", "show", overdue["invoice"], "--json").stdout)["customer"]["code"]
    out = run(base, "sepa", "mandate", "add", customer, "--iban", "FR7630006000011234567890189",
              "--rum", "RUM-1", "--signed", "2026-09-01", "--recurring").stdout
    assert f"Mandat RUM-1 enregistré pour {customer} (récurrent)" in out
    assert "FRST" in run(base, "sepa", "mandate", "list").stdout
    target = tmp_path / "prlv.xml"
    done = json.loads(run(base, "sepa", "export", "--date", "2026-12-10", "-o", str(target), "--json").stdout)
    assert overdue["invoice"] in {d["invoice"] for d in done} and {d["sequence"] for d in done} == {"FRST"}
    assert b"pain.008.001.08" in target.read_bytes()
    assert json.loads(run(base, "doc", "show", overdue["invoice"], "--json").stdout)["status"] == "paid"
    back = run(base, "sepa", "return", done[0]["end_to_end_id"], "--reason", "MD06").stdout
    assert "rouverte" in back
    again = run(base, "sepa", "export", "--date", "2026-12-10", "-o", str(tmp_path / "again.xml")).stdout
    assert f"{done[0]['invoice']}" in again and "RCUR" in again          # presented again, as recurring
    err = run(base, "sepa", "export", "--date", "2026-12-10", "-o", str(tmp_path / "none.xml"), expect=2).stderr
    assert "aucun prélèvement" in err
    assert "IBAN invalide" in run(base, "sepa", "mandate", "add", customer, "--iban", "FR00", "--rum", "X",
                                  "--signed", "2026-09-01", expect=2).stderr


def test_recurring_contracts_from_the_command_line(base):
    out = run(base, "contract", "add", "C001", "--every", "month", "--start", "2026-10-15", "DEPLAC:1:49.90",
              "MO-ELEC:2").stdout
    assert "Contrat n° 1 (mensuel, à échoir) pour C001 à partir du 15/10/2026." in out
    listed = json.loads(run(base, "contract", "list", "--json").stdout)
    assert listed[0]["next_invoice"] == "2026-10-15" and listed[0]["billed"] == 0
    made = json.loads(run(base, "contract", "run", "--date", "2026-12-01", "--validate", "--json").stdout)
    assert [m["period"] for m in made] == [["2026-10-01", "2026-10-31"], ["2026-11-01", "2026-11-30"],
                                          ["2026-12-01", "2026-12-31"]]
    assert all(m["number"] for m in made)
    assert json.loads(run(base, "contract", "run", "--date", "2026-12-01", "--json").stdout) == []
    assert "choix invalide: 'week'" in run(base, "contract", "add", "C001", "--every", "week", "--start",
                                           "2026-10-15", "DEPLAC", expect=2).stderr


def test_price_lists_from_the_command_line(base, tmp_path):
    run(base, "pricelist", "set", "PRO", "QUI0001", "1.05", "--min-qty", "10")
    run(base, "customer", "set", "C001", "pricelist=PRO", "discount_percent=5")
    assert "prix liste PRO, dès 10" in run(base, "pricelist", "price", "C001", "QUI0001", "--qty", "12").stdout
    run(base, "doc", "new", "quote", "C001", "QUI0001:12", "DEPLAC:1")
    quote = json.loads(run(base, "doc", "list", "--kind", "quote", "--status", "draft", "--json").stdout)[-1]
    lines = json.loads(run(base, "doc", "show", f"#{quote['id']}", "--json").stdout)["lines"]
    assert [(ln["unit_price"], ln["discount_percent"]) for ln in lines] == [("1.05", "0"), ("35.00", "5")]
    exported = tmp_path / "all.json"
    run(base, "export", str(exported))
    bundle = json.loads(exported.read_text())
    assert {"list": "PRO", "product": "QUI0001", "price": "1.05"}.items() <= bundle["pricelists"][0].items()
    assert next(c for c in bundle["customers"] if c["code"] == "C001")["pricelist"] == "PRO"
