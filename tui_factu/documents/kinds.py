"""What documents there are and how they move: kinds, types, line kinds, the status machine,
what each kind may become, the journal chain of each kind, what counts as a sale, the roles
of links between documents. Data only: the one writer of statuses is documents/status.py, the
flow documents/flow.py."""

KINDS = ("quote", "order", "delivery", "invoice", "credit_note", "receipt")
KIND_LABELS = {"quote": "Devis", "order": "Commande", "delivery": "Bon de livraison",
               "invoice": "Facture", "credit_note": "Avoir", "receipt": "Ticket"}
# The gender of each kind's label: the words that agree with it (« Commande … créée », « Devis … créé »).
FEMININE = frozenset({"order", "invoice"})


def agreed(kind: str, participle: str) -> str:
    """A masculine past participle made to agree with the kind's label: agreed("order", "créé") -> "créée"."""
    return participle + "e" if kind in FEMININE else participle


INVOICE_TYPES = ("standard", "deposit", "progress", "final", "retention")
TYPE_LABELS = {"standard": "", "deposit": "Facture d'acompte", "progress": "Situation de travaux",
               "final": "Facture", "retention": "Libération de retenue de garantie"}
LINE_KINDS = ("goods", "service", "labour", "equipment", "text", "subtotal", "section")
PRICED_LINE_KINDS = ("goods", "service", "labour", "equipment")

# Status machine per kind: status -> statuses reachable from it. Payments move an invoice or a
# ticket between validated, partly_paid and paid; an order is closed when what remains of it
# will not be delivered ("solder le reliquat"); a ticket invoiced on request stays invoiced.
STATUSES = {
    "quote": {"draft": ("validated",), "validated": ("accepted", "refused", "expired"),
              "accepted": (), "refused": (), "expired": ("accepted", "refused")},
    "order": {"draft": ("validated",), "validated": ("partial", "delivered", "cancelled", "closed"),
              "partial": ("delivered", "partial", "closed"), "delivered": ("partial",), "cancelled": (),
              "closed": ()},
    "delivery": {"draft": ("validated",), "validated": ("invoiced",), "invoiced": ()},
    "invoice": {"draft": ("validated",), "validated": ("partly_paid", "paid"),
                "partly_paid": ("paid", "validated"), "paid": ("partly_paid", "validated")},
    "credit_note": {"draft": ("validated",), "validated": ()},
    "receipt": {"draft": ("validated",), "validated": ("partly_paid", "paid"),
                "partly_paid": ("paid", "validated"), "paid": ("partly_paid", "validated", "invoiced"),
                "invoiced": ()},
}
STATUS_LABELS = {"draft": "Brouillon", "validated": "Validé", "accepted": "Accepté",
                 "refused": "Refusé", "expired": "Expiré", "partial": "Livrée en partie",
                 "delivered": "Livrée", "cancelled": "Annulée", "invoiced": "Facturé",
                 "partly_paid": "Payée en partie", "paid": "Payée", "closed": "Soldée"}
# The statuses a user sets by hand (the others follow what the documents and payments do).
MANUAL = {"quote": ("accepted", "refused", "expired"), "order": ("cancelled", "closed")}
PAYMENT_STATUSES = ("validated", "partly_paid", "paid")

# source kind -> the kinds it may become
TRANSFORMS = {"quote": ("order", "invoice"), "order": ("delivery", "invoice"),
              "delivery": ("invoice",), "invoice": ("credit_note",), "receipt": ("invoice", "credit_note")}
QUOTE_VALIDITY_DAYS = 30

# the journal chain each kind is sealed in
DOCUMENT_CHAINS = {"quote": "quote", "order": "order", "delivery": "delivery",
                   "invoice": "invoice", "credit_note": "invoice", "receipt": "receipt"}

# What is sold: invoices and counter tickets, less credit notes (negative in every figure).
SOLD = ("invoice", "credit_note", "receipt")
SIGN = {"invoice": 1, "receipt": 1, "credit_note": -1}

# Links between documents (documents/links): the document holding the link -> the one it names.
LINK_ROLES = {
    "credits": "avoir sur",                       # credit note -> the invoice or ticket it credits
    "deposit_of": "acompte sur",                  # deposit invoice -> the quote or order it is asked on
    "deducts_deposit": "déduit l'acompte",        # invoice -> a deposit invoice it deducts
    "replaces": "annule et remplace",             # invoice -> the invoice it replaces
    "invoices_ticket": "facture le ticket",       # invoice -> the ticket it was made from
    "situation_of": "situation de",               # progress invoice -> its order (the contract)
    "milestone_of": "échéance de",                # plan invoice -> its order
    "retention_of": "libère la retenue de",       # retention release invoice -> its order
    "bills": "facture",                           # invoice -> a source it bills (order, quote, delivery)
}
