"""Opening the database, its pragmas, the write transaction, and the versioned schema.

SQLite by default (WAL, foreign keys, busy timeout); PostgreSQL through a postgresql:// URL.
Every write runs in `write()`: on SQLite a BEGIN IMMEDIATE, so that concurrent terminals queue
on the busy timeout instead of failing on a lock upgrade.
"""
import hashlib
import os
import urllib.parse
from pathlib import Path

import peewee as pw

from . import models, session
from .errors import FactuError
from .models import db


class _Guarded:
    """Every statement asks the session first: nothing runs for an anonymous caller."""

    def execute_sql(self, sql, params=None):
        session.check()
        return super().execute_sql(sql, params)


class SqliteDatabase(_Guarded, pw.SqliteDatabase):
    pass


class PostgresqlDatabase(_Guarded, pw.PostgresqlDatabase):
    pass


def default_location() -> str:
    import platformdirs
    return str(Path(platformdirs.user_data_dir("tui-factu")) / "tui-factu.db")


def is_postgres(database=None) -> bool:
    return isinstance(database or db.obj, pw.PostgresqlDatabase)


def contains(field, text: str):
    """`text` anywhere in the field, as typed (not LIKE: its % and _ would be wildcards)."""
    return (pw.fn.STRPOS(field, text) if is_postgres() else pw.fn.INSTR(field, text)) > 0


def json_text(field, key: str):
    """The text at `key` of a JSON column, read by the database (a snapshot's name in a
    streamed report, without parsing each row in Python)."""
    if is_postgres():
        return pw.NodeList((pw.SQL("("), field, pw.SQL("::json ->> %s)", (key,))), glue="")
    return pw.fn.json_extract(field, f"$.{key}")


def connect(target: str | None = None) -> pw.Database:
    """Binds the model to the database named by target, TUI_FACTU_DB, or the default file."""
    url = target or os.environ.get("TUI_FACTU_DB") or default_location()
    if url.startswith(("postgresql://", "postgres://")):
        p = urllib.parse.urlparse(url)
        params = dict(urllib.parse.parse_qsl(p.query))
        database = PostgresqlDatabase(
            urllib.parse.unquote(p.path.lstrip("/")) or "postgres",
            user=urllib.parse.unquote(p.username) if p.username else None,
            password=urllib.parse.unquote(p.password) if p.password else None,
            host=p.hostname or None, port=p.port or None, connect_timeout=10,
            autoconnect=True, **params)
        database.tf_location = url
    else:
        path = url[len("sqlite:///"):] if url.startswith("sqlite:///") else url
        path = os.path.abspath(os.path.expanduser(path))
        try:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise FactuError(f"base de données : dossier impossible à créer « {path} » ({e.strerror})",
                             "db", path) from None
        _create_private(path)
        database = SqliteDatabase(path, timeout=60, pragmas=[
            ("journal_mode", "wal"), ("foreign_keys", 1), ("busy_timeout", 60000),
            ("synchronous", "normal")])
        database.tf_location = path
    db.initialize(database)
    try:
        with session.unauthenticated():
            db.connect(reuse_if_open=True)
    except pw.OperationalError as e:
        raise FactuError(f"base de données inaccessible « {url} » : {str(e).strip().splitlines()[0]}",
                         "db", url) from None
    return database


