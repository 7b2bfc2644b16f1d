"""Make Sphinx's linkcheck results durable as they arrive.

The linkcheck builder writes ``output.json`` through a buffered file that is flushed only at
the end. ``tools/linkcheck.py`` stops a run that exceeds its time bound (Sphinx retries a 429
with a numeric Retry-After forever), and without this every result of that run would be lost.
This extension flushes ``output.json`` after each result, so a stopped run keeps what it found
and the report can name exactly the links that were left unfinished.
"""


def _flush_each_result(app):
    builder = app.builder
    if builder.name != "linkcheck" or not hasattr(builder, "write_linkstat"):
        return
    write = builder.write_linkstat

    def write_and_flush(data):
        write(data)
        builder.json_outfile.flush()

    builder.write_linkstat = write_and_flush


def setup(app):
    app.connect("builder-inited", _flush_each_result)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
