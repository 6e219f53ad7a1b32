"""The support plan as a printable A4 PDF: the paper that is signed, in the reader's language.

Drawn from the same assembled plan the API and the bot show, so what a parent may not read
(`for_parent`) is not in their PDF either; a parent's copy also has no comment column at all.
The drawing is in `core.iap_pdf_drawing` (fpdf2), imported when the first PDF is drawn.
"""

import asyncio
import re
import unicodedata

from core.iap import AssembledIap


def pdf_filename(plan: AssembledIap) -> str:
    """E.g. IAP_Kalnina_2026-27-1.pdf: ASCII only, safe in any header or file system."""
    letters = unicodedata.normalize("NFKD", plan.last_name).encode("ascii", "ignore").decode()
    surname = re.sub(r"[^A-Za-z0-9]+", "-", letters).strip("-") or str(plan.iap_id)
    return f"IAP_{surname}_{plan.semester.label.replace('/', '-')}.pdf"


async def iap_pdf(plan: AssembledIap, locale: str) -> bytes:
    """`render_iap_pdf` in a thread, so the event loop keeps serving while it draws."""
    return await asyncio.to_thread(render_iap_pdf, plan, locale)


def render_iap_pdf(plan: AssembledIap, locale: str) -> bytes:
    """The plan as an A4 PDF in the reader's language; a parent's plan as a parent's copy."""
    from core.iap_pdf_drawing import render_iap_pdf as draw  # fpdf2: at the first PDF only

    return draw(plan, locale)
