"""Create the next numbered chapter from templates/chapter.md and add it to the toctree.

Usage: python tools/chapter.py "Title of the chapter" [--owner NAME]

The new file is ``chapters/NN-slug.md`` (NN = the next number after the core chapters) with
front matter, a key-points box, placeholder sections and a footbibliography. Every
placeholder contains the word PLACEHOLDER; the chapter starts as a draft with no review
date (the reviewer adds ``last_reviewed`` when marking it reviewed), so it builds on the day it
is made and on every later day; ``make test`` fails, naming file and line, until
each is replaced. ``make html`` builds right after.
"""

import argparse
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def slugify(title: str) -> str:
    text = unicodedata.normalize("NFKD", title.replace("ı", "i")).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:48] or "chapter"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("title")
    parser.add_argument("--owner", default=None)
    parser.add_argument("--root", default=str(ROOT))
    args = parser.parse_args()
    root = Path(args.root)
    if not args.title.strip():
        sys.exit('error: give a title: make chapter TITLE="The chapter title"')
    numbers = [int(p.name[:2]) for p in (root / "chapters").glob("[0-8][0-9]-*.md")]
    number = max(numbers, default=0) + 1
    slug = slugify(args.title)
    path = root / "chapters" / f"{number:02d}-{slug}.md"
    if path.exists():
        sys.exit(f"error: {path.relative_to(root)} exists already")
    owner = args.owner
    if not owner:
        name = subprocess.run(["git", "config", "user.name"], cwd=root, capture_output=True, text=True).stdout.strip()
        owner = name or "PLACEHOLDER: your name"
    template = (root / "templates" / "chapter.md").read_text(encoding="utf-8")
    path.write_text(template.format(owner=owner, label=f"ch-{slug}", title=args.title.strip()), encoding="utf-8")
    evidence = path.with_suffix(".evidence.yaml")  # the passages live next to the chapter
    evidence_template = (root / "templates" / "chapter.evidence.yaml").read_text(encoding="utf-8")
    evidence.write_text(evidence_template.format(stem=path.stem), encoding="utf-8")
    index = root / "index.md"
    text = index.read_text(encoding="utf-8")
    core = re.findall(r"^chapters/[0-8][0-9]-[^\n]+$", text, flags=re.MULTILINE)
    anchor = core[-1] if core else None
    if anchor is None:
        sys.exit("error: index.md has no numbered chapter toctree to add to")
    text = text.replace(anchor + "\n", f"{anchor}\nchapters/{path.stem}\n", 1)
    index.write_text(text, encoding="utf-8")
    print(f"Created {path.relative_to(root)} (label ch-{slug}) and {evidence.relative_to(root)}, and added the "
          f"chapter to index.md's toctree.\nReplace every PLACEHOLDER, cite your sources with their passages, "
          f"then run `make html` and `make test`.")


if __name__ == "__main__":
    main()
