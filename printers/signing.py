"""PAdES signature of a PDF with the company's PKCS#12 certificate (pyhanko). The signature is
an incremental update: the PDF/A-3 structure and the Factur-X attachment stay byte for byte."""
import io
import os

from tui_factu.errors import FactuError
from tui_factu.models import Setting


def sign(pdf: bytes, p12_path: str, passphrase: bytes | None) -> bytes:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    try:
        signer = signers.SimpleSigner.load_pkcs12(p12_path, passphrase=passphrase)
    except (OSError, ValueError) as e:
        raise FactuError(f"certificat : illisible « {p12_path} » ({e})", "certificat", p12_path) from None
    if signer is None:
        raise FactuError(f"certificat : illisible ou mot de passe faux « {p12_path} »", "certificat", p12_path)
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    meta = signers.PdfSignatureMetadata(field_name="Signature", subfilter=fields.SigSeedSubFilter.PADES,
                                        reason="Facture émise", location="France")
    return signers.sign_pdf(writer, meta, signer=signer).getvalue()


def sign_with_company_certificate(pdf: bytes) -> bytes:
    row = Setting.get_or_none(Setting.key == "signing.p12")
    path = os.environ.get("TUI_FACTU_P12") or (row.value if row else "")
    if not path:
        raise FactuError("certificat : aucun certificat PKCS#12 configuré (tui-factu company "
                         "certificate FICHIER.p12, mot de passe dans TUI_FACTU_P12_PASSWORD)",
                         "certificat", None)
    password = os.environ.get("TUI_FACTU_P12_PASSWORD")
    return sign(pdf, path, password.encode() if password else None)
