"""Two additions to Sphinx's linkcheck builder: durable results and per-host politeness.

* Results are written at once. The builder writes ``output.json`` through a buffered file
  that is flushed only at the end; ``tools/linkcheck.py`` stops a run that exceeds its time
  bound (Sphinx retries a 429 with a numeric Retry-After forever), and without this every
  result of that run would be lost. Each result is flushed as it arrives, so a stopped run
  keeps what it found and the report can name exactly the links left unfinished.
* Requests to one host are spaced by at least ``linkcheck_host_delay`` seconds (default 1.0),
  whatever the number of workers, so a book that cites twenty pages of one site does not
  fire twenty requests at it at once. Sphinx has no such setting; this wraps the worker's
  request method (``HyperlinkAvailabilityCheckWorker._check_uri``) with a per-host schedule.
"""

import threading
import time
from urllib.parse import urlsplit


def _flush_each_result(app):
    builder = app.builder
    if builder.name != "linkcheck" or not hasattr(builder, "write_linkstat"):
        return
    write = builder.write_linkstat

    def write_and_flush(data):
        write(data)
        builder.json_outfile.flush()

    builder.write_linkstat = write_and_flush


def _space_requests_per_host(app):
    if app.builder.name != "linkcheck":
        return
    from sphinx.builders import linkcheck

    worker = linkcheck.HyperlinkAvailabilityCheckWorker
    original = getattr(worker, "_briefing_original_check_uri", worker._check_uri)
    worker._briefing_original_check_uri = original
    delay = float(app.config.linkcheck_host_delay or 0)
    lock = threading.Lock()
    next_slot: dict[str, float] = {}

    def polite_check_uri(self, uri, hyperlink):
        host = urlsplit(uri).netloc
        with lock:
            now = time.monotonic()
            slot = max(now, next_slot.get(host, now))
            next_slot[host] = slot + delay
        if slot > now:
            time.sleep(slot - now)
        return original(self, uri, hyperlink)

    worker._check_uri = polite_check_uri if delay > 0 else original


def setup(app):
    app.add_config_value("linkcheck_host_delay", 1.0, "")
    app.connect("builder-inited", _flush_each_result)
    app.connect("builder-inited", _space_requests_per_host)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
