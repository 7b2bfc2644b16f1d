"""The EPUB's ZIP entries dated from the book, not from the moment the files were written.

Sphinx's EPUB builder zips the files it has just written with ``ZipFile.write``, which stamps
each entry with the file's modification time, so two builds of one commit give different
``.epub`` bytes although every file inside is the same. This subclass of the EPUB 3 builder,
registered under the same name (``app.add_builder(..., override=True)``, Sphinx's supported way
to change a builder), sets those files' times to ``SOURCE_DATE_EPOCH`` (which ``tools/build.py``
and the tests set from the book's as-of date) just before the public ``build_epub`` zips them.
Without ``SOURCE_DATE_EPOCH`` the files keep their times, as in plain Sphinx. Hand-written
because Sphinx offers no option for it and no maintained extension does it.
"""

from __future__ import annotations

import os

from sphinx.application import Sphinx
from sphinx.builders.epub3 import Epub3Builder
from sphinx.util.typing import ExtensionMetadata

ZIP_EPOCH = 315532800  # 1980-01-01, the earliest date a ZIP entry can carry


class StampedEpub3Builder(Epub3Builder):
    def build_epub(self) -> None:
        epoch = os.environ.get("SOURCE_DATE_EPOCH")
        if epoch:
            stamp = max(int(epoch), ZIP_EPOCH)
            names = ["mimetype", "META-INF/container.xml", "content.opf", "toc.ncx", *self.files]
            for name in names:
                os.utime(self.outdir / name, (stamp, stamp))
        super().build_epub()


def setup(app: Sphinx) -> ExtensionMetadata:
    app.add_builder(StampedEpub3Builder, override=True)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
