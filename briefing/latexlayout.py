"""The PDF's chapter layout, decided on the doctree before Sphinx writes the ``.tex``.

Two things the web and the PDF must agree on, done here so that every way of making the PDF
(``make pdf``, ``sphinx-build -M latexpdf``, Read the Docs) gives the same document:

* **Unnumbered chapters.** On the web the summary has no number and "1." is the background
  chapter; the PDF numbers chapters the same way, so "chapter 3" means the same chapter in
  both. The pages listed in ``briefing_latex_unnumbered_docs`` are written with LaTeX's section
  numbering switched off (``secnumdepth`` -1) and restored after them: their chapter and
  sections still reach the contents and the PDF outline, without a number, and do not move
  the chapter counter.
* **No empty "Notes" headings.** In the PDF a chapter's notes are footnotes at the foot of the
  page where each is cited (Sphinx's LaTeX footnote transform moves them there), so the
  chapter's "Notes" section is left with a heading over nothing. Such a section is removed;
  one that still holds content keeps its heading.

Hand-written because Sphinx has no setting for either; both are post-transforms limited to
the LaTeX builder, so the HTML and EPUB are untouched.
"""

from __future__ import annotations

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util.typing import ExtensionMetadata

NOTES_TITLE = "Notes"
# Saved and restored around an unnumbered page, so the book's own setting is kept whatever it is.
SWITCH_OFF = r"\edef\briefingsecnumdepth{\the\value{secnumdepth}}\setcounter{secnumdepth}{-1}" + "\n"
SWITCH_ON = r"\setcounter{secnumdepth}{\briefingsecnumdepth}" + "\n"


class UnnumberedChapters(SphinxPostTransform):
    """Switch section numbering off around the pages in ``briefing_latex_unnumbered_docs``."""

    builders = ("latex",)
    default_priority = 400

    def run(self, **kwargs) -> None:
        wanted = set(self.config.briefing_latex_unnumbered_docs)
        for start in self.document.findall(addnodes.start_of_file):
            if start.get("docname") in wanted:
                start.insert(0, nodes.raw("", SWITCH_OFF, format="latex"))
                start.append(nodes.raw("", SWITCH_ON, format="latex"))


class EmptyNotesSections(SphinxPostTransform):
    """Remove each "Notes" section that holds nothing once its footnotes have moved to their marks."""

    builders = ("latex",)
    default_priority = 700  # after sphinx.builders.latex.transforms.LaTeXFootnoteTransform (600)

    def run(self, **kwargs) -> None:
        for section in list(self.document.findall(nodes.section)):
            if not section.children or not isinstance(section[0], nodes.title):
                continue
            if section[0].astext().strip() != NOTES_TITLE:
                continue
            if all(self.is_empty(child) for child in section.children[1:]):
                section.parent.remove(section)

    @staticmethod
    def is_empty(node: nodes.Node) -> bool:
        """A label, or the footbibliography's container once its footnotes have gone."""
        if isinstance(node, nodes.target):
            return True
        return isinstance(node, nodes.container) and not node.astext().strip() and not any(node.findall(nodes.footnote))


def setup(app: Sphinx) -> ExtensionMetadata:
    app.add_config_value("briefing_latex_unnumbered_docs", [], "env", types=frozenset({list}))
    app.add_post_transform(UnnumberedChapters)
    app.add_post_transform(EmptyNotesSections)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
