"""Reading a PDF back as a person would: its text, its pages and their size."""

from io import BytesIO

from pypdf import PdfReader

A4_POINTS = (595.28, 841.89)  # 210 x 297 mm


def pdf_text(data: bytes) -> str:
    """Every page's text, whitespace (line and cell breaks too) as single spaces."""
    pages = PdfReader(BytesIO(data)).pages
    return " ".join(" ".join((page.extract_text() or "").split()) for page in pages)


def page_sizes(data: bytes) -> list[tuple[float, float]]:
    """Each page's width and height in points."""
    pages = PdfReader(BytesIO(data)).pages
    return [(float(page.mediabox.width), float(page.mediabox.height)) for page in pages]


def is_a4(data: bytes) -> bool:
    sizes = page_sizes(data)
    return bool(sizes) and all(
        abs(width - A4_POINTS[0]) < 0.5 and abs(height - A4_POINTS[1]) < 0.5
        for width, height in sizes
    )
