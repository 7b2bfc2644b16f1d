"""Evidence at the point of citation: every footnote citation carries the passage that supports it.

**Where evidence lives.** Next to each chapter, ``chapters/NAME.evidence.yaml`` maps each cited
key to the passages the chapter relies on, each under a short id::

    defense2019shanahan:
      will-not-receive:
        text: "Turkey will not receive the F-35 with Turkey taking the S-400"
    milliyet2019x:
      lira:
        lang: tr
        text: "Türkçe özgün metin"
        translation: "The English translation, marked as translated"

and the chapter names the passage in the citation itself, after a ``#``::

    ... if it took delivery of the S-400.{footcite}`defense2019shanahan#will-not-receive`

(the ``#id`` may be left out when the chapter has exactly one passage of that key). So a
contributor writes the sentence, the citation and its passage in the same pull request, in
two files side by side, and a reviewer sees the three together.

**What the extension does.**

* It re-registers ``{footcite}`` (a subclass of sphinxcontrib-bibtex's role) so that keys may
  carry ``#id``; the footnote itself is still made by sphinxcontrib-bibtex.
* While a page is read it warns, at the chapter's line and naming the key, when a citation has
  no passage (in the pages listed by ``briefing_evidence_required``), names an unknown passage,
  or when words the text puts in double quotation marks are not found, word for word, in a
  passage the same citation gives (so the book's direct quotes are checked against their
  evidence). It warns at the evidence file's line for a passage over
  ``briefing_evidence_max_words`` words, a non-English passage without translation, a key not
  in the bibliography, and (once every page is read) a passage no citation uses.
* When a page is written it lists the passages under each note, and in HTML adds a tooltip to
  each note mark (the source and the passages of that citation, shown on hover, focus or tap by
  ``_static/evidence.js``) and a link to the source scrolled to the passage (a URL text
  fragment, ``#:~:text=start,end``). The PDF shows the passages in its notes and keeps the
  plain address.

Hand-written because no Sphinx or bibtex extension attaches quoted evidence to citations.
"""

from __future__ import annotations

import fnmatch
import re
import unicodedata
from pathlib import Path
from urllib.parse import quote

import yaml
from docutils import nodes
from sphinx.application import Sphinx
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging
from sphinx.util.typing import ExtensionMetadata
from sphinxcontrib.bibtex.foot_roles import FootCiteRole

logger = logging.getLogger(__name__)

PASSAGE_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
LANGUAGES = {"tr": "Turkish", "ru": "Russian", "el": "Greek", "de": "German", "fr": "French",
             "pt": "Portuguese", "he": "Hebrew", "ar": "Arabic", "es": "Spanish", "it": "Italian"}
QUOTED = re.compile(r"[“\"]([^”\"]{2,}?)[”\"]")


# -- Reading the evidence files ----------------------------------------------------------------

def evidence_path(srcdir: Path, docname: str) -> Path:
    return Path(srcdir) / f"{docname}.evidence.yaml"


def load_evidence(path: Path) -> tuple[dict, list[tuple[int, str]]]:
    """``{key: {id: {"text", "lang", "translation", "line"}}}`` and (line, problem) pairs."""
    if not path.exists():
        return {}, []
    text = path.read_text(encoding="utf-8")
    try:
        # libyaml's parser when PyYAML has it (same nodes and line marks, several times faster
        # than the pure-Python one: the evidence files are most of what reading the book parses).
        tree = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        return {}, [((mark.line + 1) if mark else 1, f"not valid YAML: {getattr(err, 'problem', err)}")]
    if tree is None:
        return {}, []
    if not isinstance(tree, yaml.MappingNode):
        return {}, [(1, "expected a mapping of bib keys to passages")]
    data, problems = {}, []
    for key_node, passages_node in tree.value:
        key = str(key_node.value)
        if not isinstance(passages_node, yaml.MappingNode):
            problems.append((key_node.start_mark.line + 1, f"{key}: expected passage ids under the key"))
            continue
        for id_node, body in passages_node.value:
            line = id_node.start_mark.line + 1
            pid = str(id_node.value)
            if not PASSAGE_ID.match(pid):
                problems.append((line, f"{key}#{pid}: passage id must be lowercase letters, digits, hyphens"))
            if not isinstance(body, yaml.MappingNode):
                problems.append((line, f"{key}#{pid}: expected text (and lang, translation)"))
                continue
            fields = {str(k.value): str(v.value) for k, v in body.value if isinstance(v, yaml.ScalarNode)}
            line = next((v.start_mark.line + 1 for k, v in body.value if k.value == "text"), line)
            unknown = set(fields) - {"text", "lang", "translation"}
            if unknown:
                problems.append((line, f"{key}#{pid}: unknown field(s) {', '.join(sorted(unknown))}"))
            if not fields.get("text", "").strip():
                problems.append((line, f"{key}#{pid}: empty passage"))
            data.setdefault(key, {})[pid] = {"text": " ".join(fields.get("text", "").split()),
                                             "lang": fields.get("lang", "en").strip() or "en",
                                             "translation": " ".join(fields.get("translation", "").split()),
                                             "line": line}
    return data, problems