def _create_private(path: str) -> None:
    """A new base file is created readable by its owner only (it holds password hashes); a
    shared deployment opens it to a group on purpose (README, SSH)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    except OSError:
        return                        # sqlite names the problem when it opens the file
    os.close(fd)


def location() -> str:
    return db.obj.tf_location


def state_dir() -> Path:
    """Where the signing key and the tail anchor live: beside the database, never inside it."""
    override = os.environ.get("TUI_FACTU_KEYS")
    if override:
        d = Path(override)
    elif is_postgres():
        import platformdirs
        tag = hashlib.sha256(location().encode()).hexdigest()[:12]
        d = Path(platformdirs.user_data_dir("tui-factu")) / f"pg-{tag}.d"
    else:
        d = Path(location() + ".d")
    try:
        d.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as e:
        raise FactuError(f"dossier des clés inaccessible « {d} » ({e.strerror})", "clé", str(d)) from None
    return d


def write():
    """The transaction for every write; nested calls become savepoints."""
    if is_postgres() or db.transaction_depth() > 0:
        return db.atomic()
    return db.atomic("IMMEDIATE")


# ---- schema -------------------------------------------------------------------------------

SEALED_DOCUMENT_COLUMNS = (
    "kind", "type", "number", "date", "due_date", "validity_date", "customer_id",
    "customer_snapshot", "seller_snapshot", "reference", "notes", "currency", "source_refs",
    "preceding_id", "returns_goods", "version", "line_total", "allowance_total",
    "charge_total", "tax_basis_total", "tax_total", "grand_total", "prepaid", "rounding",
    "due", "sealed", "validated_at", "validated_by", "situation_no", "retention_percent",
    "retention_release", "exchange_rate", "tax_basis_total_eur", "tax_total_eur", "grand_total_eur")
CHILD_TABLES = ("document_line", "document_adjustment", "document_vat", "progress", "billing", "document_link")


def _sqlite_triggers() -> list[str]:
    changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in SEALED_DOCUMENT_COLUMNS)
    out = [
        f"""CREATE TRIGGER IF NOT EXISTS document_sealed_update BEFORE UPDATE ON document
            WHEN OLD.sealed AND ({changed} OR NEW.status = 'draft')
            BEGIN SELECT RAISE(ABORT, 'document scellé : modification refusée'); END""",
        """CREATE TRIGGER IF NOT EXISTS document_sealed_delete BEFORE DELETE ON document
            WHEN OLD.sealed BEGIN SELECT RAISE(ABORT, 'document scellé : suppression refusée'); END""",
        """CREATE TRIGGER IF NOT EXISTS journal_no_update BEFORE UPDATE ON journal_record
            BEGIN SELECT RAISE(ABORT, 'journal : modification refusée'); END""",
        """CREATE TRIGGER IF NOT EXISTS journal_no_delete BEFORE DELETE ON journal_record
            BEGIN SELECT RAISE(ABORT, 'journal : suppression refusée'); END""",
    ]
    for t in CHILD_TABLES:
        for op, row in (("UPDATE", "OLD"), ("DELETE", "OLD"), ("INSERT", "NEW")):
            out.append(
                f"""CREATE TRIGGER IF NOT EXISTS {t}_sealed_{op.lower()} BEFORE {op} ON {t}
                WHEN (SELECT sealed FROM document WHERE id = {row}.document_id)
                BEGIN SELECT RAISE(ABORT, 'document scellé : ligne non modifiable'); END""")
    return out


def _postgres_triggers() -> list[str]:
    new = ", ".join(f"NEW.{c}" for c in SEALED_DOCUMENT_COLUMNS)
    old = ", ".join(f"OLD.{c}" for c in SEALED_DOCUMENT_COLUMNS)
    out = [
        """CREATE OR REPLACE FUNCTION tf_refuse() RETURNS trigger AS $$
           BEGIN RAISE EXCEPTION USING MESSAGE = TG_ARGV[0]; END $$ LANGUAGE plpgsql""",
        """CREATE OR REPLACE FUNCTION tf_child_guard() RETURNS trigger AS $$
           DECLARE d integer;
           BEGIN
             IF TG_OP = 'INSERT' THEN d := NEW.document_id; ELSE d := OLD.document_id; END IF;
             IF (SELECT sealed FROM document WHERE id = d) THEN
               RAISE EXCEPTION 'document scellé : ligne non modifiable';
             END IF;
             IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
             RETURN NEW;
           END $$ LANGUAGE plpgsql""",
        "DROP TRIGGER IF EXISTS document_sealed_update ON document",
        f"""CREATE TRIGGER document_sealed_update BEFORE UPDATE ON document FOR EACH ROW
            WHEN (OLD.sealed AND (ROW({new}) IS DISTINCT FROM ROW({old}) OR NEW.status = 'draft'))
            EXECUTE FUNCTION tf_refuse('document scellé : modification refusée')""",
        "DROP TRIGGER IF EXISTS document_sealed_delete ON document",
        """CREATE TRIGGER document_sealed_delete BEFORE DELETE ON document FOR EACH ROW
            WHEN (OLD.sealed) EXECUTE FUNCTION tf_refuse('document scellé : suppression refusée')""",
        "DROP TRIGGER IF EXISTS journal_no_change ON journal_record",
        """CREATE TRIGGER journal_no_change BEFORE UPDATE OR DELETE ON journal_record FOR EACH ROW
            EXECUTE FUNCTION tf_refuse('journal : modification refusée')""",
    ]
    for t in CHILD_TABLES:
        out += [f"DROP TRIGGER IF EXISTS {t}_sealed ON {t}",
                f"""CREATE TRIGGER {t}_sealed BEFORE INSERT OR UPDATE OR DELETE ON {t}
                    FOR EACH ROW EXECUTE FUNCTION tf_child_guard()"""]
    return out


def _guard_sql() -> list[str]:
    """Every trigger that guards sealed rows, journal records, payments and closings."""
    out = list(_postgres_triggers() if is_postgres() else _sqlite_triggers())
    for table, what in (("payment", "paiement"), ("payment_allocation", "paiement"), ("closing", "clôture")):
        message = f"{what} scellé{'e' if what == 'clôture' else ''} : modification refusée"
        if is_postgres():
            out += [f"DROP TRIGGER IF EXISTS {table}_no_change ON {table}",
                    f"""CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table}
                        FOR EACH ROW EXECUTE FUNCTION tf_refuse('{message}')"""]
        else:
            out += [f"""CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON {table}
                        BEGIN SELECT RAISE(ABORT, '{message}'); END""" for op in ("UPDATE", "DELETE")]
    return out


def _squeeze(sql: str) -> str:
    return " ".join(sql.replace("IF NOT EXISTS ", "").split())


def guard_problems() -> list[tuple[str, str]]:
    """(trigger, what is wrong) for every guard that is not exactly as defined here: missing,
    disabled, or with another body (a no-op under the right name refuses nothing)."""
    import re
    wanted = {m.group(1): sql for sql in _guard_sql()
              for m in [re.search(r"CREATE TRIGGER (?:IF NOT EXISTS )?(\w+)", sql)] if m}
    if is_postgres():
        return _pg_guard_problems(wanted)
    present = dict(db.execute_sql("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall())
    out = []
    for name, sql in sorted(wanted.items()):
        if name not in present:
            out.append((name, "supprimé"))
        elif _squeeze(present[name]) != _squeeze(sql):
            out.append((name, "modifié (il ne fait plus ce qu'il doit)"))
    return out


_PG_TRIGGERS = """SELECT t.tgname, t.tgenabled, pg_get_triggerdef(t.oid), p.prosrc
    FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid
    WHERE NOT t.tgisinternal AND c.relnamespace = %s::regnamespace"""


def _pg_guard_problems(wanted: dict) -> list[tuple[str, str]]:
    """PostgreSQL renders a trigger its own way: the guards are installed once more on empty
    temporary copies of their tables, inside a savepoint rolled back at once, and the two
    renderings compared (schema names aside), with each one's function body and enabled state."""
    import re
    schema = db.execute_sql("SELECT current_schema()").fetchone()[0]
    tables = {re.search(r" ON (\w+)", sql).group(1) for sql in wanted.values()}

    def rendered(namespace):
        out = {}
        for name, enabled, definition, body in db.execute_sql(_PG_TRIGGERS, (namespace,)).fetchall():
            definition = re.sub(r" ON [\w.]+\.(\w+) ", r" ON \1 ", definition)
            # a dump and restore re-parses the condition: the same terms come back with other brackets
            out[name] = (enabled, " ".join(definition.replace("(", " ").replace(")", " ").split()),
                         " ".join(body.split()))
        return out
    actual = rendered(schema)
    with db.atomic() as sp:
        for table in sorted(tables):
            db.execute_sql(f"CREATE TEMP TABLE {table} (LIKE {schema}.{table})")
        install_triggers()
        temp = db.execute_sql("SELECT nspname FROM pg_namespace WHERE oid = pg_my_temp_schema()").fetchone()[0]
        reference = rendered(temp)
        sp.rollback()
    out = []
    for name in sorted(wanted):
        if name not in actual:
            out.append((name, "supprimé"))
        elif actual[name][0] != "O":
            out.append((name, "désactivé"))
        elif actual[name][1:] != reference.get(name, (None,))[1:]:
            out.append((name, "modifié (il ne fait plus ce qu'il doit)"))
    return out


