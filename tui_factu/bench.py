"""`tui-factu bench`: our figures next to a bare baseline measured in the same run.

Builds a synthetic database in a temporary folder (N sealed invoices of ~5 lines, 100,000
customers and products), then measures validate+seal, verify, lookups and the document list.
Timings are printed, never asserted: budgets live in the issues, and this command is how we
check them.
"""
import base64
import datetime as dt
import hashlib
import json
import os
import random
import sqlite3
import statistics
import tempfile
import time
from decimal import Decimal
from pathlib import Path

RESULTS = []


def report(name, ours, baseline, unit, budget_text, ok):
    ratio = (ours / baseline) if baseline else float("nan")
    RESULTS.append((name, ours, baseline, unit, ratio, budget_text, ok))
    print(f"{name:<44} {ours:>12,.2f} {unit:<4} baseline {baseline:>12,.3f}  ratio {ratio:7.2f}  "
          f"budget {budget_text:<18} {'OK' if ok else 'HORS BUDGET'}", flush=True)


def open_base(path):
    """Connects to a synthetic base of the benchmark and acts as its own administrator (made
    on first use: the base is the benchmark's, in its temporary folder)."""
    from tui_factu import db as database, session, users
    from tui_factu.models import User
    database.connect(str(path))
    database.ensure_schema()
    with session.unauthenticated():
        fresh = not User.select().exists()
    if fresh:
        users.bootstrap_admin("bench", None, None)
    else:
        session.set_user("bench")


_connect = open_base