def passage_problems(key: str, pid: str, passage: dict, max_words: int) -> list[str]:
    problems = []
    words = len(passage["text"].split())
    if words > max_words:
        problems.append(f"{key}#{pid}: passage has {words} words (at most {max_words}: quote the shortest span)")
    if passage["lang"] != "en" and not passage["translation"]:
        problems.append(f"{key}#{pid}: passage in '{passage['lang']}' needs an English 'translation'")
    if passage["lang"] == "en" and passage["translation"]:
        problems.append(f"{key}#{pid}: 'translation' given but no 'lang' for the original")
    return problems


def split_target(text: str) -> list[tuple[str, str | None]]:
    """``"a#x, b"`` -> ``[("a", "x"), ("b", None)]``."""
    out = []
    for part in text.split(","):
        key, _sep, pid = part.strip().partition("#")
        out.append((key.strip(), pid.strip() or None))
    return out


def citation_keys(text: str) -> list[str]:
    """The bib keys of a ``{footcite}`` target, without passage ids (shared with tools and tests)."""
    return [key for key, _pid in split_target(text)]


# -- Normalising text for comparisons ----------------------------------------------------------

_TRANSLATE = str.maketrans({"‘": "'", "’": "'", "ʼ": "'", "`": "'", "´": "'", "“": '"', "”": '"', "„": '"',
                            "«": '"', "»": '"', "–": "-", "—": "-", "‑": "-", "−": "-", "\u00a0": " "})


def normalise(text: str) -> str:
    """Text compared word for word: entities decoded upstream, quotes, dashes, spaces, case folded."""
    text = unicodedata.normalize("NFC", text).translate(_TRANSLATE)
    text = text.replace("…", "...")
    return " ".join(text.split()).casefold()


def quote_found(quoted: str, passages: list[dict]) -> bool:
    """Every part of a quotation (split at an ellipsis) occurs in one passage or its translation."""
    parts = [p.strip(" .,;:") for p in normalise(quoted).split("...")]
    parts = [p for p in parts if p]
    for passage in passages:
        for field in ("text", "translation"):
            hay = normalise(passage[field])
            if hay and all(part in hay for part in parts):
                return True
    return False


# -- The role ----------------------------------------------------------------------------------

class EvidenceFootCiteRole(FootCiteRole):
    """``{footcite}`` whose keys may name a passage (``key#id``) of the page's evidence file."""

    def source_line(self) -> int:
        """The line of this citation: MyST gives a role its paragraph's first line."""
        lines = self.env.temp_data.get("briefing_source_lines")
        if lines is None:
            try:
                text = Path(self.env.doc2path(self.env.docname)).read_text(encoding="utf-8")
            except OSError:
                text = ""
            lines = self.env.temp_data["briefing_source_lines"] = text.splitlines()
        start = max(self.lineno, 1)
        needle = f"}}`{self.text}`"
        for number in range(start, min(start + 200, len(lines) + 1)):
            if needle in lines[number - 1]:
                return number
        return self.lineno

    def run(self):
        targets = split_target(self.text)
        docname = self.env.docname
        line = self.source_line()
        store = self.env.temp_data.setdefault("briefing_evidence", None)
        if store is None:
            path = evidence_path(self.env.srcdir, docname)
            data, problems = load_evidence(path)
            if path.exists():
                self.env.note_dependency(str(path))
            store = self.env.temp_data["briefing_evidence"] = {"data": data, "path": path}
            for line, problem in problems:
                logger.warning(problem, location=f"{path}:{line}", type="evidence")
        data = store["data"]
        required = any(fnmatch.fnmatch(docname, pattern) for pattern in self.config.briefing_evidence_required)
        chosen = []
        for key, pid in targets:
            passages = data.get(key, {})
            if pid is None and len(passages) == 1:
                pid = next(iter(passages))
            if pid is None:
                if required or passages:
                    why = (f"has {len(passages)} passages in {store['path'].name}: name one as {key}#id"
                           if passages else f"has no passage in {store['path'].name}")
                    logger.warning(f"citation of '{key}' {why}", location=(docname, line), type="evidence",
                                   subtype="missing")
                continue
            if pid not in passages:
                logger.warning(f"citation '{key}#{pid}': no such passage in {store['path'].name}",
                               location=(docname, line), type="evidence", subtype="missing")
                continue
            chosen.append((key, pid))
            used = self.env.briefing_evidence_used.setdefault(docname, set())
            used.add((key, pid))
        # One mark per source: a sentence citing two passages of one page gets one note, with both.
        self.text = ",".join(dict.fromkeys(key for key, _pid in targets))
        result, messages = super().run()
        if chosen:
            # Each mark stands for one key: give it that key's passage(s).
            names = self.env.temp_data.get("bibtex_footcite_names", {})
            for node in result:
                for ref in node.findall(nodes.footnote_reference) if isinstance(node, nodes.Element) else []:
                    mine = [dict(data[key][pid], key=key, id=pid) for key, pid in chosen
                            if names.get(key) == ref.get("refname")]
                    if mine:  # the passages travel with the mark (the PDF's doctree is the whole book)
                        ref["briefing_passages"] = mine
                        ref["briefing_line"] = line
        return result, messages


