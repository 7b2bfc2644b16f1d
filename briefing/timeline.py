"""The ``{timeline}`` directive: a timeline figure drawn from the chronology data at build time.

It reads the same ``data/chronology.yaml`` as the ``{chronology}`` table (through
:func:`chronology.load_events`), draws the events from ``:from:`` (default 2017-01-01) to the
latest entry in horizontal lanes (one per strand), labels the events marked ``figure: true``
in the data with their ``short`` text and date, and emits a numbered figure with a caption and
alt text. Matplotlib renders SVG for HTML and PDF for LaTeX, with fixed metadata and hash salt
so the same data gives the same bytes. Lanes differ by marker shape as well as by colour
(Okabe-Ito palette), so the figure reads in black and white and for colour-blind readers.
Editing the data file rebuilds the figure on the next build; nothing is committed as a binary.
A drawing is kept outside the tree under its content name (``briefing_figure_cache``, by default
``~/.cache/briefing-book/figures``), so a fresh build folder copies it instead of drawing it again.
"""

import hashlib
import json
import os
import re
import shutil
from importlib.metadata import version
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective
from sphinx.util.typing import ExtensionMetadata

from .chronology import LANES, display_date, load_events, parse_date

logger = logging.getLogger(__name__)

STYLE = {  # lane: (colour, marker)
    "turkey-russia": ("#D55E00", "s"),
    "us-executive": ("#0072B2", "o"),
    "us-congress": ("#009E73", "^"),
    "turkey-us-talks": ("#CC79A7", "D"),
    "nato-other": ("#555555", "v"),
}


class timeline_node(nodes.General, nodes.Inline, nodes.Element):
    """Placeholder replaced by an <img> (HTML) or \\includegraphics (LaTeX) at write time."""


def draw(events, start, path: Path, fmt: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    matplotlib.rcParams.update({"svg.hashsalt": "briefing-timeline", "svg.fonttype": "none",
                                "font.family": "DejaVu Sans", "font.size": 8.5, "pdf.fonttype": 42})
    lanes = [lane for lane in LANES if any(e["lane"] == lane for e in events)]
    fig, ax = plt.subplots(figsize=(8, 0.8 + 0.95 * len(lanes)), dpi=100)
    for row, lane in enumerate(reversed(lanes)):
        colour, marker = STYLE[lane]
        lane_events = [e for e in events if e["lane"] == lane]
        ax.axhline(row, color="#bbbbbb", linewidth=0.6, zorder=1)
        ax.scatter([parse_date(e["date"]) for e in lane_events], [row] * len(lane_events), s=28,
                   color=colour, marker=marker, edgecolors="black", linewidths=0.5, zorder=3)
        labelled = [e for e in lane_events if e.get("figure")]
        for index, event in enumerate(labelled):
            offset = 0.42 if index % 2 == 0 else -0.42
            ax.annotate(f"{event.get('short') or event['event'][:40]}\n{display_date(event['date'])}",
                        (parse_date(event["date"]), row), xytext=(0, 0), textcoords="offset points",
                        xycoords="data", ha="center", va="center", fontsize=7.5,
                        bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": colour, "lw": 0.6},
                        annotation_clip=False, zorder=4).set_position((0, offset * 34))
    ax.set_yticks(range(len(lanes)), [LANES[lane] for lane in reversed(lanes)])
    ax.set_ylim(-0.9, len(lanes) - 0.1)
    ax.xaxis.set_major_locator(mdates.YearLocator())
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    end = max(parse_date(e["date"]) for e in events)
    ax.set_xlim(mdates.date2num(start) - 60, mdates.date2num(end) + 90)
    ax.grid(axis="x", color="#dddddd", linewidth=0.5)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="y", length=0)
    fig.tight_layout()
    metadata = {"Date": None, "Creator": None} if fmt == "svg" else {"CreationDate": None, "Creator": None,
                                                                         "Producer": None}
    fig.savefig(path, format=fmt, metadata=metadata)
    plt.close(fig)


def alt_text(events, start) -> str:
    counts = {LANES[lane]: sum(1 for e in events if e["lane"] == lane) for lane in LANES}
    parts = ", ".join(f"{n} {name}" for name, n in counts.items() if n)
    first, last = events[0]["date"], events[-1]["date"]
    keys = "; ".join(f"{display_date(e['date'])}: {e.get('short') or e['event']}" for e in events if e.get("figure"))
    return (f"Timeline of {len(events)} events from {display_date(first)} to {display_date(last)} in lanes "
            f"({parts}). Labelled events: {keys}.")


