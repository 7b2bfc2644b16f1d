"""Let ``make epub`` render the nodes that other extensions register for HTML only.

sphinx.ext.graphviz registers its node for the html, latex, text, man and texinfo builders;
the EPUB builder (an HTML builder under another name) then stops with "unknown node type".
This registers the HTML visitor for the epub builder too.
"""

from sphinx.ext import graphviz


def setup(app):
    app.setup_extension("sphinx.ext.graphviz")
    app.add_node(graphviz.graphviz, override=True, epub=(graphviz.html_visit_graphviz, None))
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
