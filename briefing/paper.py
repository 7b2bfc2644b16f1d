"""Paper size of the PDFs (``make pdf PAPER=a4``, ``make brief PAPER=letter``).

``briefing_paper`` (``letter`` or ``a4``; conf.py sets the default, ``-D briefing_paper=a4``
overrides it) is the one setting: at ``config-inited`` it becomes ``latex_elements["papersize"]``,
which the LaTeX class and the ``geometry`` package read, for the book and the brief alike.
Any other value stops the build, naming the two allowed.
"""

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.errors import ConfigError
from sphinx.util.typing import ExtensionMetadata

PAPERS = {"letter": "letterpaper", "a4": "a4paper"}
#: Page size in PostScript points, as pdfinfo reports it.
PAGE_POINTS = {"letter": (612.0, 792.0), "a4": (595.28, 841.89)}


def apply_paper(app: Sphinx, config: Config) -> None:
    paper = str(config.briefing_paper).strip().lower()
    if paper not in PAPERS:
        raise ConfigError(f"briefing_paper = {config.briefing_paper!r}: use one of {', '.join(PAPERS)} "
                          "(make pdf PAPER=a4)")
    config.briefing_paper = paper
    config.latex_elements = {**config.latex_elements, "papersize": PAPERS[paper]}


def setup(app: Sphinx) -> ExtensionMetadata:
    app.add_config_value("briefing_paper", "letter", "", types=frozenset({str}))
    app.connect("config-inited", apply_paper)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