class TimelineDirective(SphinxDirective):
    """Numbered figure of the chronology as a timeline; the directive argument is the caption."""

    has_content = True
    optional_arguments = 1
    final_argument_whitespace = True
    option_spec = {"from": directives.unchanged, "name": directives.unchanged}

    def run(self):
        path = Path(self.env.srcdir) / self.config.briefing_chronology
        self.env.note_dependency(str(path))
        try:
            start = parse_date(self.options.get("from", "2017-01-01"))
            events = [e for e in load_events(path) if parse_date(e["date"]) >= start]
        except (ValueError, OSError) as err:
            logger.warning(str(err), location=self.get_location(), type="timeline")
            return []
        if not events:
            logger.warning("no events to draw", location=self.get_location(), type="timeline")
            return []
        figure = nodes.figure(classes=["timeline"])
        node = timeline_node()
        node["events"] = events
        node["start"] = start.isoformat()
        node["alt"] = alt_text(events, start)
        figure += node
        caption_text = self.arguments[0] if self.arguments else "Timeline of the dispute"
        parsed, _messages = self.parse_inline(caption_text, lineno=self.lineno)
        figure += nodes.caption(caption_text, "", *parsed)
        if self.content:
            legend = nodes.legend()
            self.state.nested_parse(self.content, self.content_offset, legend)
            figure += legend
        self.add_name(figure)
        return [figure]


def figure_cache(config) -> Path | None:
    """Where drawn figures are kept between builds: ``briefing_figure_cache``, or by default
    ``$XDG_CACHE_HOME/briefing-book/figures`` (``~/.cache/...``), beside matplotlib's own font
    cache. ``"off"`` (or no home folder) draws every time."""
    setting = config.briefing_figure_cache
    if setting == "off":
        return None
    if setting:
        return Path(setting).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or (os.environ.get("HOME") and Path(os.environ["HOME"]) / ".cache")
    return Path(base) / "briefing-book" / "figures" if base else None


def _render(builder, node, fmt: str) -> str:
    """Draw once per distinct data; return the file name (content-addressed, so stable).

    Drawing costs a second or more per format (importing pyplot, embedding fonts in the PDF),
    and every fresh build folder (a clean build, a test's build, the LaTeX and HTML builders)
    would pay it again for the same picture. The name covers the data, this drawing code and
    matplotlib's version, so it names the bytes: a copy kept in :func:`figure_cache` under that
    name is the figure a new drawing would give (tests/test_figures.py draws twice and compares).
    Sphinx's graphviz extension keeps its drawings by content hash in the same way.
    """
    payload = (json.dumps([node["events"], node["start"], version("matplotlib")], sort_keys=True).encode()
               + Path(__file__).read_bytes())
    digest = hashlib.sha256(payload).hexdigest()[:16]
    name = f"timeline-{digest}.{fmt}"
    target = Path(builder.outdir) / ("_images" if fmt == "svg" else "") / name
    if target.exists():
        return name
    target.parent.mkdir(parents=True, exist_ok=True)
    cache = figure_cache(builder.config)
    kept = cache / name if cache else None
    if kept and kept.is_file():
        shutil.copyfile(kept, target)
        return name
    from datetime import date
    draw(node["events"], date.fromisoformat(node["start"]), target, fmt)
    if kept:
        try:  # write beside, then rename: a reader never sees half a file
            kept.parent.mkdir(parents=True, exist_ok=True)
            partial = kept.with_name(f".{name}.{os.getpid()}")
            shutil.copyfile(target, partial)
            os.replace(partial, kept)
        except OSError:
            pass  # a read-only or missing home: the build goes on, drawing next time too
    return name


def svg_size(path: Path) -> tuple[int, int]:
    """The drawing's intrinsic size in CSS pixels, from its root element (matplotlib writes points)."""
    head = path.read_text(encoding="utf-8")[:2000]
    width, height = (float(re.search(rf'<svg[^>]*\b{attr}="([\d.]+)pt"', head).group(1)) for attr in ("width", "height"))
    return round(width * 4 / 3), round(height * 4 / 3)


def visit_html(self, node):
    name = _render(self.builder, node, "svg")
    src = self.builder.imgpath + "/" + name if hasattr(self.builder, "imgpath") else "_images/" + name
    # Intrinsic width and height (valid HTML, no layout shift); the stylesheet scales it to the column.
    width, height = svg_size(Path(self.builder.outdir) / "_images" / name)
    self.body.append(f'<img src="{src}" alt="{self.encode(node["alt"])}" class="timeline" '
                     f'width="{width}" height="{height}" />')
    raise nodes.SkipNode


def visit_latex(self, node):
    name = _render(self.builder, node, "pdf")
    self.body.append(f"\\sphinxincludegraphics[width=\\linewidth]{{{{{name[:-4]}}}.pdf}}")
    raise nodes.SkipNode


def visit_other(self, node):
    self.body.append(f"[{node['alt']}]") if hasattr(self, "body") else None
    raise nodes.SkipNode


def setup(app: Sphinx) -> ExtensionMetadata:
    app.setup_extension("briefing.chronology")
    app.add_config_value("briefing_figure_cache", "", "", types=frozenset({str}))
    app.add_node(timeline_node, html=(visit_html, None), latex=(visit_latex, None),
                 text=(visit_other, None), man=(visit_other, None), texinfo=(visit_other, None))
    app.add_directive("timeline", TimelineDirective)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
