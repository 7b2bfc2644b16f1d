"""Sphinx configuration for the briefing book on Turkey, the S-400 and the F-35.

Sections follow reading order: project facts, extensions, MyST, BibTeX, HTML, LaTeX,
link checking. Values shown in several outputs (title, edition, as-of date) are set once here.
"""

import datetime
import os
import subprocess
import uuid
from pathlib import Path

from briefing.dates import day_text

ROOT = Path(__file__).resolve().parent

# -- Project facts (the one place to change edition and date) ---------------------------
project = "Turkey, the S-400 and the F-35"
subtitle = "A briefing book on the air-defence dispute and the way back to the Joint Strike Fighter"
author = "Briefing book editors"
edition = "Second edition"
briefing_as_of = datetime.date(2026, 12, 3)  # "Information as of": the day up to which sources were searched
as_of_text = day_text(briefing_as_of)  # "3 December 2026" in any locale
_newest = datetime.date(2026, 7, 3)  # the newest development the sources document (chapter 4)
newest_text = day_text(_newest)
version = "2026.12"
release = f"information as of {as_of_text}"
copyright = f"{briefing_as_of.year}, {author}. {edition}. Information as of {as_of_text}"
language = "en"
today = as_of_text  # |today| never comes from the clock, so builds are reproducible


