"""Print, per chapter, how much of the text is backed by quoted evidence (`make evidence-report`).

Columns: citations (each key of each ``{footcite}``), passages in the chapter's evidence file,
citations whose key names no passage, translated passages, sentences (one per line, house
style) that carry no citation at all, and the keys cited without any passage: sources whose
page did not yield a supporting passage, to be replaced or dropped. Reads the sources only;
the build enforces the same rules (``briefing/evidence.py``).
"""

import re
from pathlib import Path

from briefing.evidence import evidence_path, load_evidence, split_target

ROOT = Path(__file__).resolve().parent.parent

CITE = re.compile(r"\{footcite\}`([^`]+)`")
NOT_PROSE = re.compile(r"^\s*($|#|```|:::|:[a-z]+:|\(|---|[a-z_]+:\s|\|)")


def chapter_rows(root: Path = ROOT):
    pages = [root / "index.md"] if (root / "index.md").exists() else []  # the title page cites too
    for path in pages + sorted((root / "chapters").glob("*.md")):
        docname = path.relative_to(root).with_suffix("").as_posix()
        data, _ = load_evidence(evidence_path(root, docname))
        text = path.read_text(encoding="utf-8")
        body = text.split("\n---\n", 1)[1] if text.startswith("---\n") else text
        citations = missing = 0
        unsupported = set()
        for match in CITE.finditer(body):
            for key, pid in split_target(match.group(1)):
                citations += 1
                passages = data.get(key, {})
                if not (pid in passages or (pid is None and len(passages) == 1)):
                    missing += 1
                    if not passages:
                        unsupported.add(key)
        passages = sum(len(v) for v in data.values())
        translated = sum(1 for v in data.values() for p in v.values() if p["translation"])
        in_box = False
        uncited = 0
        for line in body.splitlines():
            if line.startswith("```{admonition}") or line.startswith("```{glossary}"):
                in_box = line.startswith("```{admonition}")
            if NOT_PROSE.match(line) or line.startswith("- ") and in_box:
                continue
            if "{footcite}" not in line and re.search(r"[.!?]\s*$", line):
                uncited += 1
        yield path.name, citations, passages, missing, translated, uncited, sorted(unsupported)


def main() -> None:
    print("| Chapter | Citations | Passages | Citations without passage | Translated | "
          "Sentences without citation | Sources with no passage |")
    print("|---|---:|---:|---:|---:|---:|---|")
    totals = [0] * 5
    for name, *numbers, unsupported in chapter_rows():
        totals = [a + b for a, b in zip(totals, numbers)]
        print(f"| {name} | " + " | ".join(str(n) for n in numbers) + f" | {', '.join(unsupported) or '—'} |")
    print("| **All** | " + " | ".join(f"**{n}**" for n in totals) + " | |")


if __name__ == "__main__":
    main()
