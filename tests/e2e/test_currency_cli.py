"""`tui-factu rates` and a document in dollars as a script drives them, on a copy of the demo."""
import json

from support import run_cli as run  # noqa: E402

USD_DOC = {"format": "tui-factu/1", "documents": [
    {"kind": "invoice", "customer": "US01", "currency": "USD", "validate": True,
     "lines": [{"description": "Conseil export", "quantity": "2", "unit_price": "500", "vat_rate": "0",
                "vat_category": "G"}]}]}


def test_rates_set_import_and_a_dollar_invoice_in_doc_show_json(base, tmp_path):
    assert run(base, "rates", "set", "GBP", "2026-12-01", "1,1612").stdout.strip() == \
        "1 GBP = 1.1612 € à partir du 2026-12-01"
    refused = run(base, "rates", "set", "ZZZ", "2026-12-01", "1", expect=2).stderr
    assert "devise inconnue (code ISO 4217 attendu" in refused and "Traceback" not in refused

    bad = tmp_path / "bad.csv"
    bad.write_text("devise;date;cours\nCHF;2026-11-30;1.07\nCHF;2026-13-01;1.08\n", encoding="utf-8")
    assert "ligne 3 : date : date invalide" in run(base, "rates", "import", str(bad), expect=2).stderr
    assert "CHF" not in run(base, "rates", "list").stdout               # all or nothing
    good = tmp_path / "good.csv"
    good.write_text("CHF;2026-11-30;1.07\nUSD;2026-12-01;0.95\n", encoding="utf-8")
    assert run(base, "rates", "import", str(good)).stdout.strip() == "2 cours importés"
    assert {"currency": "USD", "date": "2026-12-01", "rate": "0.95"} in json.loads(run(base, "rates", "list", "--json").stdout)

    bundle = tmp_path / "usd.json"
    bundle.write_text(json.dumps(USD_DOC), encoding="utf-8")
    run(base, "import", str(bundle))
    number = json.loads(run(base, "doc", "list", "--json", "--kind", "invoice").stdout)[-1]["number"]
    shown = json.loads(run(base, "doc", "show", number, "--json").stdout)
    assert (shown["currency"], shown["exchange_rate"], shown["vat_total_eur"]) == ("USD", "0.95", "0.00")
    assert shown["totals"]["grand_total"] == "1000.00"
    text = run(base, "doc", "show", number).stdout
    assert "TTC 1 000,00 $US" in text and "TVA en euros 0,00 € (1 USD = 0,95 €)" in text

    USD_DOC["documents"][0]["currency"] = "SEK"                          # no rate: refused, nothing made
    bundle.write_text(json.dumps(USD_DOC), encoding="utf-8")
    assert "documents[0] : devise : aucun cours connu au 01/12/2026" in run(base, "import", str(bundle), expect=2).stderr
    USD_DOC["documents"][0]["exchange_rate"] = "0.087"                  # the rate the import gives
    bundle.write_text(json.dumps(USD_DOC), encoding="utf-8")
    run(base, "import", str(bundle))
    sek = json.loads(run(base, "doc", "list", "--json", "--kind", "invoice").stdout)[-1]["number"]
    assert json.loads(run(base, "doc", "show", sek, "--json").stdout)["exchange_rate"] == "0.087"