def _commit() -> str:
    """Short commit the book is built from; "" outside git (a ZIP download has no history)."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        )
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


commit = os.environ.get("BRIEFING_COMMIT") or _commit()
# Shown on the title page and in the PDF: the commit, or why there is none.
provenance = f"Built from commit {commit}" if commit else "Built from a copy without git history (no commit recorded)"

# -- Extensions ---------------------------------------------------------------------------
extensions = [
    "myst_parser",
    "sphinx_design",
    "sphinxcontrib.bibtex",
    # The book's own extensions, one module per feature, in the briefing package (briefing/):
    "briefing.dotfigures",  # figures/*.dot drawn by graphviz-pure (PyPI) for HTML; errors name the .dot file
    "briefing.bibcheck",  # validates references.bib (file:line errors) before sphinxcontrib-bibtex reads it
    "briefing.bibstyle",  # citation style: titles as written, publisher, date, URL, access date, archive
    "briefing.chronology",  # renders data/chronology.yaml as a table ({chronology} directive)
    "briefing.corrections",  # renders data/corrections.yaml, the corrections log ({corrections} directive)
    "briefing.timeline",  # draws the same data as a timeline figure ({timeline} directive)
    "briefing.citecheck",  # a page with {footcite} must have a {footbibliography} (else LaTeX crashes)
    "briefing.latexlayout",  # PDF: unnumbered summary, no empty "Notes" headings (on the doctree, not the .tex)
    "briefing.evidence",  # each citation's supporting passage: checked, listed in the notes, shown on hover
    "briefing.a11y",  # aria fixes to generated HTML (sidebar captions, bibliography list)
    "briefing.opengraph",  # Open Graph and description tags so shared links preview well
    "briefing.epubstamp",  # EPUB: ZIP entries dated from SOURCE_DATE_EPOCH, so two builds give the same bytes
    "briefing.linkcheckplus",  # linkcheck: results written at once; requests to one host spaced out
    "briefing.chaptermeta",  # shows owner, status and last_reviewed from chapter front matter
    "briefing.paper",  # briefing_paper (letter or a4) sets the PDFs' paper size
    "briefing.brief",  # the two-page brief (brief.md, make brief): summary blocks reused, never copied
    "briefing.editions",  # checks data/editions.yaml (edition history) against the edition and as-of date above
    "briefing.changes",  # "Changes in this edition": renders data/changes.json (make changes) ({changes} directive)
]
root_doc = "index"
include_patterns = ["index.md", "chapters/**"]  # the book is these pages and nothing else
exclude_patterns = ["_build", ".venv", "chapters/_*"]
nitpicky = True
numfig = True  # figures and tables are numbered (and listed in the PDF)

# -- MyST ----------------------------------------------------------------------------------
myst_enable_extensions = ["colon_fence", "deflist", "substitution", "attrs_inline", "attrs_block"]
myst_heading_anchors = 3
myst_substitutions = {"as_of": as_of_text, "newest": newest_text, "edition": edition, "commit": commit,
                      "subtitle": subtitle, "provenance": provenance}

# -- BibTeX --------------------------------------------------------------------------------
bibtex_bibfiles = ["references.bib"]
bibtex_default_style = "briefing"  # registered by briefing/bibstyle.py: keeps titles as written
bibtex_foot_reference_style = "briefingfoot"  # briefing/bibstyle.py: "12,13", never "1213"
bibtex_tooltips = True

# -- Evidence (chapters/NAME.evidence.yaml; see briefing/evidence.py and CONTRIBUTING.md) -------
# Pages whose every citation must carry its passage: the title page, the summary, every core
# chapter (new ones too), the glossary and the key actors.
briefing_evidence_required = ["index", "chapters/0*", "chapters/92-glossary", "chapters/93-key-actors"]
briefing_evidence_max_words = 30  # passages are short attributed quotations

# -- Chronology data -----------------------------------------------------------------------
briefing_chronology = "data/chronology.yaml"

# -- HTML ----------------------------------------------------------------------------------
html_theme = "furo"
html_title = project
html_static_path = ["_static"]
templates_path = ["templates"]  # templates/sidebar/search.html: furo's search form with a submit button
html_favicon = "_static/favicon.svg"  # also stops browsers asking for /favicon.ico
html_css_files = ["briefing.css"]
html_last_updated_fmt = None  # no clock-dependent dates in the output
html_copy_source = False
html_show_sourcelink = False
html_theme_options = {
    "navigation_with_keys": True,
    "top_of_page_buttons": [],
}
html_context = {"edition": edition, "as_of": as_of_text, "commit": commit, "subtitle": subtitle}

# -- Graphviz ------------------------------------------------------------------------------
graphviz_output_format = "svg"

# -- LaTeX / PDF (make pdf) ----------------------------------------------------------------
# xelatex with GNU FreeFont (Latin, Turkish, Cyrillic, Greek): every letter of every source
# title renders and extracts as text.
latex_engine = "xelatex"
latex_use_xindy = False  # xindy is not in the listed TeX packages; the PDF has no index
latex_documents = [("index", "briefing.tex", project, author, "manual")]
latex_show_urls = "no"  # bibliography entries already print their URLs
latex_show_pagerefs = False
latex_toplevel_sectioning = "chapter"
_latex_title = project.replace("&", r"\&")
# XMP and Info dates and ids from the book's facts, never from the clock (hyperxmp would read it),
# so two builds of one commit give the same bytes.
_pdf_date = f"D:{briefing_as_of:%Y%m%d}000000Z"
_pdf_uuid = uuid.uuid5(uuid.NAMESPACE_URL, f"briefing-book:{edition}:{briefing_as_of.isoformat()}")
# Paper: U.S. Letter unless `make pdf PAPER=a4` (-D briefing_paper=a4); briefing/paper.py turns
# it into latex_elements["papersize"]. Letter because the publisher's readers are U.S. policy staff.
briefing_paper = "letter"
_fontpkg = r"""
\setmainfont{FreeSerif}[Extension=.otf, UprightFont=*, BoldFont=*Bold, ItalicFont=*Italic,
  BoldItalicFont=*BoldItalic]
\setsansfont{FreeSans}[Extension=.otf, UprightFont=*, BoldFont=*Bold, ItalicFont=*Oblique,
  BoldItalicFont=*BoldOblique]
\setmonofont{FreeMono}[Extension=.otf, UprightFont=*, BoldFont=*Bold, ItalicFont=*Oblique,
  BoldItalicFont=*BoldOblique]
