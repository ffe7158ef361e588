"""Chinese, Japanese and Korean text in the app's PDFs: system fonts after the bundled one.

The bundled DejaVu Sans has no CJK glyphs. The rendering test needs a system CJK font
(Debian: fonts-noto-cjk or fonts-ipafont-gothic, which CI installs) and is skipped where
none is installed.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from io import BytesIO

import pytest
from django.template.loader import render_to_string
from pypdf import PdfReader

from offboarding.invoices.pdf import html_to_pdf, pdf_context

JAPANESE = "株式会社テスト 東京都千代田区"
CJK_FAMILIES = ("Noto Sans CJK JP", "IPAexGothic", "IPAGothic")


def _base_css() -> str:
    return render_to_string("offboarding/invoice/base.css", pdf_context())


def _installed_japanese_fonts() -> list[str]:
    if shutil.which("fc-list") is None:
        return []
    listed = subprocess.run(
        ["fc-list", ":lang=ja", "family"], capture_output=True, text=True, check=False
    )
    return [line for line in listed.stdout.splitlines() if line.strip()]


def test_every_font_stack_falls_back_to_cjk():
    css = _base_css()
    face_rules = re.findall(r"@font-face\s*\{[^}]*\}", css)
    outside_faces = re.sub(r"@font-face\s*\{[^}]*\}", "", css)
    stacks = re.findall(r"font-family:\s*([^;]+);", outside_faces)

    assert len(face_rules) == 2
    assert stacks
    for stack in stacks:
        families = [family.strip().strip('"') for family in stack.split(",")]
        assert families[0] == "Offboarding Sans"
        assert families[-1] == "sans-serif"
        for family in CJK_FAMILIES:
            assert family in families, (family, stack)


@pytest.mark.skipif(
    not _installed_japanese_fonts(),
    reason="no system font with Japanese glyphs (apt-get install fonts-ipafont-gothic)",
)
def test_japanese_text_uses_system_font():
    html = f"<html><head><style>{_base_css()}</style></head><body><p>{JAPANESE}</p></body></html>"

    reader = PdfReader(BytesIO(html_to_pdf(html)))

    fonts = {
        str(font.get_object()["/BaseFont"]).split("+", 1)[-1]
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
    }
    assert fonts - {"Offboarding-Sans", "Offboarding-Sans-Bold"}, fonts
    assert JAPANESE in reader.pages[0].extract_text()
