"""Documents: kinds and statuses (kinds.py, data), reading them (queries.py), drafts (drafts.py,
the one way to create one), the status writer (status.py), the flow (flow.py: validate,
transform, credit, replace) and what a person reads of them (views.py).

Inside the core, import the submodule you need (`from .documents import queries`): each sits on
its own floor (ARCHITECTURE.md). The edges (CLI, screens, printers, tests) may write
`documents.validate(...)`: the names below resolve on first use, without importing the flow
into every core module that only reads a document.
"""
import importlib

_WHERE = {
    "flow": ("validate", "created_and_validated", "transform", "credit", "replace", "set_status"),
    "drafts": ("create", "make", "update_draft", "delete_draft", "store_content", "clean_line", "HEADER_FIELDS"),
    "queries": ("get", "resolve", "lines_of", "adjustments_of", "vat_of", "label", "remaining", "may_become", "availability",
                "backorders", "listing", "sold", "find"),
    "status": ("transition", "seal_untracked_statuses", "shown"),
    "views": ("show", "genealogy"),
    "kinds": ("KINDS", "KIND_LABELS", "STATUSES", "STATUS_LABELS", "TRANSFORMS", "PRICED_LINE_KINDS",
              "LINE_KINDS", "INVOICE_TYPES", "DOCUMENT_CHAINS", "MANUAL"),
}
_OWNER = {name: module for module, names in _WHERE.items() for name in names}
_OWNER.update({"parse_date": "drafts", "parse_line_args": "inputs", "to_decimal": "money"})


def __getattr__(name: str):
    module = _OWNER.get(name)
    if module is None:
        raise AttributeError(f"module 'tui_factu.documents' has no attribute {name!r}")
    package = "tui_factu" if module in ("inputs", "money") else __name__
    return getattr(importlib.import_module(f"{package}.{module}"), name)