"""
# hyperxmp, with a speed patch; the book and the brief load it the same way.
_hyperxmp = r"""\usepackage{hyperxmp}  % XMP metadata (title, author, date, language) from \hypersetup below
% Speed: hyperxmp 5.9 (TeX Live 2022) resets all 65536 \lccode values under XeTeX for every
% line of XMP it adds (about 1 s of each xelatex pass). The text it lowercases is its own ASCII
% skeleton (the metadata macros expand afterwards), so its 8-bit branch gives the same bytes.
\makeatletter
\@ifpackagelater{hyperxmp}{2020/11/23}{}{%
\renewcommand*{\hyxmp@add@to@xml}[1]{%
  \bgroup
    \@tempcnta=0
    \loop
      \lccode\@tempcnta=\@tempcnta
      \advance\@tempcnta by 1
      \ifnum\@tempcnta<256
    \repeat
    \lccode`\_=`\ \relax
    \lccode`\^^C=`\,\relax
    \lccode`\^^U=`\_\relax
    \lowercase{\xdef\hyxmp@new@xml{#1}}%
    \xdef\hyxmp@xml{\hyxmp@xml\hyxmp@new@xml}%
  \egroup}}
\makeatother
"""
latex_elements = {
    "pointsize": "11pt",
    "fontpkg": _fontpkg,
    # Plain LaTeX chapter headings: the default fncychap style uppercases ("TÜRKIYE").
    "fncychap": "",
    "babel": r"\usepackage[english]{babel}",
    "preamble": rf"""
\usepackage{{titlesec}}
\usepackage{{xurl}}  % long URLs in notes and references break anywhere, never past the margin
{_hyperxmp}\titleformat{{\chapter}}[display]{{\normalfont\sffamily\bfseries\Large\color{{TitleColor}}}}
  {{\chaptertitlename\ \thechapter}}{{6pt}}{{\LARGE}}[\vspace{{2pt}}\titlerule]
\titlespacing*{{\chapter}}{{0pt}}{{0pt}}{{18pt}}
\hypersetup{{pdftitle={{{_latex_title}}}, pdfauthor={{{author}}},
  pdfsubject={{Briefing book: Turkey, the Russian S-400 and the F-35 programme. {edition}, information as of {as_of_text}}},
  pdfkeywords={{Turkey, Türkiye, S-400, F-35, CAATSA, NDAA, SSB, sanctions, NATO}},
  pdfcreator={{Sphinx}}, pdfproducer={{xelatex}}, bookmarksnumbered=true, bookmarksopen=true,
  pdflang={{en}}, pdfmetalang={{en}}, pdfdate={{{briefing_as_of.isoformat()}}}, pdfpubtype={{book}},
  pdfcreationdate={{{_pdf_date}}}, pdfmoddate={{{_pdf_date}}}, pdfmetadate={{{_pdf_date}}},
  pdfdocumentid={{uuid:{_pdf_uuid}}}, pdfinstanceid={{uuid:{_pdf_uuid}}},
  keeppdfinfo}}  % hyperxmp would drop Author and Keywords from the Info dictionary (they are lists in XMP)
% The References annex holds the bibliography under its own heading: the LaTeX builder
% would otherwise open a second, separate "Bibliography" chapter after an empty one.
% The first toctree's caption ("Summary") would otherwise title the contents page; and the
% bibliography is the References annex.
\addto\captionsenglish{{\renewcommand{{\contentsname}}{{Contents}}\renewcommand{{\bibname}}{{References}}
% A repeated citation whose note was printed on an earlier page shows "12 (p. 40)".
\renewcommand\sphinxthefootnotemark[2]{{#1\,(p.\,#2)}}}}
\makeatletter
% Number figures and tables by chapter letter in the appendices (A.1), not by chapter counter (1.1).
\AtBeginDocument{{\renewcommand{{\thefigure}}{{\ifnum\c@chapter>\z@\thechapter.\fi\arabic{{figure}}}}%
  \renewcommand{{\thetable}}{{\ifnum\c@chapter>\z@\thechapter.\fi\arabic{{table}}}}}}
\renewcommand{{\bibname}}{{References}}
\renewenvironment{{sphinxthebibliography}}[1]%
  {{\phantomsection\begingroup\let\chapter\@gobbletwo\raggedright\begin{{thebibliography}}{{#1}}}}%
  {{\end{{thebibliography}}\endgroup}}
\makeatother
""",
    "maketitle": rf"""
\begin{{titlepage}}
\sffamily
\vspace*{{30mm}}
{{\color{{TitleColor}}\rule{{\linewidth}}{{1.5pt}}}}\par\vspace{{10mm}}
{{\Huge\bfseries {_latex_title}\par}}\vspace{{6mm}}
{{\Large {subtitle}\par}}\vspace{{10mm}}
{{\color{{TitleColor}}\rule{{\linewidth}}{{0.5pt}}}}\par\vspace{{10mm}}
{{\large {edition}\par}}\vspace{{3mm}}
{{\large\bfseries Information as of {as_of_text}\par}}\vspace{{1mm}}
{{\normalsize Newest development documented: {newest_text}\par}}\vspace{{3mm}}
{{\normalsize {provenance}\par}}
\vfill
{{\normalsize {author}\par}}
{{\small Every fact is cited; sources, with addresses and access dates, are listed in the References annex.\par}}
\end{{titlepage}}
""",
    # Sphinx sets tocdepth from the toctree's :maxdepth: (0 here), and the lists of figures and
    # tables obey the same counter: give them depth 1 while they are read, then restore it.
    "tableofcontents": r"\sphinxtableofcontents" + "\n"
                       + r"\edef\briefingtocdepth{\arabic{tocdepth}}\setcounter{tocdepth}{1}" + "\n"
                       + r"\listoffigures" + "\n" + r"\listoftables" + "\n"
                       + r"\setcounter{tocdepth}{\briefingtocdepth}",
    "printindex": "",
    "makeindex": "",  # no index: glossary terms would otherwise need makeindex
    "releasename": f"{edition},",  # running header: "<title>, Second edition, information as of <date>"
    "sphinxsetup": "TitleColor={rgb}{0.10,0.20,0.40}, InnerLinkColor={rgb}{0.10,0.20,0.50}, "
                   "OuterLinkColor={rgb}{0.10,0.30,0.55}, noteBorderColor={rgb}{0.10,0.20,0.40}",
}
latex_domain_indices = False
# The annexes become lettered appendices in the PDF (their toctree in index.md is HTML-only).
latex_appendices = ["chapters/91-chronology", "chapters/92-glossary", "chapters/93-key-actors",
                    "chapters/94-corrections", "chapters/95-changes", "chapters/99-references"]
# Pages that are unnumbered chapters in the PDF, as they are on the web (briefing/latexlayout.py).
briefing_latex_unnumbered_docs = ["chapters/00-summary"]
latex_additional_files = []

# -- The two-page meeting brief (make brief; briefing/brief.py) -----------------------------
# A run of its own with the tag "brief": brief.md is then the root and the only page read, and
# the one LaTeX document is brief.tex. Sphinx passes `tags` to conf.py; tools reading conf.py
# through briefing.bookconf do not, and see the book's settings.
if "tags" in globals() and tags.has("brief"):  # noqa: F821 (defined by Sphinx)
    root_doc = "brief"
    include_patterns = ["brief.md"]
    latex_documents = [("brief", "brief.tex", f"{project}: meeting brief", author, "howto")]
    latex_toplevel_sectioning = "section"
    latex_appendices = []
    briefing_latex_unnumbered_docs = []
    graphviz_dot_args = ["-Gsize=6.5,6.3"]  # the legal pathway fits two thirds of page 2 (proportions kept)
    latex_elements = {
        "pointsize": "10pt",
        "fontpkg": _fontpkg,
        "babel": r"\usepackage[english]{babel}",
        "fncychap": "",
        # Narrow margins and no running header: two pages for a table, not a book.
        "geometry": r"\usepackage[hmargin=0.75in,top=0.6in,bottom=0.85in,footskip=0.3in]{geometry}",
        "preamble": rf"""
\usepackage{{xurl}}
{_hyperxmp}\usepackage{{titlesec}}
\setcounter{{secnumdepth}}{{0}}
\titleformat{{\section}}{{\normalfont\sffamily\bfseries\large\color{{TitleColor}}}}{{}}{{0pt}}{{}}
\titlespacing*{{\section}}{{0pt}}{{8pt plus 2pt}}{{3pt}}
\setlength{{\parskip}}{{2pt plus 1pt}}
% The figure goes to the top of page 2 with the key sources under it, never alone on a float page.
\renewcommand{{\topfraction}}{{0.9}}\renewcommand{{\textfraction}}{{0.07}}
\renewcommand{{\floatpagefraction}}{{0.95}}
\pagestyle{{plain}}
\newenvironment{{sphinxclassbrief-sources}}{{\footnotesize}}{{}}  % brief.md's key sources container
\hypersetup{{pdftitle={{{_latex_title}: meeting brief}}, pdfauthor={{{author}}},
  pdfsubject={{Two-page brief. {edition}, information as of {as_of_text}}},
  pdflang={{en}}, pdfmetalang={{en}}, pdfdate={{{briefing_as_of.isoformat()}}},
  pdfcreationdate={{{_pdf_date}}}, pdfmoddate={{{_pdf_date}}}, pdfmetadate={{{_pdf_date}}},
  pdfdocumentid={{uuid:{_pdf_uuid}}}, pdfinstanceid={{uuid:{_pdf_uuid}}}, keeppdfinfo}}
""",
        "maketitle": rf"""
{{\sffamily\raggedright
{{\color{{TitleColor}}\rule{{\linewidth}}{{1.2pt}}}}\par\vspace{{3pt}}
{{\LARGE\bfseries {_latex_title}\par}}\vspace{{2pt}}
{{\normalsize Meeting brief \textbullet\ {edition} \textbullet\ \textbf{{Information as of {as_of_text}}}\par}}
\vspace{{1pt}}{{\small Newest development documented: {newest_text} \textbullet\ {provenance}\par
Every statement is the book's summary, word for word; the book cites each one to its sources.\par}}
{{\color{{TitleColor}}\rule{{\linewidth}}{{0.5pt}}}}\par}}
""",
        "figure_align": "tbp",  # the figure floats to a page top; the key sources fill the space around it
        "tableofcontents": "",
        "printindex": "",
        "makeindex": "",
        "releasename": "",
        "sphinxsetup": latex_elements["sphinxsetup"],
    }

# -- EPUB ----------------------------------------------------------------------------------
epub_basename = "briefing"
epub_title = project
epub_author = author
epub_publisher = author
epub_copyright = copyright
epub_show_urls = "no"
# .buildinfo.bak: Sphinx keeps the previous .buildinfo under that name when the config changes
epub_exclude_files = ["search.html", "genindex.html", ".buildinfo.bak"]

# -- Link checking (make linkcheck; tools/linkcheck.py drives it) ---------------------------
# Politeness: few workers, one retry, a bounded wait on 429s. tools/linkcheck.py adds a
# total time bound (Sphinx retries 429s with a numeric Retry-After forever) and a cache.
linkcheck_timeout = 20
linkcheck_retries = 2
linkcheck_workers = 3
briefing_linkcheck_host_delay = 1.0  # seconds between two requests to the same host (briefing/linkcheckplus.py)
linkcheck_rate_limit_timeout = 60.0
linkcheck_report_timeouts_as_broken = False
linkcheck_anchors = True
linkcheck_request_headers = {"*": {"Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"}}
# Sites that refuse automated checks, each with its reason. They are not ignored: the report
# lists them as "blocked" (not "broken"), so a reader knows a person must open them.
LINKCHECK_BLOCKED_SITES = {
    r"^https://(www\.)?(x|twitter)\.com/": "x.com serves a JavaScript wall and 403/429 to every non-browser client",
    r"^https://(www\.)?bloomberg\.com/": "Bloomberg answers bot checks (captcha, 403) to automated requests",
    r"^https://(www\.)?reuters\.com/": "Reuters answers 401/403 to clients without a browser fingerprint",
    r"^https://(www\.)?wsj\.com/": "The Wall Street Journal paywall answers 401/403 to automated requests",
    r"^https://(www\.)?ft\.com/": "The Financial Times paywall answers 403 to automated requests",
}
# Anchors generated by JavaScript on the target page cannot be verified by a plain GET.
linkcheck_anchors_ignore_for_url = [r"^https://(www\.)?congress\.gov/"]  # congress.gov builds section anchors client-side
# tools/linkcheck.py narrows a run (cache hits, CHANGED=1) by listing URLs to skip in a file.
linkcheck_ignore = []
if os.environ.get("BRIEFING_LINKCHECK_SKIP"):
    import json
    import re as _re

    _skip = json.loads(Path(os.environ["BRIEFING_LINKCHECK_SKIP"]).read_text())
    linkcheck_ignore += [_re.escape(url) + "$" for url in _skip.get("skip", [])]
    if _skip.get("only") is not None:
        _only = "|".join(_re.escape(url) for url in _skip["only"]) or "(?!)"
        linkcheck_ignore.append(f"^(?!(?:{_only})$)")