def install_triggers() -> None:
    for sql in _guard_sql():
        db.execute_sql(sql)


def _migrate_2(migrator):
    """v2: products get a reorder level (stock follow-up)."""
    from playhouse.migrate import migrate
    migrate(migrator.add_column("product", "reorder_level",
                                models.Product.reorder_level))


def _migrate_3(migrator):
    """v3: the print queue (a new table: ensure_schema creates it)."""


def _migrate_4(migrator):
    """v4: payments and their allocations (new tables: ensure_schema creates them)."""


def _migrate_5(migrator):
    """v5: a payment may settle with, or refund, a credit note."""
    from playhouse.migrate import migrate
    if not db.table_exists("payment"):
        return                        # created whole, with the column, after the steps
    if "credit_note_id" not in {c.name for c in db.get_columns("payment")}:
        migrate(migrator.add_column("payment", "credit_note_id", models.Payment.credit_note))


def _migrate_6(migrator):
    """v6: billing schedules (a new table: ensure_schema creates it)."""


def _migrate_7(migrator):
    """v7: progress billing (situations): the situation number, the retention held and its
    release date on the document, VAT groups on lines, and the `progress` table (created by
    ensure_schema). The sealed-row trigger watches the new columns too, so SQLite's is rebuilt."""
    from playhouse.migrate import migrate
    for table, model, names in (("document", models.Document, ("situation_no", "retention_percent",
                                                                "retention_release")),
                                ("document_line", models.DocumentLine, ("vat_group", "vat_carried"))):
        have = {c.name for c in db.get_columns(table)}
        for name in names:
            if name not in have:
                migrate(migrator.add_column(table, name, model._meta.fields[name]))
    if not is_postgres():
        db.execute_sql("DROP TRIGGER IF EXISTS document_sealed_update")


