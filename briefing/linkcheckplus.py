"""Two additions to Sphinx's linkcheck builder: durable results and per-host politeness.

* **Results are written at once.** The builder writes ``output.json`` through a buffered file
  that is flushed only at the end; ``tools/linkcheck.py`` stops a run that exceeds its time
  bound (Sphinx retries a 429 with a numeric Retry-After forever), and without this every
  result of that run would be lost. Each result is flushed as it arrives, so a stopped run
  keeps what it found and the report can name exactly the links left unfinished. This is a
  subclass of the builder registered under the same name (``app.add_builder(...,
  override=True)``, Sphinx's supported way to change a builder), overriding the public
  ``write_linkstat``, which the builder calls only while ``finish()`` holds ``output.json`` open.
* **Requests to one host are spaced** by at least ``briefing_linkcheck_host_delay`` seconds
  (default 1.0), whatever the number of workers, so a book that cites twenty pages of one site
  does not fire twenty requests at it at once. Sphinx has no such setting and no supported
  hook around a request, so this is the one shim: while the builder's ``finish()`` runs (and
  only then) the worker's private ``HyperlinkAvailabilityCheckWorker._check_uri`` is wrapped
  with a per-host schedule, then restored. ``check_shim()`` guards it: it refuses a Sphinx
  whose version or method signature differs from the one the shim was written for, with a
  message saying what to re-check, and ``tests/test_linkcheck.py`` calls it, so the suite
  fails loudly the day Sphinx changes.

Hand-written because no maintained Sphinx extension offers either behaviour.
"""

from __future__ import annotations

import inspect
import threading
import time
from urllib.parse import urlsplit

import sphinx
from sphinx.application import Sphinx
from sphinx.builders.linkcheck import CheckExternalLinksBuilder, HyperlinkAvailabilityCheckWorker
from sphinx.errors import ExtensionError
from sphinx.util.typing import ExtensionMetadata

# The Sphinx releases whose private worker method the per-host delay wraps (checked, not assumed).
SHIM_SPHINX = (9, 0)
SHIM_PARAMETERS = ["self", "uri", "hyperlink"]


def check_shim() -> None:
    """Raise ExtensionError unless the private method the delay wraps is the one it was written for."""
    method = getattr(HyperlinkAvailabilityCheckWorker, "_check_uri", None)
    parameters = list(inspect.signature(method).parameters) if method else None
    if tuple(sphinx.version_info[:2]) != SHIM_SPHINX or parameters != SHIM_PARAMETERS:
        raise ExtensionError(
            f"briefing.linkcheckplus wraps HyperlinkAvailabilityCheckWorker._check_uri{tuple(SHIM_PARAMETERS[1:])} "
            f"of Sphinx {SHIM_SPHINX[0]}.{SHIM_SPHINX[1]}; this is Sphinx {sphinx.__version__} "
            f"with {parameters}. Re-read sphinx/builders/linkcheck.py, adapt the shim, then update SHIM_SPHINX."
        )


class PoliteLinkcheckBuilder(CheckExternalLinksBuilder):
    """Sphinx's linkcheck builder, flushing each result and spacing requests to one host."""

    def write_linkstat(self, data) -> None:
        super().write_linkstat(data)
        self.json_outfile.flush()

    def finish(self) -> None:
        delay = float(self.config.briefing_linkcheck_host_delay or 0)
        if delay <= 0:
            return super().finish()
        check_shim()
        original = HyperlinkAvailabilityCheckWorker._check_uri
        lock = threading.Lock()
        next_slot: dict[str, float] = {}

        def polite_check_uri(worker, uri, hyperlink):
            host = urlsplit(uri).netloc
            with lock:
                now = time.monotonic()
                slot = max(now, next_slot.get(host, now))
                next_slot[host] = slot + delay
            if slot > now:
                time.sleep(slot - now)
            return original(worker, uri, hyperlink)

        HyperlinkAvailabilityCheckWorker._check_uri = polite_check_uri
        try:
            return super().finish()
        finally:
            HyperlinkAvailabilityCheckWorker._check_uri = original


def setup(app: Sphinx) -> ExtensionMetadata:
    app.add_config_value("briefing_linkcheck_host_delay", 1.0, "", types=frozenset({float, int}))
    app.add_builder(PoliteLinkcheckBuilder, override=True)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
