"""The paper casework's letters are printed on: A4 (GB/T 148), the size Chinese platforms' legal teams and offices
file, never US Letter (python-docx's default template). One page layout per kind of letter, shared by its DOCX and
its PDF so the two print alike."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from docx.document import Document
    from docx.section import Section

A4_SHORT_MM = 210.0
A4_LONG_MM = 297.0


@dataclass(frozen=True)
class PageLayout:
    """An A4 page, its orientation and its margins, in millimetres."""
    landscape: bool
    top_mm: float
    bottom_mm: float
    left_mm: float
    right_mm: float

    @property
    def width_mm(self) -> float:
        return A4_LONG_MM if self.landscape else A4_SHORT_MM

    @property
    def height_mm(self) -> float:
        return A4_SHORT_MM if self.landscape else A4_LONG_MM

    @property
    def text_width_mm(self) -> float:
        return self.width_mm - self.left_mm - self.right_mm

    @property
    def text_height_mm(self) -> float:
        return self.height_mm - self.top_mm - self.bottom_mm

    def apply(self, section: Section) -> None:
        """Lay out a DOCX section (python-docx) on this page."""
        from docx.enum.section import WD_ORIENT
        from docx.shared import Mm

        section.orientation = WD_ORIENT.LANDSCAPE if self.landscape else WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = Mm(self.width_mm), Mm(self.height_mm)
        section.top_margin, section.bottom_margin = Mm(self.top_mm), Mm(self.bottom_mm)
        section.left_margin, section.right_margin = Mm(self.left_mm), Mm(self.right_mm)

    def new_document(self, font_pt: float) -> Document:
        """A new DOCX laid out on this page, its body text in SimSun at `font_pt` points (Chinese text too: Word
        takes East Asian text's font from its own attribute)."""
        from docx import Document as new_docx
        from docx.oxml.ns import qn
        from docx.shared import Pt

        document = new_docx()
        self.apply(document.sections[0])
        normal = document.styles["Normal"]
        normal.font.name = "SimSun"
        normal.font.size = Pt(font_pt)
        normal.element.rPr.rFonts.set(qn("w:eastAsia"), "SimSun")
        return document


def page_footer(reference: str, page: int | str, pages: int | str) -> str:
    """The footer of every page of a letter: its reference and "page N of M", so a page that comes loose, or a
    letter missing its last pages, is seen at once."""
    return f"{reference}　第{page}页　共{pages}页"


def number_docx_pages(document: Document, reference: str) -> None:
    """A centred footer on every page of a DOCX with `page_footer`'s text, its numbers Word's PAGE and NUMPAGES
    fields (Word counts the pages as it lays the document out)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    def field(instruction: str) -> None:
        simple = OxmlElement("w:fldSimple")
        simple.set(qn("w:instr"), instruction)
        run = OxmlElement("w:r")
        text = OxmlElement("w:t")
        text.text = "1"
        run.append(text)
        simple.append(run)
        paragraph._p.append(simple)

    for section in document.sections:
        paragraph = section.footer.paragraphs[0]
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        before, rest = page_footer(reference, "\0", "\0").split("\0", 1)
        middle, after = rest.split("\0", 1)
        paragraph.add_run(before)
        field("PAGE")
        paragraph.add_run(middle)
        field("NUMPAGES")
        paragraph.add_run(after)


def mark_docx_pages(document: Document, mark: str) -> None:
    """`mark` in bold red at the head of every page of a DOCX (a sample's 样稿, not to be sent)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import RGBColor

    for section in document.sections:
        paragraph = section.header.paragraphs[0]
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = paragraph.add_run(mark)
        run.bold = True
        run.font.color.rgb = RGBColor(0xCC, 0, 0)


# Takedown requests: landscape, so the nine-column table of listings stays readable.
TAKEDOWN_LETTER = PageLayout(landscape=True, top_mm=14, bottom_mm=14, left_mm=12, right_mm=12)
# Answers to complaints: a portrait letter with the margins of official documents (GB/T 9704-2012, 5.2.1).
COMPLAINT_REPLY = PageLayout(landscape=False, top_mm=37, bottom_mm=35, left_mm=28, right_mm=26)