def _migrate_8(migrator):
    """v8: equipment, interventions and their parts, time entries, and the billing links
    (new tables: ensure_schema creates them)."""


def _migrate_9(migrator):
    """v9: orders' billing plans (a new table: ensure_schema creates it)."""


def _migrate_10(migrator):
    """v10: periodic closings (a new table: ensure_schema creates it and its guard)."""


def _migrate_11(migrator):
    """v11: sales targets (a new table: ensure_schema creates it)."""


def _migrate_12(migrator):
    """v12: the company's public key pinned in its record (journal.py); guards that also refuse
    a sealed document going back to draft (rebuilt below)."""
    from playhouse.migrate import migrate
    have = {c.name for c in db.get_columns("company")}
    for name in ("signing_key_id", "signing_public_key"):
        if name not in have:
            migrate(migrator.add_column("company", name, models.Company._meta.fields[name]))
    if not is_postgres():
        db.execute_sql("DROP TRIGGER IF EXISTS document_sealed_update")


def _migrate_13(migrator):
    """v13: typed links between documents, read from what older documents say of each other
    (their preceding document, the references they print) before the guard protects them."""
    import json
    from playhouse.migrate import migrate
    from .models import Document, DocumentAdjustment, DocumentLine, DocumentLink, Instalment
    if "handed_over" not in {c.name for c in db.get_columns("document_line")}:
        migrate(migrator.add_column("document_line", "handed_over", DocumentLine.handed_over))
    have = {c.name for c in db.get_columns("document_adjustment")}
    for name in ("vat_group", "vat_carried"):
        if name not in have:
            migrate(migrator.add_column("document_adjustment", name, DocumentAdjustment._meta.fields[name]))
    if db.table_exists("instalment") and "retention" not in {c.name for c in db.get_columns("instalment")}:
        migrate(migrator.add_column("instalment", "retention", Instalment.retention))
    db.create_tables([DocumentLink], safe=True)
    if DocumentLink.select().exists():
        return
    by_number = dict(Document.select(Document.number, Document.id).where(Document.number.is_null(False)).tuples())
    rows = []
    for doc_id, kind, type_, preceding, refs in Document.select(
            Document.id, Document.kind, Document.type, Document.preceding, Document.source_refs).tuples():
        if preceding:
            role = {"credit_note": "credits"}.get(kind) or {"deposit": "deposit_of", "progress": "situation_of",
                                                             "retention": "retention_of"}.get(type_)
            if role:
                rows.append((doc_id, preceding, role))
        for ref in json.loads(refs or "[]"):
            target = by_number.get(ref.get("number"))
            if target is None or kind != "invoice":
                continue
            if ref.get("deposit"):
                rows.append((doc_id, target, "deducts_deposit"))
            elif ref.get("replaces"):
                rows.append((doc_id, target, "replaces"))
            elif ref.get("kind") == "receipt":
                rows.append((doc_id, target, "invoices_ticket"))
    rows += _contracts_billed()
    for i in range(0, len(rows), 500):
        DocumentLink.insert_many([{"document": d, "target": t, "role": r} for d, t, r in rows[i:i + 500]]).execute()
    _point_deductions_at_deposits()


