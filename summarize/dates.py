"""Resolve the model's verbatim date expressions against the article's publication date.

The model copies expressions ("Monday", "4 September", "last week"); code turns them into
ISO dates, because arithmetic on calendars is exactly what language models get wrong.
The rules, which `evals/README.md` states for labellers too:

- a full date resolves to YYYY-MM-DD, a month with a year to YYYY-MM, a year to YYYY;
- a day and month without a year take the year that puts them closest to publication,
  unless the event's tense points the other way and that date is more than a month on
  the other side ("met in September" in a June story is last September); a month alone
  likewise, its first day standing for it;
- a weekday alone is the most recent such day on or before publication, or the next one
  after it when the expression or its event looks ahead ("next Friday", "by Friday",
  "talks will resume on Monday");
- "<weekday> last week" and "last <weekday>" are that day in the previous calendar week;
- "last August" / "next August" are the nearest August strictly before / after the month
  of publication;
- "last week" is publication minus 7 days; "last month" / "last year" resolve to the
  previous YYYY-MM / YYYY; "yesterday", "today", "tomorrow", "this week", "next week" likewise;
- with no publication date, relative expressions resolve to null; so does anything
  unparseable.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Literal

Direction = Literal["past", "future"]

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_MONTH_ABBREVIATIONS = {m[:3]: i for i, m in enumerate(MONTHS, start=1)}
_MONTH = (
    r"(?P<month>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|"
    r"aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:1[89]|2\d)\d{2})"

LEADING_WORDS = re.compile(r"^(?:on|by|until|till|from|since|in|at|before|after|as of|the)\s+")
FUTURE_WORDS = re.compile(r"\b(?:next|coming|by|until|till|before|deadline)\b")
FUTURE_EVENT = re.compile(
    r"\b(?:will|would|shall|is to|are to|to be|expected|scheduled|planned|plans?|due|"
    r"deadline|upcoming|takes? effect|comes? into force)\b",
    re.IGNORECASE,
)

ISO_FULL = re.compile(rf"^{_YEAR}-(?P<m>\d{{2}})-(?P<d>\d{{2}})$")
ISO_MONTH = re.compile(rf"^{_YEAR}-(?P<m>\d{{2}})$")
DAY_MONTH = (
    re.compile(rf"^(?:the\s+)?{_DAY}\s+(?:of\s+)?{_MONTH},?(?:\s+{_YEAR})?$"),
    re.compile(rf"^{_MONTH}\s+{_DAY},?(?:\s+{_YEAR})?$"),
)
MONTH_YEAR = re.compile(rf"^(?:early |mid-?|late |the end of )?{_MONTH}(?:\s*,?\s*{_YEAR})?$")
YEAR_ONLY = re.compile(rf"^(?:early |mid-?|late |the end of )?{_YEAR}$")
WEEKDAY = re.compile(
    r"^(?:(?P<before>last|next|this|coming|this coming)\s+)?(?P<weekday>"
    + "|".join(WEEKDAYS)
    + r")(?:'s)?(?:\s+(?P<after>last week|next week|this week))?"
    r"(?:\s+(?:morning|afternoon|evening|night))?$"
)


def _month_number(name: str) -> int:
    return _MONTH_ABBREVIATIONS[name.lower()[:3]]


# How far a year-less date may lie on the "wrong" side of publication before the tense of
# its event wins over proximity: "the summit in September" (past) in a June article is last
# September, but "talks on 2 July" in a late-June story is still this July whatever the verb.
TENSE_OVERRIDES_AFTER = timedelta(days=31)


def _year_for(month: int, day: int, published: date, direction: Direction) -> date | None:
    """The year for a day and month: the closest occurrence, unless the event's tense
    says otherwise and that occurrence is more than a month on the other side."""
    candidates = []
    for year in (published.year - 1, published.year, published.year + 1):
        try:
            candidates.append(date(year, month, day))
        except ValueError:  # 29 February in a common year
            continue
    if not candidates:
        return None
    closest = min(candidates, key=lambda d: abs(d - published))
    if direction == "past" and closest - published > TENSE_OVERRIDES_AFTER:
        earlier = [d for d in candidates if d <= published]
        return max(earlier) if earlier else closest
    if direction == "future" and published - closest > TENSE_OVERRIDES_AFTER:
        later = [d for d in candidates if d >= published]
        return min(later) if later else closest
    return closest


def _month_for(month: int, published: date, direction: Direction) -> str:
    """A month without a year, by the same rule, its first day standing for it."""
    chosen = _year_for(month, 1, published, direction)
    return f"{chosen.year:04d}-{month:02d}" if chosen else f"{published.year:04d}-{month:02d}"


def _shift_month(day: date, months: int) -> str:
    index = day.year * 12 + day.month - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _weekday(match: re.Match[str], published: date, direction: Direction) -> date:
    target = WEEKDAYS.index(match["weekday"])
    before, after = match["before"], match["after"]
    week_start = published - timedelta(days=published.weekday())
    if after == "last week" or before == "last":
        return week_start - timedelta(days=7 - target)
    if after == "next week":
        return week_start + timedelta(days=7 + target)
    if after == "this week" or before == "this":
        return week_start + timedelta(days=target)
    if before in ("next", "coming", "this coming") or direction == "future":
        return published + timedelta(days=(target - published.weekday()) % 7 or 7)
    return published - timedelta(days=(published.weekday() - target) % 7)


_RELATIVE: dict[str, object] = {
    "today": 0,
    "tonight": 0,
    "this week": 0,
    "yesterday": -1,
    "tomorrow": 1,
    "last week": -7,
    "past week": -7,
    "next week": 7,
    "the day before yesterday": -2,
    "the day after tomorrow": 2,
    "last month": ("month", -1),
    "this month": ("month", 0),
    "next month": ("month", 1),
    "last year": ("year", -1),
    "this year": ("year", 0),
    "next year": ("year", 1),
}


def _relative(phrase: str, published: date) -> str | None:
    rule = _RELATIVE.get(phrase)
    if isinstance(rule, int):
        return (published + timedelta(days=rule)).isoformat()
    if isinstance(rule, tuple):
        unit, step = rule
        if unit == "month":
            return _shift_month(published, step)
        return f"{published.year + step:04d}"
    if named := re.fullmatch(rf"(?P<which>last|next) {_MONTH}", phrase):
        month = _month_number(named["month"])
        current = published.year * 12 + published.month - 1
        # "last August" in August is the August before; in September it is this year's.
        index = (published.year - 1) * 12 + month - 1
        if named["which"] == "last":
            index += 12 if index + 12 < current else 0
        else:
            index += 12 if index + 12 > current else 24
        return f"{index // 12:04d}-{index % 12 + 1:02d}"
    ago = re.fullmatch(r"(?P<n>\d+|a|one|two|three|four|five|six) (?P<unit>day|week)s? ago", phrase)
    if ago:
        words = {"a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
        n = int(ago["n"]) if ago["n"].isdigit() else words[ago["n"]]
        days = n * (7 if ago["unit"] == "week" else 1)
        return (published - timedelta(days=days)).isoformat()
    return None


def _absolute(phrase: str, published: date | None, direction: Direction) -> str | None:
    if m := ISO_FULL.match(phrase):
        return _valid(int(m["year"]), int(m["m"]), int(m["d"]))
    if m := ISO_MONTH.match(phrase):
        return f"{m['year']}-{m['m']}" if 1 <= int(m["m"]) <= 12 else None
    if m := (DAY_MONTH[0].match(phrase) or DAY_MONTH[1].match(phrase)):
        month, day = _month_number(m["month"]), int(m["day"])
        if m["year"]:
            return _valid(int(m["year"]), month, day)
        if published is None:
            return None
        chosen = _year_for(month, day, published, direction)
        return chosen.isoformat() if chosen else None
    if m := MONTH_YEAR.match(phrase):
        month = _month_number(m["month"])
        if m["year"]:
            return f"{m['year']}-{month:02d}"
        return _month_for(month, published, direction) if published else None
    if m := YEAR_ONLY.match(phrase):
        return m["year"]
    return None


def _valid(year: int, month: int, day: int) -> str | None:
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def _fallback(phrase: str, published: date | None) -> str | None:
    """Anything the patterns above do not cover: dateparser, only for absolute dates."""
    if published is None and not re.search(r"\b(?:1[89]|2\d)\d{2}\b", phrase):
        return None
    import dateparser  # deferred: it takes ~0.3 s to import and most phrases never need it

    settings: dict[str, object] = {"PREFER_DAY_OF_MONTH": "first", "RETURN_TIME_AS_PERIOD": True}
    if published is not None:
        from datetime import datetime

        settings["RELATIVE_BASE"] = datetime(published.year, published.month, published.day)
    data = dateparser.date.DateDataParser(languages=["en"], settings=settings).get_date_data(phrase)
    if data.date_obj is None:
        return None
    parsed = data.date_obj.date()
    if data.period == "year":
        return f"{parsed.year:04d}"
    if data.period == "month":
        return f"{parsed.year:04d}-{parsed.month:02d}"
    return parsed.isoformat() if data.period == "day" else None


def resolve(text: str, published: date | None, *, direction: Direction = "past") -> str | None:
    """Resolve one verbatim date expression to ISO 8601, or None when it cannot be."""
    phrase = re.sub(r"\s+", " ", text.strip().lower()).strip(" .,;")
    if FUTURE_WORDS.match(phrase):
        direction = "future"
    while (stripped := LEADING_WORDS.sub("", phrase)) != phrase:
        phrase = stripped
    if not phrase:
        return None
    if (absolute := _absolute(phrase, published, direction)) is not None:
        return absolute
    if published is None:
        return _fallback(phrase, None)
    if m := WEEKDAY.match(phrase):
        return _weekday(m, published, direction).isoformat()
    if (relative := _relative(phrase, published)) is not None:
        return relative
    return _fallback(phrase, published)


def direction_of(event: str) -> Direction:
    """Whether an event description looks ahead ('will meet'), for weekday resolution."""
    return "future" if FUTURE_EVENT.search(event) else "past"
