"""Printable A4 label sheets: one Digital Link QR code per item or lot, with its GS1 text.

The sheet is a single self-contained HTML document (inline SVG and CSS, no external assets) laid
out for 63.5 × 38.1 mm labels, 3 × 7 per A4 page, the common "L7160" stock.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from html import escape

from trace_service.codes.digital_link import SubjectRef
from trace_service.codes.identifiers import InvalidSerial, NotEan13, is_ascii_digits, parse_gtin
from trace_service.codes.render import ean13_barcode, qr_code
from trace_service.errors import DomainError, ValidationFailed

MAX_LABELS = 500
LABELS_PER_PAGE = 21


class TooManyLabels(DomainError):
    code = "too_many_labels"
    status = 422
    title = "Too many labels for one sheet"


def serial_range(first: str, count: int) -> list[str]:
    """`count` consecutive numeric serials from `first`, zero-padded to the width of `first`.

    Raises TooManyLabels beyond MAX_LABELS, ValidationFailed for a count below 1 and InvalidSerial
    if `first` is not digits or the range would need more digits than `first` has.
    """
    _check_label_count(count)
    if not is_ascii_digits(first):
        raise InvalidSerial(f"A serial range starts from digits only, not {first!r}.")
    start, width = int(first), len(first)
    last = start + count - 1
    if len(str(last)) > width:
        raise InvalidSerial(
            f"{count} serials from {first!r} would reach {last}, wider than {width}."
        )
    return [str(number).zfill(width) for number in range(start, last + 1)]


def label_sheet(
    base_url: str,
    gtin: str,
    *,
    serials: Sequence[str] = (),
    lot: str | None = None,
    copies: int = 1,
    product_name: str = "",
) -> str:
    """An HTML label sheet for serialised items of a GTIN, or `copies` labels of one lot.

    Raises InvalidGtin, InvalidSerial, InvalidLot, TooManyLabels beyond MAX_LABELS, and
    ValidationFailed when both or neither of serials and lot are given or a serial repeats.
    """
    if bool(serials) == (lot is not None):
        raise ValidationFailed("Give either serials or a lot, not both or neither.")
    gtin14 = parse_gtin(gtin)
    if lot is not None:
        _check_label_count(copies)
        refs = [SubjectRef.for_lot(gtin14, lot)] * copies
    else:
        _check_label_count(len(serials))
        repeated = sorted(s for s, n in Counter(serials).items() if n > 1)
        if repeated:
            # Two labels with one serial would put two physical items under one identity.
            raise ValidationFailed(f"Serials must be unique; repeated: {', '.join(repeated)}.")
        refs = [SubjectRef.for_item(gtin14, serial) for serial in serials]
    ean = _compact_ean13(gtin14)
    labels = [_label(base_url, ref, product_name, ean) for ref in refs]
    pages = [
        '<section class="sheet">' + "".join(labels[i : i + LABELS_PER_PAGE]) + "</section>"
        for i in range(0, len(labels), LABELS_PER_PAGE)
    ]
    title = escape(product_name or f"GTIN {gtin14}")
    return _DOCUMENT.format(title=title, css=_CSS, pages="\n".join(pages))


def _check_label_count(count: int) -> None:
    if count < 1:
        raise ValidationFailed("A label sheet needs at least one label.")
    if count > MAX_LABELS:
        raise TooManyLabels(f"{count} labels requested; a sheet holds at most {MAX_LABELS}.")


def _compact_ean13(gtin14: str) -> str | None:
    # A GTIN-8 or GTIN-14 has no EAN-13 form; the label then carries the QR code alone.
    try:
        return ean13_barcode(gtin14, "svg", compact=True).decode("utf-8")
    except NotEan13:
        return None


def _label(base_url: str, ref: SubjectRef, product_name: str, ean: str | None) -> str:
    qr = qr_code(base_url, ref, "svg").decode("utf-8")
    name = f'<p class="name">{escape(product_name)}</p>' if product_name else ""
    barcode = f'<div class="ean">{ean}</div>' if ean else ""
    return (
        f'<div class="label"><div class="qr">{qr}</div><div class="text">{name}'
        f'<p class="hri">{escape(ref.element_string)}</p>{barcode}</div></div>'
    )


_CSS = """
@page { size: A4; margin: 14mm 7.25mm; }
* { box-sizing: border-box; }
html, body { margin: 0; color: #000; font-family: "DejaVu Sans", Arial, sans-serif; }
.sheet {
  display: grid; grid-template-columns: repeat(3, 63.5mm); grid-auto-rows: 38.1mm;
  column-gap: 2.5mm; break-after: page;
}
.sheet:last-child { break-after: auto; }
.label { display: flex; gap: 1.5mm; padding: 2mm; overflow: hidden; break-inside: avoid; }
.qr { flex: none; }
.qr svg { display: block; width: 24mm; height: 24mm; }
.text { display: flex; flex-direction: column; min-width: 0; }
.name {
  margin: 0; font-size: 8pt; font-weight: bold; line-height: 1.15;
  display: -webkit-box; -webkit-line-clamp: 2; -webkit-box-orient: vertical; overflow: hidden;
}
.hri { margin: 1mm 0 0; font: 6.5pt/1.2 "DejaVu Sans Mono", monospace; overflow-wrap: anywhere; }
.ean { margin-top: auto; }
.ean svg { display: block; }
@media screen {
  body { background: #ccc; }
  .sheet {
    width: 210mm; height: 297mm; margin: 8mm auto; padding: 14mm 7.25mm;
    background: #fff; box-shadow: 0 1mm 4mm rgba(0, 0, 0, 0.3);
  }
  .label { outline: 0.2mm dashed #bbb; }
}
"""

_DOCUMENT = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Labels: {title}</title>
<style>{css}</style>
</head>
<body>
{pages}
</body>
</html>
"""
