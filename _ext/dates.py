"""Dates written the book's way ("17 July 2019"), shared by the local extensions.

Not a Sphinx extension: a helper that bibstyle, chronology and chaptermeta import, so the
three render dates identically and the month names are spelled once, independent of locale.
"""

import datetime

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]


def day_text(day: datetime.date) -> str:
    """datetime.date(2019, 7, 17) -> "17 July 2019"."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def month_text(year: int, month: int) -> str:
    """(2019, 7) -> "July 2019"."""
    return f"{MONTHS[month - 1]} {year}"


def iso_text(value: str) -> str:
    """"2019-07-17" -> "17 July 2019"; "2019-07" -> "July 2019"; anything else unchanged."""
    text = str(value).strip()
    try:
        if len(text) == 7:
            return month_text(int(text[:4]), int(text[5:7]))
        return day_text(datetime.date.fromisoformat(text))
    except (ValueError, IndexError):
        return text