def _contracts_billed() -> list[tuple]:
    """(invoice, order or quote, "bills") for the invoices made before the ledger, from where
    their lines come from (directly, or through a delivery note)."""
    from .models import Document, DocumentLine
    line, src, up = DocumentLine.alias("l"), DocumentLine.alias("s"), DocumentLine.alias("u")
    inv, sdoc, udoc = Document.alias("i"), Document.alias("sd"), Document.alias("ud")
    out = set()
    for invoice, source, kind, upper, upper_kind in (
            line.select(line.document, src.document, sdoc.kind, up.document, udoc.kind)
            .join(inv, on=(line.document == inv.id))
            .join(src, on=(line.origin == src.id), src=line).join(sdoc, on=(src.document == sdoc.id), src=src)
            .join(up, pw.JOIN.LEFT_OUTER, on=(src.origin == up.id), src=src)
            .join(udoc, pw.JOIN.LEFT_OUTER, on=(up.document == udoc.id), src=up)
            .where((inv.kind == "invoice") & (line.quantity > 0)).tuples()):
        if kind in ("order", "quote"):
            out.add((invoice, source, "bills"))
        elif kind == "delivery" and upper_kind == "order":
            out.add((invoice, upper, "bills"))
    return sorted(out)


def _point_deductions_at_deposits() -> None:
    """Deduction lines made before the ledger name their deposit in their text only: they are
    pointed at the deposit line of their rate (their origin), guards lifted for this step alone
    (install_triggers puts them back; an origin is not part of any seal)."""
    import re
    from .models import Document, DocumentLine
    deposit_lines = {(number, rate): line_id for line_id, number, rate in
                     DocumentLine.select(DocumentLine.id, Document.number, DocumentLine.vat_rate)
                     .join(Document, on=(DocumentLine.document == Document.id))
                     .where(Document.type == "deposit").tuples()}
    todo = []
    for line_id, text, rate in (DocumentLine.select(DocumentLine.id, DocumentLine.description, DocumentLine.vat_rate)
                                .where(DocumentLine.origin.is_null() & (DocumentLine.quantity < 0)
                                       & DocumentLine.description.startswith("Déduction de l'acompte ")).tuples()):
        m = re.match(r"Déduction de l'acompte (\S+)", text)
        target = deposit_lines.get((m.group(1), rate)) if m else None
        if target:
            todo.append((target, line_id))
    if not todo:
        return
    if is_postgres():
        db.execute_sql("ALTER TABLE document_line DISABLE TRIGGER document_line_sealed")
    else:
        db.execute_sql("DROP TRIGGER IF EXISTS document_line_sealed_update")
    for target, line_id in todo:
        DocumentLine.update(origin=target).where(DocumentLine.id == line_id).execute()
    if is_postgres():
        db.execute_sql("ALTER TABLE document_line ENABLE TRIGGER document_line_sealed")


def _migrate_14(migrator):
    """v14: electronic addresses (the reform's BT-34, BT-49), the company's VAT case (franchise,
    exemption article) and a public buyer's service code. Plain ADD COLUMN with a default: the
    migrator would rebuild the table for NOT NULL, which the foreign keys refuse on SQLite."""
    false = "FALSE" if is_postgres() else "0"
    wanted = {"company": {"einvoice_address": "VARCHAR(255) NOT NULL DEFAULT ''",
                          "vat_franchise": f"BOOLEAN NOT NULL DEFAULT {false}",
                          "vat_exemption": "VARCHAR(255) NOT NULL DEFAULT ''"},
              "customer": {"einvoice_address": "VARCHAR(255) NOT NULL DEFAULT ''",
                           "service_code": "VARCHAR(255) NOT NULL DEFAULT ''"}}
    for table, columns in wanted.items():
        have = {c.name for c in db.get_columns(table)}
        for name, ddl in columns.items():
            if name not in have:
                db.execute_sql(f'ALTER TABLE "{table}" ADD COLUMN "{name}" {ddl}')