def _bulk_base(n_docs: int, n_catalog: int = 100_000):
    """Customers, products and n_docs sealed invoices, written in bulk through raw SQL, then
    sealed with the same payload builder and signing key as validation uses."""
    from tui_factu import catalog, journal, sealing
    from tui_factu.models import db
    rng = random.Random(7)
    catalog.update_company({"name": "Banc d'essai SARL", "siren": "732829320"})
    conn = db.connection()
    snap = json.dumps({"code": "B000001", "name": "Client 1"}, sort_keys=True)
    seller = journal.canonical(catalog.company_snapshot())
    with db.atomic():
        conn.executemany(
            "INSERT INTO customer (code, name, name_key, kind, siren, siret, vat_number, email, phone,"
            " line1, line2, postcode, city, country, delivery_name, delivery_line1, delivery_line2,"
            " delivery_postcode, delivery_city, delivery_country, salesperson, notes, active, einvoice_address, service_code)"
            " VALUES (?, ?, ?, 'company', '', '', '', '', '', '1 rue', '', '75001', 'Paris', 'FR',"
            " '', '', '', '', '', '', '', '', 1, '', '')",
            ((f"B{i:06d}", f"Client {i}", f"client {i}") for i in range(1, n_catalog + 1)))
        conn.executemany(
            "INSERT INTO product (code, name, name_key, barcode, family, kind, unit, price, cost, vat_rate,"
            " vat_category, stock_managed, active) VALUES (?, ?, ?, '', 'F', 'goods', 'C62', ?, ?, 2000,"
            " 'S', 0, 1)",
            ((f"P{i:06d}", f"Produit {i}", f"produit {i}", rng.randint(100, 99999), 50)
             for i in range(1, n_catalog + 1)))
    start = dt.date(2026, 1, 1)
    batch = 20_000
    for lo in range(0, n_docs, batch):
        hi = min(n_docs, lo + batch)
        with db.atomic():
            docs, lines, vats = [], [], []
            for i in range(lo, hi):
                doc_id = i + 1
                d = start + dt.timedelta(days=i * 300 // max(n_docs, 1))
                nets = []
                for pos in range(1, 6):
                    qty, price = rng.randint(1, 9), rng.randint(100, 20000)
                    net = qty * price // 100           # cents (price scale 4 -> cents)
                    nets.append(net)
                    lines.append((doc_id, pos, "goods", "P000001", "Produit", qty * 1000, price * 100,
                                  2000, "S", net))
                basis = sum(nets)
                tax = (basis * 20 + 50) // 100
                vats.append((doc_id, "S", 2000, basis, tax))
                docs.append((doc_id, f"FA2026-{doc_id:06d}", d.isoformat(), rng.randint(1, 1000), snap, seller,
                             basis, basis, tax, basis + tax, basis + tax))
            conn.executemany(
                "INSERT INTO document (id, kind, type, status, number, date, customer_id, customer_snapshot,"
                " seller_snapshot, reference, notes, currency, source_refs, returns_goods, version,"
                " line_total, allowance_total, charge_total, tax_basis_total, tax_total, grand_total,"
                " prepaid, rounding, due, sealed, created_at, created_by, validated_at, validated_by)"
                " VALUES (?, 'invoice', 'standard', 'validated', ?, ?, ?, ?, ?, '', '', 'EUR', '[]', 1, 1,"
                " ?, 0, 0, ?, ?, ?, 0, 0, ?, 0, '2026-01-01T00:00:00+00:00', 'bench',"
                " '2026-01-01T00:00:00+00:00', 'bench')", docs)
            conn.executemany(
                "INSERT INTO document_line (document_id, position, kind, code, description, quantity, unit,"
                " unit_price, discount_percent, vat_rate, vat_category, net_amount)"
                " VALUES (?, ?, ?, ?, ?, ?, 'C62', ?, 0, ?, ?, ?)", lines)
            conn.executemany("INSERT INTO document_vat (document_id, category, rate, basis, amount)"
                             " VALUES (?, ?, ?, ?, ?)", vats)
            conn.execute("UPDATE document SET sealed = 1 WHERE id > ? AND id <= ?", (lo, hi))
    # Seal them as validation would (same payload builder, same key, same chain).
    local = journal._signer()
    key, key_id = local.key, local.key_id
    prev, rows = "", []
    for seq, (chain, number, _, payload) in enumerate(sealing.document_payloads(), start=1):
        text = journal.canonical(payload)
        digest = journal.record_hash(chain, seq, prev, text)
        sig = base64.urlsafe_b64encode(key.sign(digest)).decode()
        rows.append((chain, seq, "validate", number, text, prev, digest.hex(), sig, key_id))
        prev = sig
    with db.atomic():
        conn.executemany("INSERT INTO journal_record (chain, seq, action, ref, payload, prev_signature, hash,"
                         " signature, key_id, format_version, created_at, user) VALUES"
                         " (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, '2026-01-01T00:00:00+00:00', 'bench')", rows)
        conn.execute("INSERT INTO sequence (series, period, next_value, last_date) VALUES "
                     "('invoice', '2026', ?, '2026-12-31')", (n_docs + 1,))
    if rows:
        local.committed("invoice", len(rows), rows[-1][6])
    return rows


def bench_validate(tmp: Path, count: int = 2000):
    from tui_factu import catalog
    from tui_factu.documents import drafts, flow
    catalog.save_customer({"code": "VAL", "name": "Validation", "siren": "552100554"})
    drafts = [drafts.create("invoice", "VAL", "2026-12-31",
                               [{"product": f"P{(i * 5 + k) % 1000 + 1:06d}", "quantity": str(k + 1)}
                                for k in range(5)]).id for i in range(count)]
    t0 = time.perf_counter()
    for doc_id in drafts:
        flow.validate(doc_id)
    ours = count / (time.perf_counter() - t0)
    # Bare floor: one sqlite3 transaction per document: insert it and five lines, take a number,
    # store a hash.
    con = sqlite3.connect(tmp / "floor.db", isolation_level=None)
    con.execute("PRAGMA journal_mode=wal")
    con.execute("PRAGMA synchronous=normal")
    con.executescript("CREATE TABLE d (id INTEGER PRIMARY KEY, number TEXT, total INTEGER);"
                      "CREATE TABLE l (id INTEGER PRIMARY KEY, d INTEGER, pos INTEGER, qty INTEGER, price INTEGER);"
                      "CREATE TABLE s (series TEXT PRIMARY KEY, n INTEGER); INSERT INTO s VALUES ('FA', 1);"
                      "CREATE TABLE j (id INTEGER PRIMARY KEY, ref TEXT, hash TEXT);")
    t0 = time.perf_counter()
    for i in range(count):
        con.execute("BEGIN IMMEDIATE")
        n = con.execute("SELECT n FROM s WHERE series = 'FA'").fetchone()[0]
        con.execute("UPDATE s SET n = n + 1 WHERE series = 'FA'")
        cur = con.execute("INSERT INTO d (number, total) VALUES (?, ?)", (f"FA{n:06d}", i))
        con.executemany("INSERT INTO l (d, pos, qty, price) VALUES (?, ?, ?, ?)",
                        [(cur.lastrowid, p, 1, 100) for p in range(5)])
        con.execute("INSERT INTO j (ref, hash) VALUES (?, ?)",
                    (f"FA{n:06d}", hashlib.sha256(str(i).encode()).hexdigest()))
        con.execute("COMMIT")
    floor = count / (time.perf_counter() - t0)
    con.close()
    report("validate+seal (factures/s, 1 processus)", ours, floor, "/s", ">= 300/s", ours >= 300)


def bench_verify(rows):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: F401
    from tui_factu import journal, verify
    t0 = time.perf_counter()
    rep = verify.run()
    elapsed = time.perf_counter() - t0
    records = sum(c.records for c in rep.chains)
    ours = records / elapsed
    pub = journal.public_key()[1]
    sample = rows[: min(len(rows), 20_000)]
    t0 = time.perf_counter()
    for r in sample:
        pub.verify(base64.urlsafe_b64decode(r[7]), bytes.fromhex(r[6]))
    floor = len(sample) / (time.perf_counter() - t0)
    state = "intact" if rep.ok else "ALTÉRÉ"
    report(f"verify ({records:,} sceaux, {state}; /s)".replace(",", " "), ours, floor, "/s",
           ">= 0.6 × crypto", ours >= 0.6 * floor)


def bench_lookup():
    from tui_factu import catalog
    from tui_factu.models import db
    rng = random.Random(3)
    prefixes = [f"B{rng.randint(0, 9999):04d}" for _ in range(300)]
    times = []
    for p in prefixes:
        t0 = time.perf_counter()
        catalog.find_customers(p, anywhere=False)
        times.append((time.perf_counter() - t0) * 1000)
    ours = statistics.median(times)
    conn = db.connection()
    times = []
    for p in prefixes:
        t0 = time.perf_counter()
        conn.execute("SELECT * FROM customer WHERE code >= ? AND code < ? ORDER BY code LIMIT 20",
                     (p, p + "\uffff")).fetchall()
        times.append((time.perf_counter() - t0) * 1000)
    floor = statistics.median(times)
    report("recherche client par préfixe (ms, médiane)", ours, floor, "ms", "< 5 ms", ours < 5)
    times = []
    for p in prefixes:
        t0 = time.perf_counter()
        catalog.find_products("P" + p[1:], anywhere=False)
        times.append((time.perf_counter() - t0) * 1000)
    ours_p = statistics.median(times)
    report("recherche produit par préfixe (ms, médiane)", ours_p, floor, "ms", "< 5 ms", ours_p < 5)
    # what the pickers and the palette do: the prefixes, then any part of a code or a name (a
    # scan when the prefixes leave room), within a keystroke
    times = []
    for p in prefixes:
        t0 = time.perf_counter()
        catalog.find_customers(p[1:])
        times.append((time.perf_counter() - t0) * 1000)
    anywhere = statistics.median(times)
    report("recherche client, partie du code ou du nom (ms, médiane)", anywhere, floor, "ms", "< 50 ms",
           anywhere < 50)


def bench_list(tmp: Path, n: int):
    """First page of the document list among n documents (headers only)."""
    from tui_factu import db as database
    from tui_factu.documents import queries
    from tui_factu.models import db
    path = tmp / "list.db"
    _connect(path)
    conn = db.connection()
    with db.atomic():
        conn.execute("INSERT INTO customer (code, name, name_key, kind, siren, siret, vat_number, email, phone,"
                     " line1, line2, postcode, city, country, delivery_name, delivery_line1, delivery_line2,"
                     " delivery_postcode, delivery_city, delivery_country, salesperson, notes, active, einvoice_address, service_code)"
                     " VALUES ('L1', 'Liste', 'liste', 'company', '', '', '', '', '', '', '', '', '', 'FR',"
                     " '', '', '', '', '', '', '', '', 1, '', '')")
        conn.executemany(
            "INSERT INTO document (kind, type, status, number, date, customer_id, reference, notes, currency,"
            " source_refs, returns_goods, version, line_total, allowance_total, charge_total, tax_basis_total,"
            " tax_total, grand_total, prepaid, rounding, due, sealed, created_at, created_by)"
            " VALUES (?, 'standard', 'validated', ?, '2026-06-01', 1, '', '', 'EUR', '[]', 1, 1, 100, 0, 0,"
            " 100, 20, 120, 0, 0, 120, 0, '', '')",
            ((("invoice", "quote", "order", "delivery")[i % 4], f"X{i:07d}") for i in range(n)))
    timings = {}
    for label, kwargs in (("toutes", {}), ("factures", {"kind": "invoice"})):
        times = []
        for _ in range(30):
            t0 = time.perf_counter()
            queries.listing(limit=50, descending=True, **kwargs)
            times.append((time.perf_counter() - t0) * 1000)
        timings[label] = statistics.median(times)
    times = []
    for _ in range(30):
        t0 = time.perf_counter()
        conn.execute("SELECT d.id, d.kind, d.number, d.status, d.date, c.code, c.name, d.grand_total FROM document d"
                     " JOIN customer c ON c.id = d.customer_id WHERE d.kind = 'invoice'"
                     " ORDER BY d.id DESC LIMIT 50").fetchall()
        times.append((time.perf_counter() - t0) * 1000)
    floor = statistics.median(times)
    report(f"liste, 1re page parmi {n:,} documents (ms)".replace(",", " "), timings["factures"], floor, "ms",
           "< 50 ms", timings["factures"] < 50)
    database.db.close()


def bench_situations(tmp: Path, n_lines: int = 300, n_situations: int = 50):
    """A long building-site cycle: each situation reads what stands on the contract in a few
    queries, so the 50th costs what the first did (Dolibarr re-queries per line: pain 5)."""
    from tui_factu import catalog, situations
    from tui_factu.documents import drafts, flow
    from tui_factu import db as database
    _connect(tmp / "situations.db")
    catalog.update_company({"name": "Chantiers SARL", "siren": "732829320"})
    catalog.save_customer({"code": "MOA", "name": "Maître d'ouvrage", "siren": "552100554"})
    lines = []
    for i in range(n_lines):
        if i % 30 == 0:
            lines.append({"kind": "section", "description": f"Lot {i // 30 + 1}"})
        lines.append({"description": f"Ouvrage {i + 1}", "quantity": str(1 + i % 7), "unit": "C62",
                      "unit_price": f"{100 + i * 7 % 900}.{i % 100:02d}", "vat_rate": ("20", "10", "5.5")[i % 3]})
    order = flow.validate(drafts.create("order", "MOA", None, lines).id)
    timings = []
    for n in range(1, n_situations + 1):
        pct = str(n * 100 // n_situations)
        t0 = time.perf_counter()
        flow.created_and_validated(lambda: situations.create(order.id, percent=pct, retention="5"))
        timings.append((time.perf_counter() - t0) * 1000)
    t0 = time.perf_counter()          # the same 300 lines as a plain invoice, created and validated
    flow.created_and_validated(lambda: drafts.create("invoice", "MOA", None, lines))
    floor = (time.perf_counter() - t0) * 1000
    last = statistics.median(timings[-5:])
    report(f"situation n° {n_situations} de {n_lines} lignes (ms)", last, floor, "ms",
           "<= 1.5x la n° 1, < 1 s", last <= 1.5 * statistics.median(timings[:5]) and last < 1000)
    database.db.close()


def bank_base(n_invoices: int = 10_000, n_lines: int = 1_000, seed: int = 5) -> dict:
    """Open invoices and a bank statement to match, written in bulk into the base now open:
    n_invoices validated invoices of n_invoices / 5 customers, and n_lines credits: 40 % cite
    an invoice's RF reference with its exact balance (certain), 30 % an invoice's exact balance
    and its customer's name, 15 % two invoices of one customer and its name, 15 % nobody's.
    Returns how many of each."""
    from tui_factu import bank, clock
    from tui_factu.models import BankLine, BankStatement, db
    rng = random.Random(seed)
    conn = db.connection()
    n_customers = max(2, n_invoices // 5)
    c0 = conn.execute("SELECT COALESCE(MAX(id), 0) FROM customer").fetchone()[0]
    d0 = conn.execute("SELECT COALESCE(MAX(id), 0) FROM document").fetchone()[0]
    with db.atomic():
        conn.executemany(
            "INSERT INTO customer (id, code, name, name_key, kind, siren, siret, vat_number, email, phone, line1, line2,"
            " postcode, city, country, delivery_name, delivery_line1, delivery_line2, delivery_postcode,"
            " delivery_city, delivery_country, salesperson, notes, active, einvoice_address, service_code) VALUES"
            " (?, ?, ?, ?, 'company', '', '', '', '', '', '', '', '', '', 'FR', '', '', '', '', '', '', '', '', 1, '', '')",
            ((c0 + i, f"K{i:06d}", f"Client {i} SARL", f"client {i} sarl") for i in range(1, n_customers + 1)))
        invoices = []
        for i in range(1, n_invoices + 1):
            cents = rng.randint(1000, 300_000)
            invoices.append((d0 + i, f"FB2026-{i:06d}", c0 + rng.randint(1, n_customers), cents))
        conn.executemany(
            "INSERT INTO document (id, kind, type, status, number, date, due_date, customer_id, reference, notes,"
            " currency, source_refs, returns_goods, version, line_total, allowance_total, charge_total,"
            " tax_basis_total, tax_total, grand_total, prepaid, rounding, due, sealed, created_at, created_by)"
            " VALUES (?, 'invoice', 'standard', 'validated', ?, '2026-10-01', '2026-10-31', ?, '', '', 'EUR', '[]',"
            " 1, 1, ?, 0, 0, ?, 0, ?, 0, 0, ?, 0, '', '')",
            ((i, number, cust, cents, cents, cents, cents) for i, number, cust, cents in invoices))
    rng.shuffle(invoices)
    by_customer: dict = {}
    for inv in invoices:
        by_customer.setdefault(inv[2], []).append(inv)
    used, lines, counts = set(), [], {"certain": 0, "name": 0, "grouped": 0, "none": 0}

    def take(inv):
        used.add(inv[0])
        return inv
    pool = iter(invoices)
    for k in range(n_lines):
        kind = ("certain", "name", "grouped", "none")[0 if k % 20 < 8 else 1 if k % 20 < 14 else 2 if k % 20 < 17 else 3]
        if kind == "grouped":
            cust = next((c for c, own in by_customer.items() if sum(x[0] not in used for x in own) >= 2), None)
            if cust is None:
                kind = "none"
            else:
                two = [take(x) for x in [x for x in by_customer[cust] if x[0] not in used][:2]]
                lines.append((two[0][3] + two[1][3], f"VIR SEPA CLIENT {cust - c0} FACTURES", ""))
        if kind in ("certain", "name"):
            inv = take(next(x for x in pool if x[0] not in used))
            if kind == "certain":
                lines.append((inv[3], "VIR SEPA REGLEMENT", bank.payment_reference(inv[1])))
            else:
                lines.append((inv[3], f"VIR SEPA CLIENT {inv[2] - c0} SARL", ""))
        if kind == "none":
            lines.append((rng.randint(101, 999), f"VIR INCONNU {k}", ""))
        counts[kind] += 1
    statement = BankStatement.create(account="FR7630006000011234567890189", format="camt053",
                                     sha256=hashlib.sha256(str(rng.random()).encode()).hexdigest(), date=clock.today())
    rows = [{"statement": statement.id, "key": f"bench:{statement.id}:{k}", "date": clock.today(),
             "amount": Decimal(cents).scaleb(-2), "label": label, "reference": ref, "counterparty": ""}
            for k, (cents, label, ref) in enumerate(lines)]
    with db.atomic():
        for i in range(0, len(rows), 200):
            BankLine.insert_many(rows[i:i + 200]).execute()
    return counts


def bench_bank(tmp: Path, n_invoices: int = 10_000, n_lines: int = 1_000):
    """Issue 17: `bank match` of n_lines credits against n_invoices open invoices, next to the
    bare SQL that reads the same balances and lines."""
    from tui_factu import bank
    from tui_factu import db as database
    from tui_factu.models import db
    _connect(tmp / "bank.db")
    bank_base(n_invoices, n_lines)
    conn = db.connection()
    ours = _median_ms(bank.match)
    bare = _median_ms(lambda: (conn.execute(
        "SELECT d.id, d.number, d.customer_id, d.due - COALESCE(p.paid, 0) FROM document d LEFT JOIN"
        " (SELECT document_id, SUM(amount) AS paid FROM payment_allocation GROUP BY document_id) p"
        " ON p.document_id = d.id WHERE d.kind = 'invoice' AND d.status IN ('validated', 'partly_paid')").fetchall(),
        conn.execute("SELECT * FROM bank_line WHERE payment_id IS NULL").fetchall()))
    report(f"rapprochement bancaire de {n_lines:,} lignes / {n_invoices:,} factures (ms)".replace(",", " "), ours, bare,
           "ms", "< 2 000 ms", ours < 2000)
    database.db.close()


def run(n_docs: int = 100_000, list_docs: int = 1_000_000) -> int:
    from tui_factu import db as database, journal
    tmp = Path(tempfile.mkdtemp(prefix="tui-factu-bench-"))
    os.environ["TUI_FACTU_KEYS"] = str(tmp / "keys")
    journal.forget_signers()
    print(f"Base synthétique dans {tmp} : {n_docs:,} factures scellées de 5 lignes, "
          f"100 000 clients et produits".replace(",", " "), flush=True)
    t0 = time.perf_counter()
    _connect(tmp / "bench.db")
    rows = _bulk_base(n_docs)
    print(f"  construite en {time.perf_counter() - t0:.1f} s", flush=True)
    bench_lookup()
    bench_verify(rows)
    bench_validate(tmp)
    database.db.close()
    if list_docs:
        bench_list(tmp, list_docs)
    bench_situations(tmp)
    bench_bank(tmp)
    if list_docs:
        bench_reports(tmp, list_docs)
    for extra in _extras():
        try:
            extra(tmp)
        except Exception as e:  # noqa: BLE001 - a broken figure is reported, the rest still runs
            print(f"mesure impossible ({extra.__module__}) : {type(e).__name__}: {e}")
    failed = [r for r in RESULTS if not r[6]]
    print(f"{len(RESULTS) - len(failed)}/{len(RESULTS)} mesures dans le budget")
    import shutil
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


def _extras():
    """Measures contributed by the printers and screens (composition root wires them)."""
    return list(EXTRAS)


EXTRAS = []


def _report_base(path: Path, n_docs: int, lines_per_doc: int = 5):
    """Two years of business in bulk: 1,000 customers with 10 salespeople, 10,000 products in
    20 families, n_docs documents (70 % invoices, 5 % credit notes, the rest quotes, orders,
    deliveries) of `lines_per_doc` lines each, one VAT row each, a tenth of invoices still open."""
    from tui_factu.models import db
    _connect(path)
    rng = random.Random(11)
    conn = db.connection()
    with db.atomic():
        conn.executemany(
            "INSERT INTO customer (code, name, name_key, kind, siren, siret, vat_number, email, phone, line1, line2,"
            " postcode, city, country, delivery_name, delivery_line1, delivery_line2, delivery_postcode,"
            " delivery_city, delivery_country, salesperson, notes, active, einvoice_address, service_code) VALUES (?, ?, ?, 'company', '', '', '',"
            " '', '', '', '', '', '', 'FR', '', '', '', '', '', '', ?, '', 1, '', '')",
            ((f"R{i:05d}", f"Client {i}", f"client {i}", f"vendeur{i % 10}") for i in range(1, 1001)))
        conn.executemany(
            "INSERT INTO product (code, name, name_key, barcode, family, kind, unit, price, cost, vat_rate,"
            " vat_category, stock_managed, active) VALUES (?, ?, ?, '', ?, 'goods', 'C62', 10000, 6000, 2000, 'S', 0, 1)",
            ((f"Q{i:05d}", f"Produit {i}", f"produit {i}", f"F{i % 20:02d}") for i in range(1, 10001)))
    kinds = ["invoice"] * 14 + ["credit_note", "quote", "quote", "order", "order", "delivery"]
    start, batch = dt.date(2025, 1, 1), 50_000
    for lo in range(0, n_docs, batch):
        docs, lines, vats = [], [], []
        for i in range(lo, min(n_docs, lo + batch)):
            doc_id, kind = i + 1, kinds[i % 20]
            d = start + dt.timedelta(days=i * 729 // n_docs)
            nets = []
            for pos in range(1, lines_per_doc + 1):
                qty, price = rng.randint(1, 9), rng.randint(100, 20000)
                nets.append(qty * price // 100)
                lines.append((doc_id, pos, "goods", rng.randint(1, 10000), qty * 1000, price * 100, 2000, "S",
                              nets[-1], 6000))
            basis = sum(nets)
            tax = (basis * 20 + 50) // 100
            status = ("validated" if rng.random() < 0.1 else "paid") if kind == "invoice" else "validated"
            vats.append((doc_id, "S", 2000, basis, tax))
            docs.append((doc_id, kind, status, f"{kind[:2].upper()}{doc_id:08d}", d.isoformat(),
                         (d + dt.timedelta(days=30)).isoformat(), rng.randint(1, 1000), basis, basis, tax,
                         basis + tax, basis + tax))
        with db.atomic():
            conn.executemany(
                "INSERT INTO document (id, kind, type, status, number, date, due_date, customer_id, reference, notes,"
                " currency, source_refs, returns_goods, version, line_total, allowance_total, charge_total,"
                " tax_basis_total, tax_total, grand_total, prepaid, rounding, due, sealed, created_at, created_by)"
                " VALUES (?, ?, 'standard', ?, ?, ?, ?, ?, '', '', 'EUR', '[]', 1, 1, ?, 0, 0, ?, ?, ?, 0, 0, ?, 0, '', '')",
                docs)
            conn.executemany(
                "INSERT INTO document_line (document_id, position, kind, product_id, code, description, quantity, unit,"
                " unit_price, discount_percent, vat_rate, vat_category, net_amount, cost_price)"
                " VALUES (?, ?, ?, ?, '', 'Produit', ?, 'C62', ?, 0, ?, ?, ?, ?)", lines)
            conn.executemany("INSERT INTO document_vat (document_id, category, rate, basis, amount)"
                             " VALUES (?, ?, ?, ?, ?)", vats)
            # validated documents are sealed (sales figures read the seal): set once their rows are in
            conn.execute("UPDATE document SET sealed = 1 WHERE id BETWEEN ? AND ?", (lo + 1, lo + len(docs)))
    return conn


def _median_ms(fn_, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn_()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def bench_reports(tmp: Path, n_docs: int = 1_000_000):
    """Issue 7 on n_docs documents of 5 lines: customer ranking for a year against the same
    aggregation as one bare SQL statement, the aging and the tracking lists, and the year's
    sales journal streamed to CSV (its peak memory)."""
    import tracemalloc
    from tui_factu import csvout, reports
    from tui_factu import db as database
    t0 = time.perf_counter()
    conn = _report_base(tmp / "reports.db", n_docs)
    print(f"  base des états : {n_docs:,} documents, {n_docs * 5:,} lignes en {time.perf_counter() - t0:.0f} s"
          .replace(",", " "), flush=True)
    ours = _median_ms(lambda: reports.ranking("customer", "revenue", "2026-01-01", "2026-12-31", top=20))
    bare_sql = ("SELECT c.code, c.name,"
                " SUM(CASE WHEN d.date >= '2026-01-01' THEN (CASE WHEN d.kind = 'credit_note' THEN -1 ELSE 1 END)"
                " * d.tax_basis_total ELSE 0 END),"
                " SUM(CASE WHEN d.date < '2026-01-01' THEN (CASE WHEN d.kind = 'credit_note' THEN -1 ELSE 1 END)"
                " * d.tax_basis_total ELSE 0 END)"
                " FROM document d JOIN customer c ON c.id = d.customer_id"
                " WHERE d.kind IN ('invoice', 'credit_note', 'receipt') AND d.status != 'draft'"
                " AND d.date BETWEEN '2025-01-01' AND '2026-12-31' GROUP BY c.code, c.name ORDER BY 3 DESC LIMIT 20")
    bare = _median_ms(lambda: conn.execute(bare_sql).fetchall())
    report("palmarès clients d'une année (ms)", ours, bare, "ms", "< 1 s, <= 1,5x SQL", ours < 1000 and ours <= 1.5 * bare)
    product = _median_ms(lambda: reports.ranking("product", "revenue", "2026-01-01", "2026-12-31", top=20), 1)
    report("palmarès produits d'une année (ms, 5 lignes/doc)", product, bare, "ms", "(information)", True)
    aging = _median_ms(reports.aging)
    report("balance âgée (ms)", aging, bare, "ms", "< 500 ms", aging < 500)
    tracking = max(_median_ms(lambda: reports.follow_up("overdue", 1001)), _median_ms(lambda: reports.due_soon(15)),
                   _median_ms(reports.deposits_unpaid), _median_ms(lambda: reports.follow_up("to-deliver", 1001)))
    report("écrans de suivi, le plus lent (ms)", tracking, bare, "ms", "< 500 ms", tracking < 500)
    tracemalloc.start()
    t0 = time.perf_counter()
    n = csvout.write(reports.sales_journal("2026-01-01", "2026-12-31"), str(tmp / "journal.csv"), True)
    seconds = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    report(f"journal des ventes 2026 en CSV, {n:,} lignes : pic mémoire (Mo)".replace(",", " "), peak,
           n / seconds, "Mo", "< 50 Mo (constant)", peak < 50)
    database.db.close()
