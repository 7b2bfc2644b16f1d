"""Show the source on hover: a tooltip on every in-text footnote citation.

sphinxcontrib-bibtex gives tooltips to ``{cite}`` references but not to ``{footcite}``
footnote marks. This fills the ``title`` attribute of each footnote mark on an HTML page with
the plain text of the note it points to ("U.S. Department of Defense. “DOD Sets Date …”.
June 2019."), without the URL and access date, so a reader sees the source without jumping
to the notes. Runs on the finished page body; other builders are untouched.
"""

import html
import re

NOTE = re.compile(r'<aside class="footnote brackets" id="([^"]+)" role="doc-footnote">(.*?)</aside>', re.DOTALL)
PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.DOTALL)
MARK = re.compile(r'<a class="footnote-reference brackets" href="#([^"]+)"')


def _plain(fragment: str) -> str:
    fragment = re.sub(r'<a class="reference external"[^>]*>.*?</a>.*$', "", fragment, flags=re.DOTALL)
    text = html.unescape(re.sub(r"<[^>]+>", "", fragment))
    return " ".join(text.split()).rstrip(" .") + "."


def add_tooltips(app, pagename, templatename, context, doctree):
    body = context.get("body")
    if not isinstance(body, str) or "footnote-reference" not in body:
        return
    notes = {}
    for match in NOTE.finditer(body):
        paragraph = PARAGRAPH.search(match.group(2))
        if paragraph:
            notes[match.group(1)] = _plain(paragraph.group(1))

    def with_title(match):
        note = notes.get(match.group(1))
        if not note:
            return match.group(0)
        return f'{match.group(0)} title="{html.escape(note, quote=True)}"'

    context["body"] = MARK.sub(with_title, body)


def setup(app):
    app.connect("html-page-context", add_tooltips, priority=800)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