def _migrate_15(migrator):
    """v15: the e-invoices' lifecycle statuses and the Plateforme Agréée outbox."""
    db.create_tables([models.EinvoiceStatus, models.PaFlow], safe=True)


def _migrate_16(migrator):
    """v16: payment terms as codes (terms.py) for the company and each customer."""
    for table in ("company", "customer"):
        if "payment_terms" not in {c.name for c in db.get_columns(table)}:
            db.execute_sql(f'ALTER TABLE "{table}" ADD COLUMN "payment_terms" VARCHAR(255) NOT NULL DEFAULT \'\'')


def _migrate_17(migrator):
    """v17: reminders and disputes (dunning), the mail outbox."""
    db.create_tables([models.Reminder, models.Dispute, models.MailOut], safe=True)


def _migrate_18(migrator):
    """v18: bank statements and their lines, SEPA mandates, cheque remittance slips."""
    db.create_tables([models.BankStatement, models.BankLine, models.Mandate, models.Remittance,
                      models.RemittanceItem], safe=True)


def _migrate_19(migrator):
    """v19: the SEPA direct debits sent to the bank."""
    db.create_tables([models.SepaDebit], safe=True)


def _migrate_20(migrator):
    """v20: recurring invoices (contracts, their lines, the periods billed)."""
    db.create_tables([models.Contract, models.ContractLine, models.ContractInvoice], safe=True)


def _migrate_21(migrator):
    """v21: price lists and their items; a customer's list, group and default discount."""
    db.create_tables([models.PriceList, models.PriceListItem], safe=True)
    have = {c.name for c in db.get_columns("customer")}
    for name, ddl in (("pricelist", "VARCHAR(255) NOT NULL DEFAULT ''"), ("price_group", "VARCHAR(255) NOT NULL DEFAULT ''"),
                      ("discount_percent", "BIGINT NOT NULL DEFAULT 0")):
        if name not in have:
            db.execute_sql(f'ALTER TABLE "customer" ADD COLUMN "{name}" {ddl}')


def _migrate_22(migrator):
    """v22: documents in another currency: the rate used and the totals in euros, the VAT rows
    in euros, the rates table. SQLite's guard trigger lists the sealed columns: it is dropped
    here so that install_triggers recreates it with the new ones."""
    wanted = {"document": ("exchange_rate", "tax_basis_total_eur", "tax_total_eur", "grand_total_eur"),
              "document_vat": ("basis_eur", "amount_eur")}
    for table, columns in wanted.items():
        have = {c.name for c in db.get_columns(table)}
        for name in columns:
            if name not in have:
                db.execute_sql(f'ALTER TABLE "{table}" ADD COLUMN "{name}" BIGINT')
    if not is_postgres():
        db.execute_sql("DROP TRIGGER IF EXISTS document_sealed_update")
    db.create_tables([models.ExchangeRate], safe=True)


def _migrate_23(migrator):
    """v23: a bank line's proposal set aside stays so (it was forgotten with the screen); the
    lifecycle statuses indexed by code (the home screen asks for the refused ones)."""
    if "set_aside" not in {c.name for c in db.get_columns("bank_line")}:
        db.execute_sql('ALTER TABLE "bank_line" ADD COLUMN "set_aside" BOOLEAN NOT NULL DEFAULT FALSE')
    db.execute_sql('CREATE INDEX IF NOT EXISTS "einvoice_status_code" ON "einvoice_status" ("code")')


# version -> step; a step only adds, it never drops a column or a row.
MIGRATIONS = {2: _migrate_2, 3: _migrate_3, 4: _migrate_4, 5: _migrate_5, 6: _migrate_6,
              7: _migrate_7, 8: _migrate_8, 9: _migrate_9, 10: _migrate_10, 11: _migrate_11,
              12: _migrate_12, 13: _migrate_13, 14: _migrate_14, 15: _migrate_15, 16: _migrate_16, 17: _migrate_17, 18: _migrate_18, 19: _migrate_19, 20: _migrate_20, 21: _migrate_21,
              22: _migrate_22, 23: _migrate_23}
SCHEMA_VERSION = 1 + len(MIGRATIONS)


def schema_version() -> int | None:
    if not db.table_exists("schema_info"):
        return None
    row = models.SchemaInfo.select().first()
    return row.version if row else None


