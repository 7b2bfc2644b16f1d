"""Accessibility fixes to the HTML that Sphinx and the theme generate.

* Sidebar toctree captions are ``<p class="caption" role="heading">`` without the
  ``aria-level`` that the heading role requires (axe: aria-required-attr); they get level 2.
* The bibliography is a ``<div role="list">`` whose children are bibliography entries, not
  list items (axe: aria-required-children); the list role is dropped, the entries keep theirs.

Runs after the theme has rendered its navigation (high priority number on html-page-context).
"""

CAPTION = '<p class="caption" role="heading">'
FIXED_CAPTION = '<p class="caption" role="heading" aria-level="2">'


def fix_page(app, pagename, templatename, context, doctree):
    for key in ("furo_navigation_tree", "body", "toc"):
        value = context.get(key)
        if isinstance(value, str):
            value = value.replace(CAPTION, FIXED_CAPTION)
            value = value.replace('<div role="list" class="citation-list">', '<div class="citation-list">')
            context[key] = value


def setup(app):
    app.connect("html-page-context", fix_page, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
