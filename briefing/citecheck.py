"""Warn when a page cites with ``{footcite}`` but has no ``{footbibliography}``.

Such a page builds in HTML but crashes the LaTeX build upstream ("No footnote was found for
given reference node"), so the check runs on every build and names the file and the line of
the first footnote citation. Pages that use the ``{chronology}`` directive count as citing.
"""

import re

from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.typing import ExtensionMetadata

logger = logging.getLogger(__name__)

FOOTCITE = re.compile(r"\{footcite(:[a-z]+)?\}`|```\{chronology\}|:::\{chronology\}")
FOOTBIB = re.compile(r"^\s*(```|:::)\{footbibliography\}", re.MULTILINE)


def check_source(app, docname, source):
    text = source[0]
    match = FOOTCITE.search(text)
    if match and not FOOTBIB.search(text):
        line = text.count("\n", 0, match.start()) + 1
        logger.warning("page cites with {footcite} but has no {footbibliography} directive "
                       "(add one under a final '## Notes' heading)", location=(docname, line),
                       type="bibtex", subtype="footbibliography")


def setup(app: Sphinx) -> ExtensionMetadata:
    app.connect("source-read", check_source)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