def ensure_schema() -> int:
    """Creates the tables on an empty database or upgrades an older one in place."""
    from playhouse.migrate import PostgresqlMigrator, SqliteMigrator
    with session.unauthenticated(), write():
        if is_postgres():
            db.execute_sql("SELECT pg_advisory_xact_lock(74210)")
        version = schema_version()
        if version is None:
            db.create_tables(models.TABLES, safe=True)
            install_triggers()
            models.SchemaInfo.create(version=SCHEMA_VERSION)
            if not models.Company.get_or_none(id=1):
                models.Company.create(id=1)
            return SCHEMA_VERSION
        if version > SCHEMA_VERSION:
            raise FactuError(f"base de données : version de schéma {version} plus récente que "
                             f"ce logiciel ({SCHEMA_VERSION}) ; mettez tui-factu à jour",
                             "schema", version)
        migrator = PostgresqlMigrator(db) if is_postgres() else SqliteMigrator(db)
        for step in range(version + 1, SCHEMA_VERSION + 1):
            MIGRATIONS[step](migrator)
        if version < SCHEMA_VERSION:
            db.create_tables(models.TABLES, safe=True)   # tables new since `version`
            install_triggers()
            models.SchemaInfo.update(version=SCHEMA_VERSION).execute()
        return SCHEMA_VERSION


# ---- compiled queries ----------------------------------------------------------------------
# Peewee compiles SQL at ~20 µs a column: a `get` of a wide table costs ~0.7 ms, thirty times
# the statement itself. Hot paths (validation, verify, lookups) compile their SELECTs once per
# process and bind values per call.

class _Slot(int):
    """A sentinel integer that survives compilation and marks where a value goes."""


class _SlotStr(str):
    pass


_compiled: dict = {}


def prepared(key: str, build, *args) -> list[tuple]:
    """Rows of `build(*slots)` for these args; build must return a SELECT whose parameters are
    only the slots it receives (ints or strings, passed through unconverted)."""
    entry = _compiled.get((key, type(db.obj)))
    if entry is None:
        slots = [(_SlotStr(f"\x00slot{i}\x00") if isinstance(a, str) else _Slot(-7_000_000_000 - i))
                 for i, a in enumerate(args)]
        query = build(*slots)
        sql, params = query.sql()
        order = []
        for p in params:
            idx = next((i for i, s in enumerate(slots) if p == s), None)
            order.append(("slot", idx) if idx is not None else ("const", p))
        if {i for kind, i in order if kind == "slot"} != set(range(len(slots))):
            raise RuntimeError(f"prepared({key}): a value was converted during compilation")
        converters = [getattr(f, "python_value", None) if isinstance(f, pw.Field) else
                      getattr(f, "_coerce_fn", None) for f in (query._returning or ())]
        converters = [c if callable(c) else None for c in converters]
        entry = _compiled[(key, type(db.obj))] = (sql, order, converters)
    sql, order, converters = entry
    values = [args[i] if kind == "slot" else i for kind, i in order]
    cursor = db.execute_sql(sql, values)
    if cursor.description is None:
        return []
    return [tuple(v if c is None or v is None else c(v) for c, v in zip(converters, row))
            for row in cursor.fetchall()]


def prepared_models(key: str, model, build, *args) -> list:
    """Like prepared(), handing out model instances (build selects whole rows of `model`)."""
    entry = _compiled.get(("names", key, type(db.obj)))
    rows = prepared(key, build, *args)
    if entry is None:
        names = [f.name for f in build(*args)._returning]
        entry = _compiled[("names", key, type(db.obj))] = names
    out = []
    for row in rows:
        obj = model.__new__(model)
        obj.__data__ = {}
        obj._dirty = set()
        obj.__rel__ = {}
        for name, value in zip(entry, row):
            obj.__data__[model._meta.fields[name].name] = value
        out.append(obj)
    return out


def stream(query):
    """Iterates a SELECT's rows as tuples without peewee's per-row machinery (bulk reads:
    verify, exports). Only scaled numbers are converted (to Decimal); dates stay as the driver
    hands them (ISO text on SQLite), text and integers as they are."""
    from .money import ScaledField
    sql, params = query.sql()
    converters = [f.python_value if isinstance(f, ScaledField) else None for f in query._returning]
    cursor = db.execute_sql(sql, params)
    while True:
        rows = cursor.fetchmany(2000)
        if not rows:
            return
        for row in rows:
            yield tuple(v if c is None or v is None else c(v) for c, v in zip(converters, row))
