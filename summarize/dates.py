"""Resolve the model's verbatim date expressions against the article's publication date.

The model copies expressions ("Monday", "4 September", "last week"); code turns them into
ISO dates, because arithmetic on calendars is exactly what language models get wrong.
The rules, which `evals/README.md` states for labellers too:

- a full date resolves to YYYY-MM-DD, a month with a year to YYYY-MM, a year to YYYY;
  a range ("July 27-28", "27 to 28 July") to its first day; "early/mid/late" and "the
  end/start of" keep the precision of what they qualify ("mid-2025" is 2025, "the end of
  the year" the year of publication, "late March" YYYY-03);
- the direction (past or future) of an expression comes from the expression and its own
  clause in the article, never from modals elsewhere (`summarize.tense`): "next", "by",
  "until", "coming" look ahead, "last", "since" back; otherwise the verb group governing
  the expression decides ("talks will resume on Monday" ahead, "said on Monday" back).
  Only when the expression is not found in the article does the event description
  decide, by its first verb group; with no signal at all, past;
- a day and month without a year take the year that puts them closest to publication,
  unless the direction points the other way and that date is more than a month on the
  other side ("met in September" in a June story is last September); a month alone
  likewise, its first day standing for it;
- a weekday alone is the most recent such day on or before publication, or the next one
  after it when the direction is future;
- "<weekday> last week" and "last <weekday>" are that day in the previous calendar week;
- "last August" / "next August" are the nearest August strictly before / after the month
  of publication;
- "last week" is publication minus 7 days; "last month" / "last year" resolve to the
  previous YYYY-MM / YYYY; "yesterday", "today", "tomorrow", "this week", "next week"
  likewise; "N days/weeks ago" count back;
- a duration ("14 days", "within 30 days", "in two weeks", "a 90-day deadline") never
  resolves backwards: as a threat's deadline it counts forward from the date the
  expression names as the start of the clock ("30 days from March 1", "within 60 days
  of January 20") or else from publication, to a full date; anywhere else, or when the
  clock starts at something that is not a date ("within 30 days of the ruling"), null;
- with no publication date, relative expressions resolve to null; so does anything
  unparseable.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

from summarize.tense import Direction, Located, direction_at, direction_of_event, locate

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
MONTH_YEAR = re.compile(rf"^{_MONTH}(?:\s*,?\s*{_YEAR})?$")
YEAR_ONLY = re.compile(rf"^{_YEAR}$")
# "early 2025", "mid-March", "the end of the year": the qualified part keeps its precision.
QUALIFIER = re.compile(
    r"^(?:early|earlier|mid|middle|late|later|(?:the\s+)?(?:end|start|beginning|middle|rest)"
    r"\s+of)(?:\s+|-)"
)
# "July 27-28", "27 to 28 July", "July 27-August 2": a range stands for its first day.
RANGE_TAIL = re.compile(
    rf"(?<![\d-])(\d{{1,2}})(?:st|nd|rd|th)?\s*(?:-|\u2013|\u2014|to|through|and)\s*"
    rf"(?:{_MONTH.replace('(?P<month>', '(?:')}\s+)?\d{{1,2}}(?:st|nd|rd|th)?(?!\d)"
)
_NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fourteen": 14,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "forty-five": 45,
    "sixty": 60,
    "ninety": 90,
}
DURATION = re.compile(
    r"^(?:within|in|for|after|another|a further|an?|the)?\s*"
    r"(?P<n>\d+|" + "|".join(_NUMBER_WORDS) + r")[\s-]"
    r"(?P<unit>hour|day|week|month|year)s?['\u2019]?"
    r"(?:\s+(?:deadline|window|period|grace period|ultimatum|time limit|notice|timeline))?"
    r"(?:\s+(?:of|from|after|starting|beginning)\s+(?P<anchor>.+))?$"
)
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


def _month_for(month: int, published: date, direction: Direction, certain: bool) -> str:
    """A month without a year, by the same rule, its first day standing for it; and a
    past event cannot lie in a month that has not begun, nor a future one in a month
    that is over ("visited from January" in a December story is this January)."""
    chosen = _year_for(month, 1, published, direction) or date(published.year, month, 1)
    year = chosen.year
    if not certain:
        return f"{year:04d}-{month:02d}"
    if direction == "past" and (year, month) > (published.year, published.month):
        year -= 1
    if direction == "future" and (year, month) < (published.year, published.month):
        year += 1
    return f"{year:04d}-{month:02d}"


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
    if before in ("next", "coming", "this coming"):
        return published + timedelta(days=(target - published.weekday()) % 7 or 7)
    if direction != "past":  # "will meet on Thursday" in a Thursday story is that day
        return published + timedelta(days=(target - published.weekday()) % 7)
    return published - timedelta(days=(published.weekday() - target) % 7)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _duration(phrase: str, published: date | None, *, deadline: bool) -> str | bool | None:
    """A duration's end as a deadline, None when it has none; False when not a duration."""
    m = DURATION.match(phrase)
    if m is None:
        return False
    if not deadline:
        return None
    start = published
    if m["anchor"]:
        anchored = resolve(m["anchor"], published)
        if anchored is None or len(anchored) != 10:
            return None  # the clock starts at something that is not a day
        start = date.fromisoformat(anchored)
    if start is None:
        return None
    n = int(m["n"]) if m["n"].isdigit() else _NUMBER_WORDS[m["n"]]
    unit = m["unit"]
    if unit in ("hour", "day", "week"):
        days = {"hour": n // 24, "day": n, "week": 7 * n}[unit]
        return (start + timedelta(days=days)).isoformat()
    return _add_months(start, n * (12 if unit == "year" else 1)).isoformat()


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
    "the year": ("year", 0),
    "the month": ("month", 0),
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


def _absolute(
    phrase: str, published: date | None, direction: Direction, certain: bool = False
) -> str | None:
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
        return _month_for(month, published, direction, certain) if published else None
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
    has_year = re.search(r"\b(?:1[89]|2\d)\d{2}\b", phrase)
    if published is None and not has_year:
        return None
    if not has_year and re.search(r"\b(?:hour|day|week|month|year)s?\b", phrase):
        return None  # a span of time: dateparser would count it back from publication
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


def _normalize(text: str) -> str:
    phrase = re.sub(r"\s+", " ", text.strip().lower().replace("\u2019", "'")).strip(" .,;")
    return RANGE_TAIL.sub(r"\1", phrase)


def resolve(
    text: str,
    published: date | None,
    *,
    direction: Direction = "past",
    certain: bool = False,
    deadline: bool = False,
) -> str | None:
    """Resolve one verbatim date expression to ISO 8601, or None when it cannot be.

    `certain` says the direction came from the expression's own clause, so a month that
    has not begun cannot hold a past event (nor one that is over a future one).
    `deadline` marks a threat's time limit: it looks ahead, and a duration counts forward.
    """
    phrase = _normalize(text)
    if deadline or FUTURE_WORDS.match(phrase):
        direction = "future"
    while (stripped := LEADING_WORDS.sub("", phrase)) != phrase:
        phrase = stripped
    if not phrase:
        return None
    if (ended := _duration(phrase, published, deadline=deadline)) is not False:
        return ended if isinstance(ended, str) else None
    phrase = QUALIFIER.sub("", phrase)
    if (relative_year := RELATIVE_YEAR.match(phrase)) and published is not None:
        year = published.year + _YEAR_STEP[relative_year["which"]]
        head = relative_year["head"]
        if MONTH_YEAR.match(head) or any(p.match(head) for p in DAY_MONTH):
            phrase = f"{head} {year}"
    if (absolute := _absolute(phrase, published, direction, certain)) is not None:
        return absolute
    if published is None:
        return _fallback(phrase, None)
    if m := WEEKDAY.match(phrase):
        return _weekday(m, published, direction).isoformat()
    if (relative := _relative(phrase, published)) is not None:
        return relative
    return _fallback(phrase, published)


def direction_for(found: Located | None, event: str = "") -> tuple[Direction, bool]:
    """Past or future for one expression located in the article, and whether its own
    clause said so: its clause, else its event, else past."""
    reading = direction_at(found, event)
    if reading is not None:
        return reading
    return direction_of_event(event) or "past", False


# A day named in the deadline's sentence ("On Tuesday, Kenya gave the agency 14 days"):
# the day the clock started, when it is not after publication.
_CLOCK_START = re.compile(
    r"\b(?:(?:last|this)\s+)?(?:" + "|".join(WEEKDAYS) + r")\b|"
    r"\b(?:" + "|".join(MONTHS) + r")\s+\d{1,2}\b|\b\d{1,2}\s+(?:" + "|".join(MONTHS) + r")\b",
    re.IGNORECASE,
)


def _clock_start(sentence: str, published: date) -> date | None:
    """The day the sentence says a duration's clock started, if it names one."""
    for match in _CLOCK_START.finditer(sentence):
        value = resolve(match.group(), published, direction="past")
        if value and len(value) == 10 and date.fromisoformat(value) <= published:
            return date.fromisoformat(value)
    return None


_ANCHOR_AFTER = re.compile(r"\s*(?:after|from|of|since|following)\s+(?P<anchor>[^,.;:]+)", re.I)
_YEAR_AFTER = re.compile(r"\s*,?\s*(?:of\s+)?(?P<which>this|last|next)\s+year\b", re.I)
RELATIVE_YEAR = re.compile(r"^(?P<head>.+?),?\s+(?:of\s+)?(?P<which>this|last|next)\s+year$")
_YEAR_STEP = {"last": -1, "this": 0, "next": 1}


def _duration_deadline(
    text: str, published: date | None, following: str, sentence: str
) -> str | None:
    """A duration deadline read in its sentence: "14 days after his removal" starts the
    clock at something that is not a date (null); "On Tuesday ... gave 48 hours" on Tuesday."""
    duration = DURATION.match(LEADING_WORDS.sub("", _normalize(text)))
    if published is None or duration is None:
        return None
    if not duration["anchor"] and (anchor := _ANCHOR_AFTER.match(following)):
        words = anchor["anchor"].split()[:5]
        for size in range(len(words), 0, -1):
            value = resolve(" ".join(words[:size]), published)
            if value and len(value) == 10:
                return resolve(text, date.fromisoformat(value), deadline=True)
        return None
    start = _clock_start(sentence, published) if sentence else None
    return resolve(text, start or published, deadline=True)


def resolve_mention(
    text: str,
    published: date | None,
    *,
    article: str | None,
    event: str = "",
    deadline: bool = False,
) -> str | None:
    """Resolve an expression the model copied from `article` (the cleaned text), reading
    what follows it there too: "January of this year", "14 days after his removal"."""
    found = locate(text, article, event) if article else None
    sentence, following = (found[0], found[0][found[2] :]) if found else ("", "")
    if (year := _YEAR_AFTER.match(following)) and not re.search(r"\d{4}", text):
        text = f"{text} {year['which']} year"
    if deadline:
        if DURATION.match(LEADING_WORDS.sub("", _normalize(text))):
            return _duration_deadline(text, published, following, sentence)
        return resolve(text, published, deadline=True)
    direction, certain = direction_for(found, event)
    return resolve(text, published, direction=direction, certain=certain)
