"""Graphviz figures that build from PyPI alone, and whose errors name the ``.dot`` file.

Sphinx's ``sphinx.ext.graphviz`` runs a ``dot`` command. This extension chooses it and checks
each figure before Sphinx renders it:

* **Which renderer.** HTML and EPUB use ``graphviz-pure`` (PyPI, pinned in requirements.txt;
  a Rust port of Graphviz whose SVG matches Debian's ``dot``), so ``make html`` needs no
  system package. It has no PDF output, so the LaTeX builder uses the system ``dot``
  (Debian's ``graphviz``, listed with TeX in system-packages.txt).
* **Errors where the mistake is.** Every graphviz node is rendered once to SVG in memory when
  its page is read. A syntax error becomes one warning at ``figures/NAME.dot:LINE`` (not the
  whole source and ``<stdin>``), and the node is replaced by a short notice, so Sphinx never
  writes a half-finished image that a later build would reuse. A page with a broken figure is
  read again on every build until the figure is fixed, so the error cannot vanish from a
  second ``make html``.

Hand-written because Sphinx's graphviz extension reports ``dot``'s stderr verbatim and caches
output by content hash, with no hook for either.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.ext.graphviz import graphviz
from sphinx.util import logging
from sphinx.util.typing import ExtensionMetadata

logger = logging.getLogger(__name__)
LINE = re.compile(r"\bline (\d+)")


def pure_renderer() -> str | None:
    """The graphviz-pure command of this Python's environment, or on PATH."""
    beside = Path(sys.executable).parent / "graphviz-pure"
    return str(beside) if beside.exists() else shutil.which("graphviz-pure")


def choose_renderer(app: Sphinx) -> None:
    if app.builder.format == "latex":
        app.config.graphviz_dot = "dot"  # PDF output: the system package (system-packages.txt)
        if shutil.which("dot") is None:
            logger.warning("the PDF's figures need Graphviz's dot: install the packages in system-packages.txt",
                           type="dotfigures")
        return
    renderer = pure_renderer()
    if renderer is None:
        logger.warning("graphviz-pure is not installed: run `make clean-venv html` to re-create .venv",
                       type="dotfigures")
        return
    app.config.graphviz_dot = renderer


def dot_errors(code: str) -> str:
    """Empty when ``code`` renders; else the renderer's error text."""
    renderer = pure_renderer() or "dot"
    try:
        result = subprocess.run([renderer, "-Tsvg"], input=code, capture_output=True, text=True, timeout=60)
    except OSError as err:
        return f"cannot run {renderer}: {err}"
    if result.returncode == 0:
        return ""
    return " ".join(result.stderr.split()) or f"{renderer} exited with status {result.returncode}"


def check_figures(app: Sphinx, doctree: nodes.document) -> None:
    env = app.env
    broken = getattr(env, "briefing_broken_figures", set())
    broken.discard(env.docname)
    for node in list(doctree.findall(graphviz)):
        problem = dot_errors(node["code"])
        if not problem:
            continue
        source = node.get("filename")
        if source:
            line = LINE.search(problem)  # node["filename"] is relative to the source folder
            location = f"{app.srcdir / source}:{line.group(1) if line else 1}"
        else:
            location = node
        message = re.sub(r"^Error:\s*(<stdin>:\s*)?", "", problem)
        logger.warning("figure cannot be drawn: %s", message, location=location, type="dotfigures")
        node.replace_self(nodes.paragraph(text=f"[Figure not drawn: error in {source or 'its source'}]"))
        broken.add(env.docname)
    env.briefing_broken_figures = broken


def reread_broken(app, env, added, changed, removed):
    return sorted(getattr(env, "briefing_broken_figures", set()) - set(removed))


def purge(app, env, docname):
    getattr(env, "briefing_broken_figures", set()).discard(docname)


def merge(app, env, docnames, other):
    env.briefing_broken_figures = getattr(env, "briefing_broken_figures", set()) | getattr(
        other, "briefing_broken_figures", set())


def setup(app: Sphinx) -> ExtensionMetadata:
    app.setup_extension("sphinx.ext.graphviz")
    app.connect("builder-inited", choose_renderer)
    app.connect("doctree-read", check_figures, priority=400)
    app.connect("env-get-outdated", reread_broken)
    app.connect("env-purge-doc", purge)
    app.connect("env-merge-info", merge)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
