"""The briefing book's Python: its Sphinx extensions and the helpers they share with tools/ and tests/.

One module per feature, each a Sphinx extension with a ``setup()`` (listed in conf.py as
``briefing.NAME``), plus shared readers: ``dates`` (the as-of date and the commit bound),
``bibcheck`` (references.bib), ``bookconf`` (conf.py, read the way Sphinx reads it).
Installed into ``.venv`` in editable mode (``pyproject.toml``), so conf.py, ``tools/`` and
``tests/`` import it by name.
"""
