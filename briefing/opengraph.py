"""Open Graph and description tags on every HTML page, so a shared link previews well.

Adds ``og:title`` (the page title), ``og:site_name`` (the book), ``og:type`` and
``og:description`` (the first paragraph of the page's key points, or the book's subtitle)
unless the page's front matter sets them already. No network, no images.
"""

import html

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.typing import ExtensionMetadata


def _description(doctree) -> str:
    for admonition in doctree.findall(nodes.admonition):
        if "key-points" in admonition.get("classes", []):
            item = next(iter(admonition.findall(nodes.list_item)), None)
            if item is not None:
                return " ".join(item.astext().split())[:200]
    return ""


def add_tags(app, pagename, templatename, context, doctree):
    if doctree is None or 'property="og:title"' in context.get("metatags", ""):
        return
    # The page title from the environment, as plain text: the template's ``title`` is HTML
    # (it carries the section-number <span>), which would show escaped in a link preview.
    title_node = app.env.titles.get(pagename)
    title = " ".join(title_node.astext().split()) if title_node is not None else app.config.project
    description = _description(doctree) or app.config.html_context.get("subtitle", app.config.project)
    tags = {
        "og:title": f"{title} | {app.config.project}",
        "og:site_name": app.config.project,
        "og:type": "article",
        "og:description": description,
    }
    extra = "".join(f'<meta property="{k}" content="{html.escape(v, quote=True)}" />\n' for k, v in tags.items())
    extra += f'<meta name="description" content="{html.escape(description, quote=True)}" />\n'
    context["metatags"] = context.get("metatags", "") + extra


def setup(app: Sphinx) -> ExtensionMetadata:
    app.connect("html-page-context", add_tags)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
