"""Turns a reportlab PDF into PDF/A-3b: an sRGB OutputIntent and XMP metadata (pdfaid 3B).
Fonts are already embedded by the layout; Factur-X adds its own XMP on top for invoices."""
import datetime as dt
import io
from xml.sax.saxutils import escape

from pypdf import PdfReader, PdfWriter
from pypdf.generic import (ArrayObject, DecodedStreamObject, DictionaryObject, NameObject,
                           NumberObject, TextStringObject)

_icc: list[bytes] = []


def srgb_profile() -> bytes:
    if not _icc:
        from PIL import ImageCms
        _icc.append(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    return _icc[0]


def xmp(title: str, producer: str, created: dt.datetime) -> bytes:
    stamp = created.strftime("%Y-%m-%dT%H:%M:%S+00:00")
    return f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/"
    xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:pdf="http://ns.adobe.com/pdf/1.3/">
   <pdfaid:part>3</pdfaid:part>
   <pdfaid:conformance>B</pdfaid:conformance>
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">{escape(title)}</rdf:li></rdf:Alt></dc:title>
   <dc:format>application/pdf</dc:format>
   <xmp:CreateDate>{stamp}</xmp:CreateDate>
   <xmp:ModifyDate>{stamp}</xmp:ModifyDate>
   <xmp:CreatorTool>tui-factu</xmp:CreatorTool>
   <pdf:Producer>{escape(producer)}</pdf:Producer>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>""".encode()


def finish(pdf_bytes: bytes, title: str, with_xmp: bool = True) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes)))
    icc = DecodedStreamObject()
    icc.set_data(srgb_profile())
    icc.update({NameObject("/N"): NumberObject(3)})
    intent = DictionaryObject({
        NameObject("/Type"): NameObject("/OutputIntent"),
        NameObject("/S"): NameObject("/GTS_PDFA1"),
        NameObject("/OutputConditionIdentifier"): TextStringObject("sRGB"),
        NameObject("/Info"): TextStringObject("sRGB IEC61966-2.1"),
        NameObject("/DestOutputProfile"): writer._add_object(icc),
    })
    writer._root_object[NameObject("/OutputIntents")] = ArrayObject([writer._add_object(intent)])
    producer = "tui-factu (ReportLab)"
    created = dt.datetime.now(dt.timezone.utc)
    writer.add_metadata({"/Title": title, "/Producer": producer, "/Creator": "tui-factu",
                         "/CreationDate": created.strftime("D:%Y%m%d%H%M%S+00'00'"),
                         "/ModDate": created.strftime("D:%Y%m%d%H%M%S+00'00'")})
    if with_xmp:
        meta = DecodedStreamObject()
        meta.set_data(xmp(title, producer, created))
        meta.update({NameObject("/Type"): NameObject("/Metadata"),
                     NameObject("/Subtype"): NameObject("/XML")})
        writer._root_object[NameObject("/Metadata")] = writer._add_object(meta)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