# -- Checks once a page is read ----------------------------------------------------------------

def _sentence_text_before(ref: nodes.footnote_reference) -> str:
    """Text of the enclosing block from the previous note mark (or its start) up to this mark."""
    block = ref.parent
    while block is not None and not isinstance(block, (nodes.paragraph, nodes.list_item, nodes.entry,
                                                        nodes.title, nodes.term, nodes.definition)):
        block = block.parent
    if block is None:
        return ""
    pieces = []
    for node in block.findall(lambda n: isinstance(n, (nodes.Text, nodes.footnote_reference))):
        if node is ref:
            break
        if isinstance(node, nodes.footnote_reference):
            pieces = []
        elif not any(isinstance(a, nodes.footnote_reference) for a in _ancestors(node, block)):
            pieces.append(str(node))
    return "".join(pieces)


def _ancestors(node, stop):
    parent = node.parent
    while parent is not None and parent is not stop:
        yield parent
        parent = parent.parent


def check_quotes(app: Sphinx, doctree: nodes.document) -> None:
    store = app.env.temp_data.get("briefing_evidence")
    if not store:
        return
    data = store["data"]
    for ref in doctree.findall(nodes.footnote_reference):
        chosen = ref.get("briefing_passages")
        if not chosen:
            continue
        passages = chosen
        for match in QUOTED.finditer(_sentence_text_before(ref)):
            quoted = match.group(1)
            if not quote_found(quoted, passages):
                ids = ", ".join(f"{p['key']}#{p['id']}" for p in chosen)
                logger.warning(f"quotation “{quoted}” is not, word for word, in the cited passage(s) {ids}",
                               location=(app.env.docname, ref.get("briefing_line")), type="evidence",
                               subtype="quote")
    # Passage rules, and keys the bibliography lacks, once per file.
    bib = app.env.get_domain("cite").bibdata.data.entries
    for key, passages in data.items():
        for pid, passage in passages.items():
            where = f"{store['path']}:{passage['line']}"
            for problem in passage_problems(key, pid, passage, app.config.briefing_evidence_max_words):
                logger.warning(problem, location=where, type="evidence")
            if key not in bib:
                logger.warning(f"{key}: not a key of the bibliography", location=where, type="evidence")
    # Keep the evidence for the writing phase (footnote lists, tooltips).
    app.env.briefing_evidence[app.env.docname] = data


def check_unused(app: Sphinx, env) -> None:
    for docname, data in sorted(env.briefing_evidence.items()):
        used = env.briefing_evidence_used.get(docname, set())
        path = evidence_path(env.srcdir, docname)
        for key, passages in data.items():
            for pid, passage in passages.items():
                if (key, pid) not in used:
                    logger.warning(f"passage {key}#{pid} is cited nowhere in {docname}.md",
                                   location=f"{path}:{passage['line']}", type="evidence", subtype="unused")


def purge(app, env, docname):
    env.briefing_evidence.pop(docname, None)
    env.briefing_evidence_used.pop(docname, None)


def merge(app, env, docnames, other):
    for name in docnames:
        if name in other.briefing_evidence:
            env.briefing_evidence[name] = other.briefing_evidence[name]
        if name in other.briefing_evidence_used:
            env.briefing_evidence_used[name] = other.briefing_evidence_used[name]


def init_env(app, env, docnames=None):
    for name in ("briefing_evidence", "briefing_evidence_used"):
        if not hasattr(env, name):
            setattr(env, name, {})


# -- Showing the evidence ----------------------------------------------------------------------

def text_fragment(passage: str) -> str:
    """``#:~:text=`` directive for a passage: whole when short, else its first and last words."""
    words = passage.split()

    def enc(text):
        return quote(text, safe="").replace("-", "%2D")

    if len(words) <= 8:
        return "text=" + enc(" ".join(words))
    return "text=" + enc(" ".join(words[:4])) + "," + enc(" ".join(words[-4:]))


