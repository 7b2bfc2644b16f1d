"""The two-page meeting brief (``make brief``): blocks of the summary chapter, reused in ``brief.md``.

``brief.md`` is built in a run of its own (``sphinx-build -b latex -t brief``; conf.py then makes
it the root document and the only page read), so the brief costs one page's reading, not the
book's. It never copies text: the ``{brief-extract}`` directive names a block of a chapter,
either a section by its heading (``:section: Key judgments``) or an admonition by its title
(``:admonition: Key points``), and parses that block's Markdown in place, so the brief always
says what the summary says. The block is found with markdown-it (the parser MyST is built on),
not by hand-written pattern matching, and the chapter is a dependency of the brief (an edit to
the summary rebuilds it).

In the brief run (and only there):

* ``{footcite}`` prints nothing: the brief has no room for notes and lists its key sources in a
  numbered ``{bibliography}`` instead. Each cited key must still be a ``references.bib`` entry;
  an unknown key fails the build, naming the brief's {brief-extract} line and the key.
* ``{term}`` links to the glossary, which is not in the brief, become their plain text.
  Any other unresolved reference still fails the build (``-n``).
"""

from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import directives
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective, SphinxRole
from sphinx.util.typing import ExtensionMetadata

logger = logging.getLogger(__name__)

TAG = "brief"


class BriefExtractError(Exception):
    pass


def extract_block(text: str, section: str | None = None, admonition: str | None = None,
                  list_only: bool = False) -> tuple[int, list[str]]:
    """The Markdown of one block of a chapter: (first line number, 0-based; its lines).

    ``section``: the body of the ``##`` section with that heading, up to the next heading of the
    same or a higher level (``list_only``: only the first list in it). ``admonition``: the body
    of the ``{admonition}`` fence with that title, without its ``:option:`` lines.
    """
    from markdown_it import MarkdownIt

    lines = text.splitlines()
    tokens = MarkdownIt("commonmark").parse(text)
    if section is not None:
        for index, token in enumerate(tokens):
            if token.type == "heading_open" and tokens[index + 1].content.strip() == section:
                level = int(token.tag[1])
                start = token.map[1]
                end = len(lines)
                for later in tokens[index + 1:]:
                    if later.type == "heading_open" and int(later.tag[1]) <= level:
                        end = later.map[0]
                        break
                if list_only:
                    block = next((t for t in tokens if t.type in ("bullet_list_open", "ordered_list_open")
                                  and t.level == 0 and start <= t.map[0] < end), None)
                    if block is None:
                        raise BriefExtractError(f"no list in the section headed {section!r}")
                    start, end = block.map
                return start, lines[start:end]
        raise BriefExtractError(f"no section headed {section!r}")
    for token in tokens:
        info = token.info.strip() if token.type == "fence" else ""
        if info.startswith("{admonition}") and info[len("{admonition}"):].strip() == admonition:
            start, end = token.map[0] + 1, token.map[1] - 1
            body = lines[start:end]
            while body and body[0].startswith(":"):
                body, start = body[1:], start + 1
            return start, body
    raise BriefExtractError(f"no admonition titled {admonition!r}")


class BriefExtractDirective(SphinxDirective):
    """``{brief-extract} chapters/00-summary.md`` with ``:section:`` or ``:admonition:``
    (and ``:list-only:``: of the section, only its first list)."""

    required_arguments = 1
    option_spec = {"section": directives.unchanged_required, "admonition": directives.unchanged_required,
                   "list-only": directives.flag}

    def run(self) -> list[nodes.Node]:
        rel, path = self.env.relfn2path(self.arguments[0], self.env.docname)
        if ("section" in self.options) == ("admonition" in self.options):
            raise self.error("brief-extract needs exactly one of :section: and :admonition:")
        try:
            text = Path(path).read_text(encoding="utf-8")
            start, lines = extract_block(text, self.options.get("section"), self.options.get("admonition"),
                                         "list-only" in self.options)
        except (OSError, BriefExtractError) as err:
            raise self.error(f"brief-extract {self.arguments[0]}: {err}") from err
        self.env.note_dependency(rel)
        container = nodes.container(classes=["brief-extract"])
        content = StringList(lines, source=path, items=[(path, start + i) for i in range(len(lines))])
        self.state.nested_parse(content, 0, container)
        return container.children


class SilentFootCite(SphinxRole):
    """The brief's ``{footcite}``: checks that each key is in references.bib, prints nothing."""

    def run(self) -> tuple[list[nodes.Node], list[nodes.system_message]]:
        known = self.env.get_domain("cite").bibdata.data.entries  # sphinxcontrib-bibtex's parsed bib files
        for item in self.text.split(","):
            key = item.split("#", 1)[0].strip()
            if key not in known:
                logger.warning(f"brief: citation key {key!r} is not in references.bib", location=self.get_location(),
                               type="brief", subtype="citation")
        return [], []


def plain_terms(app: Sphinx, env, node, contnode):
    """Glossary terms read as plain text in the brief (the glossary is not part of it)."""
    if app.tags.has(TAG) and node.get("refdomain") == "std" and node.get("reftype") == "term":
        return contnode
    return None


def brief_roles(app: Sphinx) -> None:
    if app.tags.has(TAG):
        app.add_role("footcite", SilentFootCite(), override=True)


def setup(app: Sphinx) -> ExtensionMetadata:
    app.add_directive("brief-extract", BriefExtractDirective)
    app.connect("builder-inited", brief_roles)
    app.connect("missing-reference", plain_terms)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
