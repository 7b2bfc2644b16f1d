"""List chapters by review date and flag those due for review.

Usage: python tools/review_report.py [--max-age-days 90]

Reads each chapter's front matter (owner, status, last_reviewed) and compares the review
date with the book's as-of date from conf.py. Chapters reviewed more than ``--max-age-days``
before the as-of date, still in draft, or with invalid metadata are flagged. Exit status is
0 either way: this is a planning report, not a gate (the tests check the metadata itself).
"""

import argparse
import datetime
from pathlib import Path

from briefing import bookconf
from briefing.chaptermeta import check_metadata
from briefing.dates import commit_bound
from briefing.project import front_matter

ROOT = Path(__file__).resolve().parent.parent



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-age-days", type=int, default=90)
    args = parser.parse_args()
    as_of = bookconf.load(ROOT)["briefing_as_of"]
    rows = []
    for path in sorted((ROOT / "chapters").glob("*.md")):
        meta = front_matter(path)
        problems = check_metadata({k: str(v) for k, v in meta.items()}, as_of,
                                  commit_bound(ROOT, str(path.relative_to(ROOT))))
        reviewed = meta.get("last_reviewed")
        # Age is counted back from the book's as-of date, never from the clock.
        age = max(0, (as_of - datetime.date.fromisoformat(str(reviewed))).days) if reviewed and not problems else None
        flags = problems[:]
        if age is not None and age > args.max_age_days:
            flags.append(f"review overdue ({age} days old; limit {args.max_age_days})")
        if meta.get("status") == "draft":
            flags.append("still a draft")
        rows.append((str(reviewed or "—"), path.name, meta.get("status", "—"), meta.get("owner", "—"),
                     "" if age is None else str(age), "; ".join(flags) or "ok"))
    rows.sort()
    print(f"Review report (as of {as_of}; flag after {args.max_age_days} days)\n")
    print("| Last reviewed | Chapter | Status | Owner | Age (days) | Flags |\n|---|---|---|---|---:|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    flagged = sum(1 for r in rows if r[-1] != "ok")
    print(f"\n{flagged} of {len(rows)} chapters flagged.")


if __name__ == "__main__":
    main()
