"""Paper and PDF: PDF/A-3 and Factur-X files (pdf), the e-invoice alone (xml), thermal slips (slip), the printers
(printers) and the print queue (queue)."""
from ..errors import FactuError


def cmd_pdf(args):
    from printers import dispatch
    if args.all:
        if not args.output:
            raise FactuError("pdf --all : -o DOSSIER obligatoire", "-o", None)
        return _pdf_batch(args)
    if not args.ref:
        raise FactuError("pdf : REF ou --all attendu", "REF", None)
    path = dispatch.write_pdf(args.ref, args.output, args.sign)
    print(f"PDF écrit : {path}")


def _pdf_batch(args):
    """Streams every matching document to DIR, one at a time (constant memory). An export, not
    an issuance: no print is logged, the originals stay unused."""
    from pathlib import Path
    from printers import dispatch
    from .. import documents, files
    out = Path(files.check_folder(args.output, "PDF", "-o"))
    start = documents.parse_date(args.date_from, "--from") if args.date_from else None
    end = documents.parse_date(args.date_to, "--to") if args.date_to else None
    after, count = None, 0
    while True:
        page = documents.listing(args.kind, None, None, after, limit=200)
        if not page:
            break
        after = page[-1]["id"]
        for row in page:
            if row["number"] is None:
                continue
            if (start and row["date"] < start.isoformat()) or (end and row["date"] > end.isoformat()):
                continue
            dispatch.write_pdf(row["number"], str(out), args.sign, issue=False)   # an export: no original used
            count += 1
    print(f"{count} PDF écrit(s) dans {out}")


def cmd_xml(args):
    from printers import dispatch
    path = dispatch.write_xml(args.ref, args.syntax, args.output)
    print(f"Facture électronique ({args.syntax.upper()}) écrite : {path}")


def cmd_slip(args):
    from printers import dispatch
    job = dispatch.slip(args.ref, args.printer, receipt=args.receipt, qr=args.qr)
    print(f"Imprimé (travail n° {job}).")


def cmd_printers(args):
    from .. import printing
    if args.action == "add":
        if not args.name or not args.url:
            raise FactuError("printers add NOM URL attendu", "imprimante", None)
        printing.set_printer(args.name, args.url, args.profile, args.columns)
    elif args.action == "test":
        from printers import dispatch
        job = dispatch.test(args.name)
        print(f"Page de test imprimée (travail n° {job}).")
        return
    found = printing.printers()
    for name, conf in sorted(found.items()):
        print(f"{name:<12} {conf.get('url', ''):<36} {conf.get('profile', 'default'):<10} "
              f"{conf.get('columns', '42')} colonnes")
    if not found:
        print("Aucune imprimante (tui-factu printers add default tcp://192.168.1.50:9100)")


def cmd_queue(args):
    from .. import printing
    if args.action == "retry":
        from printers import dispatch
        if args.job is None:
            raise FactuError("queue retry N : numéro du travail attendu", "travail", None)
        dispatch.send(args.job)
        print(f"Travail n° {args.job} imprimé.")
        return
    labels = {"pending": "en attente", "printed": "imprimé", "failed": "échec"}
    for j in printing.queue(args.state):
        print(f"{j.id:>5} {j.created_at[:16]} {j.what:<8} {j.ref:<14} {labels.get(j.state, j.state):<10} "
              f"{j.printer:<28} {j.error[:60]}")


def register(sub) -> None:
    """Adds to the root's sub-commands: pdf, xml, slip, printers, queue."""
    s = sub.add_parser("pdf", help="PDF/A-3 (Factur-X pour les factures et avoirs)")
    s.add_argument("ref", nargs="?")
    s.add_argument("-o", "--output")
    s.add_argument("--sign", action="store_true", help="signature PAdES avec le certificat de la société")
    s.add_argument("--all", action="store_true")
    s.add_argument("--kind")
    s.add_argument("--from", dest="date_from")
    s.add_argument("--to", dest="date_to")
    s.set_defaults(func=cmd_pdf)
    s = sub.add_parser("xml", help="facture électronique seule (CII ou UBL 2.1) d'une facture ou d'un avoir validé")
    s.add_argument("ref")
    s.add_argument("--syntax", default="cii", help="cii (défaut) ou ubl")
    s.add_argument("-o", "--output")
    s.set_defaults(func=cmd_xml)
    s = sub.add_parser("slip", help="bon de livraison (ou --receipt : ticket) sur imprimante thermique")
    s.add_argument("ref")
    s.add_argument("--printer", help="nom configuré ou URL (tcp://, usb://, serial://, file://, cups://)")
    s.add_argument("--receipt", action="store_true")
    s.add_argument("--qr", action="store_true")
    s.set_defaults(func=cmd_slip)
    s = sub.add_parser("printers", help="imprimantes : list | add NOM URL | test NOM")
    s.add_argument("action", nargs="?", default="list", choices=("list", "add", "test"))
    s.add_argument("name", nargs="?")
    s.add_argument("url", nargs="?")
    s.add_argument("--profile", default="default")
    s.add_argument("--columns", type=int, default=42)
    s.set_defaults(func=cmd_printers)
    s = sub.add_parser("queue", help="file d'impression : list | retry N")
    s.add_argument("action", nargs="?", default="list", choices=("list", "retry"))
    s.add_argument("job", nargs="?", type=int)
    s.add_argument("--state", choices=("pending", "printed", "failed"))
    s.set_defaults(func=cmd_queue)
