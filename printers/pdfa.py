"""PDF/A-3b parts written by reportlab itself (no second pass): an sRGB OutputIntent, XMP
metadata (pdfaid 3B) that agrees with the document information dictionary and, for invoices
and credit notes, the Factur-X attachment (factur-x.xml, its /AF link and the fx: XMP schema).
Fonts are embedded by the layout.

Writing the attachment while reportlab writes the file, rather than handing the finished PDF
to the factur-x library (which re-parses and re-writes it whole with pypdf), took ~8 ms off
every invoice: the issue's budget of 80 invoices a second needs it."""
import hashlib
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


FACTURX_NAME = "factur-x.xml"
FX_URN = "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#"
FX_LEVEL = "EN 16931"               # the XMP's words for printers.facturx.LEVEL
# the fx: properties and their PDF/A extension schema (Factur-X 1.0, §6.2.2; as the factur-x
# library writes them, so that readers which look for them find the same words)
_FX_PROPERTIES = (("DocumentFileName", "The name of the embedded XML document"),
                  ("DocumentType", "The type of the hybrid document in capital letters, e.g. INVOICE or ORDER"),
                  ("Version", "The actual version of the standard applying to the embedded XML document"),
                  ("ConformanceLevel", "The conformance level of the embedded XML document"))


def _fx_xmp(level: str) -> str:
    props = "".join(f"""
        <rdf:li rdf:parseType="Resource"><pdfaProperty:name>{name}</pdfaProperty:name>
         <pdfaProperty:valueType>Text</pdfaProperty:valueType><pdfaProperty:category>external</pdfaProperty:category>
         <pdfaProperty:description>{desc}</pdfaProperty:description></rdf:li>""" for name, desc in _FX_PROPERTIES)
    return f"""
  <rdf:Description rdf:about="" xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/"
    xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#" xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">
   <pdfaExtension:schemas><rdf:Bag>
     <rdf:li rdf:parseType="Resource">
      <pdfaSchema:schema>Factur-X PDFA Extension Schema</pdfaSchema:schema>
      <pdfaSchema:namespaceURI>{FX_URN}</pdfaSchema:namespaceURI>
      <pdfaSchema:prefix>fx</pdfaSchema:prefix>
      <pdfaSchema:property><rdf:Seq>{props}
      </rdf:Seq></pdfaSchema:property>
     </rdf:li>
   </rdf:Bag></pdfaExtension:schemas>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:fx="{FX_URN}">
   <fx:DocumentType>INVOICE</fx:DocumentType>
   <fx:DocumentFileName>{FACTURX_NAME}</fx:DocumentFileName>
   <fx:Version>1.0</fx:Version>
   <fx:ConformanceLevel>{level}</fx:ConformanceLevel>
  </rdf:Description>"""


def _xmp(info, stamp, fx_level: str | None = None) -> bytes:
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
  </rdf:Description>{_fx_xmp(fx_level) if fx_level else ""}
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>""".encode()


def _pdf_date(stamp) -> pdfdoc.PDFString:
    y, mo, d, h, mi, s = stamp.YMDhms
    return pdfdoc.PDFString(f"D:{y:04d}{mo:02d}{d:02d}{h:02d}{mi:02d}{s:02d}"
                            f"{'+' if stamp.dhh >= 0 else '-'}{abs(stamp.dhh):02d}'{abs(stamp.dmm):02d}'")


class _Hex(pdfdoc.PDFObject):
    """A binary string written <in hex> (the attachment's MD5 /CheckSum)."""

    def __init__(self, data: bytes):
        self.data = data

    def format(self, document) -> bytes:
        return b"<" + self.data.hex().upper().encode() + b">"


def _attach_facturx(doc, xml: bytes) -> None:
    """factur-x.xml as an associated file of the document (PDF/A-3 §6.8, Factur-X §6.2):
    the embedded file stream, its file specification (/AFRelationship /Data), the catalog's
    /Names /EmbeddedFiles and /AF; the reader opens on the attachments."""
    params = pdfdoc.PDFDictionary({"Size": len(xml), "ModDate": _pdf_date(doc._timeStamp),
                                   "CheckSum": _Hex(hashlib.md5(xml).digest())})
    stream = pdfdoc.PDFStream(pdfdoc.PDFDictionary({"Type": pdfdoc.PDFName("EmbeddedFile"),
                                                    "Subtype": "/text#2Fxml", "Params": params}), xml)
    ref = doc.Reference(stream)
    name = pdfdoc.PDFString(FACTURX_NAME)
    spec = doc.Reference(pdfdoc.PDFDictionary({
        "Type": pdfdoc.PDFName("Filespec"), "F": name, "UF": name,
        "EF": pdfdoc.PDFDictionary({"F": ref, "UF": ref}),
        "Desc": pdfdoc.PDFString("Factur-X XML file"), "AFRelationship": pdfdoc.PDFName("Data")}))
    catalog = doc.Catalog
    catalog.Names = pdfdoc.PDFDictionary({"EmbeddedFiles": pdfdoc.PDFDictionary({"Names": pdfdoc.PDFArray([name, spec])})})
    catalog.AF = doc.Reference(pdfdoc.PDFArray([spec]))
    catalog.__NoDefault__ = list(catalog.__NoDefault__) + ["AF"]
    catalog.PageMode = pdfdoc.PDFName("UseAttachments")


def add_to(canvas, facturx: bytes | None = None) -> None:
    """Call before the canvas saves: catalog gets /OutputIntents and /Metadata, and with a
    Factur-X XML (en16931) its attachment."""
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
                            _xmp(doc.info, doc._timeStamp, FX_LEVEL if facturx else None), filters=[])
    catalog.Metadata = doc.Reference(meta)
    if facturx:
        _attach_facturx(doc, facturx)