def with_fragment(url: str, passage: str) -> str:
    base, _sep, anchor = url.partition("#")
    return f"{base}#{anchor}:~:{text_fragment(passage)}"


def chapter_of(node: nodes.Node) -> str | None:
    """The page a note or note mark belongs to, also in the LaTeX builder's whole-book doctree:
    sphinxcontrib-bibtex gives both a ``docname``; otherwise the nearest ancestor that has one."""
    while node is not None:
        if isinstance(node, nodes.Element) and node.get("docname"):
            return node["docname"]
        node = node.parent
    return None


class EvidenceDisplay(SphinxPostTransform):
    """List each note's passages under it (every builder but HTML's: plain text, plain address)."""

    formats = ("latex", "text", "texinfo", "man")
    html = False

    # Before Sphinx's LaTeX footnote transform (600) turns repeated marks into bare footnotemarks.
    default_priority = 550

    def run(self, **kwargs):
        env = self.env
        html = self.html
        bib = env.get_domain("cite").bibdata.data.entries
        # The PDF's doctree holds every chapter, and two chapters citing one source both have a
        # note with the id "footcite-KEY": a mark's note is the one in its own chapter.
        footnotes = {(chapter_of(fn), fid): fn for fn in self.document.findall(nodes.footnote) for fid in fn["ids"]}
        per_note: dict[tuple, list] = {}
        for ref in list(self.document.findall(nodes.footnote_reference)):
            chosen = ref.get("briefing_passages")
            where = (chapter_of(ref), ref.get("refid"))
            if not chosen or where not in footnotes:
                continue
            note = footnotes[where]
            listed = per_note.setdefault(where, [])
            for item in chosen:
                if item["id"] not in [seen["id"] for seen in listed]:
                    listed.append(item)
            if html:
                ref.parent.insert(ref.parent.index(ref) + 1, self.tooltip(note, chosen))
        for where, chosen in per_note.items():
            note = footnotes[where]
            for passage in chosen:
                key = passage["key"]
                url = bib[key].fields.get("url", "") if key in bib else ""
                note += self.passage_paragraph(passage, url, html)

    @staticmethod
    def quote_nodes(passage: dict) -> list[nodes.Node]:
        out = [nodes.Text(f"“{passage['text']}”")]
        if passage["translation"]:
            language = LANGUAGES.get(passage["lang"], passage["lang"])
            out.append(nodes.Text(f" (translated from {language}: “{passage['translation']}”)"))
        return out

    def passage_paragraph(self, passage: dict, url: str, html: bool) -> nodes.paragraph:
        para = nodes.paragraph(classes=["evidence"])
        para += nodes.inline(text="Passage: ", classes=["evidence-label"])
        quoted = self.quote_nodes(passage)
        if html and url:
            link = nodes.reference("", "", refuri=with_fragment(url, passage["text"]), classes=["evidence-link"])
            link += quoted
            para += link
        else:
            para += quoted
        return para

    def tooltip(self, note: nodes.footnote, chosen) -> nodes.inline:
        tip = nodes.inline(classes=["evidence-tip"])
        source = next(iter(note.findall(nodes.paragraph)), None)
        if source is not None:
            text = source.astext()
            text = re.split(r"\s+https?://", text)[0].strip()
            tip += nodes.inline(text=text, classes=["evidence-tip-source"])
        for passage in chosen:
            tip += nodes.inline("", "", *self.quote_nodes(passage), classes=["evidence-tip-passage"])
        return tip


class EvidenceDisplayHTML(EvidenceDisplay):
    """HTML and EPUB: passages link to the source scrolled to them; note marks get tooltips."""

    formats = ("html",)
    html = True


def setup(app: Sphinx) -> ExtensionMetadata:
    app.setup_extension("sphinxcontrib.bibtex")
    app.add_config_value("briefing_evidence_required", ["chapters/0*"], "env", types=frozenset({list}))
    app.add_config_value("briefing_evidence_max_words", 30, "env", types=frozenset({int}))
    app.add_role("footcite", EvidenceFootCiteRole(), override=True)
    app.connect("env-before-read-docs", init_env)
    app.connect("builder-inited", lambda app: init_env(app, app.env))
    app.connect("doctree-read", check_quotes)
    app.connect("env-check-consistency", check_unused)
    app.connect("env-purge-doc", purge)
    app.connect("env-merge-info", merge)
    app.add_post_transform(EvidenceDisplay)
    app.add_post_transform(EvidenceDisplayHTML)
    app.add_js_file("evidence.js", loading_method="defer")
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
