"""PDF/A-3b parts written by reportlab itself (no second pass): an sRGB OutputIntent and XMP
metadata (pdfaid 3B) that agrees with the document information dictionary. Fonts are embedded
by the layout; Factur-X adds its own XMP on top for invoices."""
from xml.sax.saxutils import escape

from reportlab.pdfbase import pdfdoc

_icc: list[bytes] = []


def _eol_before_endstream() -> None:
    """reportlab writes a stream's data and then `endstream` with nothing between them when
    the data does not end with a line feed (every binary, compressed stream): ISO 19005-1
    6.1.7 (veraPDF rule 6.1.7.1-2) wants an end-of-line before `endstream`, outside /Length.
    Factur-X PDFs passed only because pypdf rewrites them; quotes, orders, delivery notes,
    tickets and drafts did not."""
    original = pdfdoc.PDFStream.format
    if getattr(original, "tf_eol", False):
        return

    def format(self, document):
        out = original(self, document)
        return out[:-len(b"endstream\n")] + b"\nendstream\n"
    format.tf_eol, format.__wrapped__ = True, original
    pdfdoc.PDFStream.format = format


_eol_before_endstream()


def srgb_profile() -> bytes:
    if not _icc:
        from PIL import ImageCms
        _icc.append(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    return _icc[0]


def _xmp(info, stamp) -> bytes:
    y, mo, d, h, mi, s = stamp.YMDhms
    when = f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}{'+' if stamp.dhh >= 0 else '-'}" \
           f"{abs(stamp.dhh):02d}:{abs(stamp.dmm):02d}"
    return f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/"
    xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:pdf="http://ns.adobe.com/pdf/1.3/">
   <pdfaid:part>3</pdfaid:part>
   <pdfaid:conformance>B</pdfaid:conformance>
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">{escape(info.title)}</rdf:li></rdf:Alt></dc:title>
   <dc:creator><rdf:Seq><rdf:li>{escape(info.author)}</rdf:li></rdf:Seq></dc:creator>
   <dc:description><rdf:Alt><rdf:li xml:lang="x-default">{escape(info.subject)}</rdf:li></rdf:Alt></dc:description>
   <dc:format>application/pdf</dc:format>
   <xmp:CreateDate>{when}</xmp:CreateDate>
   <xmp:ModifyDate>{when}</xmp:ModifyDate>
   <xmp:CreatorTool>{escape(info.creator)}</xmp:CreatorTool>
   <pdf:Producer>{escape(info.producer)}</pdf:Producer>
   <pdf:Keywords>{escape(info.keywords)}</pdf:Keywords>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>""".encode()


def add_to(canvas) -> None:
    """Call before the canvas saves: catalog gets /OutputIntents and /Metadata."""
    doc = canvas._doc
    icc = pdfdoc.PDFStream(pdfdoc.PDFDictionary({"N": 3}), srgb_profile())
    intent = pdfdoc.PDFDictionary({
        "Type": pdfdoc.PDFName("OutputIntent"), "S": pdfdoc.PDFName("GTS_PDFA1"),
        "OutputConditionIdentifier": pdfdoc.PDFString("sRGB"),
        "Info": pdfdoc.PDFString("sRGB IEC61966-2.1"), "DestOutputProfile": doc.Reference(icc)})
    catalog = doc.Catalog
    catalog.OutputIntents = pdfdoc.PDFArray([doc.Reference(intent)])
    catalog.__NoDefault__ = list(catalog.__NoDefault__) + ["OutputIntents"]
    meta = pdfdoc.PDFStream(pdfdoc.PDFDictionary({"Type": pdfdoc.PDFName("Metadata"),
                                                  "Subtype": pdfdoc.PDFName("XML")}),
                            _xmp(doc.info, doc._timeStamp), filters=[])
    catalog.Metadata = doc.Reference(meta)
