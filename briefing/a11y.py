"""Accessible markup for three things Sphinx, docutils and sphinx.ext.graphviz write.

Done where the markup is made, in the HTML translator and the graphviz node's HTML visitor,
never by editing finished pages:

* **Sidebar captions.** Toctree captions are ``<p class="caption" role="heading">`` without the
  ``aria-level`` that the heading role requires (axe: aria-required-attr); they get level 2.
* **The bibliography.** docutils wraps citations in ``<div role="list">`` and gives each entry
  ``role="doc-biblioentry"``, which DPUB-ARIA 1.1 deprecates (Lighthouse, EPUBCheck) and which
  is not a valid child of a list (axe: aria-required-children). Entries become list items.
* **Graphviz figures** are ``<object>`` elements whose text alternative sits in a fallback
  paragraph that assistive technology does not read (axe: object-alt); the object is written
  with ``role="img"`` and an ``aria-label`` holding the same text.

The translator subclasses the one the builder would use (``app.set_translator`` for the HTML
builders), so other extensions' visitors are kept. Hand-written because neither Sphinx nor the
theme has a setting for these.
"""

from __future__ import annotations

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.ext import graphviz
from sphinx.util import logging
from sphinx.util.typing import ExtensionMetadata
from sphinx.writers.html5 import HTML5Translator

logger = logging.getLogger(__name__)


class AccessibleHTMLTranslator(HTML5Translator):
    """Sphinx's HTML5 translator with the caption and bibliography roles above."""

    def visit_title(self, node: nodes.title) -> None:
        start = len(self.body)
        super().visit_title(node)
        if isinstance(node.parent, addnodes.compact_paragraph) and node.parent.get("toctree"):
            # the tag Sphinx just wrote for a toctree caption: give its heading role a level
            self.body[start] = self.body[start].replace('role="heading"', 'role="heading" aria-level="2"', 1)

    def visit_citation(self, node: nodes.citation) -> None:
        if not isinstance(node.previous_sibling(), type(node)):
            self.body.append('<div role="list" class="citation-list">\n')
        self.body.append(self.starttag(node, "div", classes=[node.tagname], role="listitem"))


def visit_graphviz(self: HTML5Translator, node: graphviz.graphviz) -> None:
    """Render the figure as sphinx.ext.graphviz does, with its text alternative as the object's label."""
    try:
        fname, _outfn = graphviz.render_dot(self, node["code"], node["options"], "svg", "graphviz",
                                            node.get("filename"))
    except graphviz.GraphvizError as exc:
        logger.warning("dot code %r: %s", node["code"], exc, location=node)
        raise nodes.SkipNode from exc
    alt = self.attval(node.get("alt", node["code"].strip()))
    classes = " ".join(["graphviz", *node.get("classes", [])])
    self.body.append(f'<div class="graphviz"><object data="{fname.as_posix()}" type="image/svg+xml" '
                     f'class="{classes}" role="img" aria-label="{alt}">\n<p class="warning">{alt}</p></object></div>\n')
    raise nodes.SkipNode


def setup(app: Sphinx) -> ExtensionMetadata:
    app.setup_extension("sphinx.ext.graphviz")
    for builder in ("html", "dirhtml", "epub"):
        app.set_translator(builder, AccessibleHTMLTranslator, override=True)
    app.add_node(graphviz.graphviz, override=True, html=(visit_graphviz, None))
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
