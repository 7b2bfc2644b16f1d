"""Accessibility fixes to the HTML that Sphinx and the theme generate.

* Sidebar toctree captions are ``<p class="caption" role="heading">`` without the
  ``aria-level`` that the heading role requires (axe: aria-required-attr); they get level 2.
* Graphviz figures are ``<object>`` elements whose text alternative sits in a fallback
  paragraph that assistive technology does not read (axe: object-alt); the object gets
  ``role="img"`` and an ``aria-label`` with the same text.
* The bibliography is a ``<div role="list">`` whose children are bibliography entries, not
  list items (axe: aria-required-children); the list role is dropped, the entries keep theirs.

Runs after the theme has rendered its navigation (high priority number on html-page-context).
"""

import re

OBJECT = re.compile(r'<object data="([^"]+)" type="image/svg\+xml" class="([^"]*)">\s*<p class="warning">(.*?)</p>',
                    re.DOTALL)
CAPTION = '<p class="caption" role="heading">'
FIXED_CAPTION = '<p class="caption" role="heading" aria-level="2">'


def fix_page(app, pagename, templatename, context, doctree):
    for key in ("furo_navigation_tree", "body", "toc"):
        value = context.get(key)
        if isinstance(value, str):
            value = value.replace(CAPTION, FIXED_CAPTION)
            value = value.replace('<div role="list" class="citation-list">', '<div class="citation-list">')
            value = OBJECT.sub(lambda m: f'<object data="{m.group(1)}" type="image/svg+xml" class="{m.group(2)}" '
                               f'role="img" aria-label="{m.group(3)}"><p class="warning">{m.group(3)}</p>', value)
            context[key] = value


def setup(app):
    app.connect("html-page-context", fix_page, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
