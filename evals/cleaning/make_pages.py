"""Build the labelled cleaning dev set: news stories wrapped in invented page chrome.

    python3 evals/cleaning/make_pages.py            # rewrites evals/cleaning/pages.jsonl

Each page is a Voice of America story from ../shared/articles/voa.jsonl, split into
paragraphs, wrapped in the chrome of an invented publisher: before the headline, between
the paragraphs and after the story. Every line is labelled `chrome`, `story` or
`headline`. Deterministic (seeded): the same input gives the same file.

Two splits, so a score on pages the cleaner was not tuned on is reported too:
`tune` publishers draw their chrome from one bank of wordings and families; `heldout`
publishers use other wordings and families the tune pages never show.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
VOA = HERE.parent.parent.parent / "shared" / "articles" / "voa.jsonl"
OUT = HERE / "pages.jsonl"
SEED = 20261129
PAGES_PER_PUBLISHER = 5

Lines = list[str]
Family = Callable[[random.Random, "Context"], Lines]


@dataclass(frozen=True)
class Context:
    publisher: str
    domain: str
    title: str
    section: str
    author: str
    published: str
    keywords: list[str]
    others: list[str]  # headlines of other stories, for related lists


# A sentence ends after a word of two letters or more ("U.S. officials" goes on).
SENTENCE = re.compile(r"(?:(?<=[a-z0-9)]{2}[.!?])|(?<=[.!?][\"'\u201d]))\s+(?=[\"\u201c(]?[A-Z])")
# Short story lines that carry words phrase rules used to catch: they must survive.
RISKY_STORY = [
    '"Our allies must support us now or face sanctions," he said.',
    "The ministry said it would share the intelligence with partners.",
    "Officials urged citizens to follow the instructions of the police.",
    "He said donors had pledged to donate more than $2 million.",
    "Read more carefully, the statement left room for talks, diplomats said.",
    "The minister told reporters: \u201cWe will not hesitate.\u201d",
    "Kyiv said the offer was not enough.",
]
SUBHEADS_TUNE = ["Sanctions threat", "Background", "What happens next", "Reaction"]
SUBHEADS_HELDOUT = ["Details:", "A warning from Washington", "Context", "Next steps"]


def paragraphs(text: str, rng: random.Random) -> Lines:
    sentences = [s.strip() for s in SENTENCE.split(text) if s.strip()]
    out: Lines = []
    while sentences:
        take = rng.choice([1, 2, 2, 3, 3, 4])
        out.append(" ".join(sentences[:take]))
        sentences = sentences[take:]
    return out


def when(ctx: Context, rng: random.Random) -> str:
    date = ctx.published[:10]
    year, month, day = date.split("-")
    months = "January February March April May June July August September October November "
    name = (months + "December").split()[int(month) - 1]
    hour = rng.randint(1, 12)
    return f"{name} {int(day)}, {year} {hour}:{rng.randint(10, 59)} {rng.choice(['AM', 'PM'])}"


# --- chrome families, tune wordings -------------------------------------------------------


def cookie_tune(rng: random.Random, ctx: Context) -> Lines:
    return rng.choice(
        [
            [
                "We use cookies to improve your experience on our site and to show you "
                "relevant advertising. By continuing to browse, you agree to our use of cookies.",
                "Accept all",
                "Manage preferences",
            ],
            ["This website uses cookies", "OK, got it", "Cookie settings"],
        ]
    )


def breadcrumbs_tune(rng: random.Random, ctx: Context) -> Lines:
    return [f"Home > {ctx.section} > {rng.choice(['Europe', 'Asia', 'Americas', 'Politics'])}"]


def nav_tune(rng: random.Random, ctx: Context) -> Lines:
    return ["Skip to main content", "Menu", "Search", "World", "Business", "Opinion", "Sign in"]


def byline_tune(rng: random.Random, ctx: Context) -> Lines:
    return [f"By {ctx.author}", f"Published {when(ctx, rng)}"]


def share_tune(rng: random.Random, ctx: Context) -> Lines:
    nets = ["Share on Facebook", "Share on X", "Share on LinkedIn", "Share on Threads"]
    return [*rng.sample(nets, 3), "Copy URL", "Email"]


def caption_tune(rng: random.Random, ctx: Context) -> Lines:
    who = ctx.keywords[0] if ctx.keywords else ctx.section
    return [
        f"Officials gather for a meeting on {who} in this undated file photo. (Reuters)",
        "Photo: AFP/Getty Images",
    ][: rng.choice([1, 2])]


def related_tune(rng: random.Random, ctx: Context) -> Lines:
    return [rng.choice(["Related", "Related stories"]), *rng.sample(ctx.others, 3)]


def readmore_tune(rng: random.Random, ctx: Context) -> Lines:
    return [f"Read more: {rng.choice(ctx.others)}"]


def comments_tune(rng: random.Random, ctx: Context) -> Lines:
    return [f"{rng.randint(2, 480)} comments", "Join the conversation"]


def newsletter_tune(rng: random.Random, ctx: Context) -> Lines:
    return [
        "Sign up for our morning newsletter",
        "Get the day's top stories delivered to your inbox every morning.",
        "Enter your email address",
        "Subscribe",
    ]


def ad_tune(rng: random.Random, ctx: Context) -> Lines:
    return ["Advertisement", "Scroll to continue"]


def bio_tune(rng: random.Random, ctx: Context) -> Lines:
    return [
        f"{ctx.author} is a correspondent for {ctx.publisher}, covering diplomacy and "
        "security. She previously reported from Brussels and Nairobi."
    ]


def footer_tune(rng: random.Random, ctx: Context) -> Lines:
    return [
        "About us",
        "Contact",
        "Privacy policy",
        "Terms of use",
        f"\u00a9 2025 {ctx.publisher}. All rights reserved.",
    ]


def pagination_tune(rng: random.Random, ctx: Context) -> Lines:
    n = rng.randint(2, 4)
    return [f"Page 1 of {n}", "Next page"]


def loading_tune(rng: random.Random, ctx: Context) -> Lines:
    return ["Loading..."]


def tags_tune(rng: random.Random, ctx: Context) -> Lines:
    return ["Topics", *ctx.keywords[:4]]


# --- chrome families, held-out wordings and families -------------------------------------


def cookie_held(rng: random.Random, ctx: Context) -> Lines:
    return [
        f"{ctx.publisher} and our partners store and access information on your device "
        "to personalise content and measure audiences.",
        "I agree",
        "Reject all",
    ]


def breadcrumbs_held(rng: random.Random, ctx: Context) -> Lines:
    return [f"News \u203a {ctx.section} \u203a {rng.choice(['Diplomacy', 'Security', 'Trade'])}"]


def nav_held(rng: random.Random, ctx: Context) -> Lines:
    return ["Jump to content", "Sections", "Latest", "Video", "Podcasts", "Log in", "Register"]


def byline_held(rng: random.Random, ctx: Context) -> Lines:
    return [
        f"{ctx.author.upper()}",
        f"Updated {when(ctx, rng)} EST",
        f"{rng.randint(3, 9)} min read",
    ]


def share_held(rng: random.Random, ctx: Context) -> Lines:
    return [
        "Share",
        "Facebook (opens in new window)",
        "WhatsApp (opens in new window)",
        "Bluesky (opens in new window)",
        "Copy link",
        "Print",
    ]


def caption_held(rng: random.Random, ctx: Context) -> Lines:
    return [
        f"FILE - A view of the capital on {when(ctx, rng)[:-9]}.",
        f"Image credit: {rng.choice(['Pool', 'EPA-EFE', 'Anadolu'])} via Getty Images",
    ]


def related_held(rng: random.Random, ctx: Context) -> Lines:
    return [f"More from {ctx.publisher}", *rng.sample(ctx.others, 4)]


def readmore_held(rng: random.Random, ctx: Context) -> Lines:
    return [f"ALSO READ | {rng.choice(ctx.others)}"]


def comments_held(rng: random.Random, ctx: Context) -> Lines:
    return [f"Comments ({rng.randint(1, 99)})", "Show comments"]


def newsletter_held(rng: random.Random, ctx: Context) -> Lines:
    return [
        "Never miss a story",
        f"The {ctx.publisher} briefing lands in your inbox at 6 a.m. Sign up, it's free.",
        "You can unsubscribe at any time.",
    ]


def ad_held(rng: random.Random, ctx: Context) -> Lines:
    return ["ADVERTISEMENT", "Story continues below"]


def bio_held(rng: random.Random, ctx: Context) -> Lines:
    return [
        "About the author",
        f"{ctx.author} writes about international affairs. Follow {ctx.author.split()[0]} "
        "on Bluesky.",
    ]


def footer_held(rng: random.Random, ctx: Context) -> Lines:
    return [
        "Careers | Advertise with us | Accessibility | Sitemap",
        f"Copyright 2025 {ctx.publisher} Media Group",
    ]


def pagination_held(rng: random.Random, ctx: Context) -> Lines:
    return ["\u00ab Previous", "1", "2", "3", "Next \u00bb"]


def loading_held(rng: random.Random, ctx: Context) -> Lines:
    return ["Please wait while the video loads", "0:00 / 2:41"]


def paywall_held(rng: random.Random, ctx: Context) -> Lines:
    return [
        "You have 3 free articles left this month.",
        "Subscribe now for $1 a week",
        "Already a subscriber? Log in",
    ]


def app_held(rng: random.Random, ctx: Context) -> Lines:
    return ["Download our app", "Available on the App Store and Google Play"]


def listen_held(rng: random.Random, ctx: Context) -> Lines:
    return ["Listen to this article", f"{rng.randint(2, 8)}:{rng.randint(10, 59)}"]


def correction_held(rng: random.Random, ctx: Context) -> Lines:
    return ["Report an error", "Editorial standards"]


def trending_held(rng: random.Random, ctx: Context) -> Lines:
    return ["Trending now", *rng.sample(ctx.others, 3)]


TUNE_FAMILIES: dict[str, Family] = {
    "cookie banner": cookie_tune,
    "breadcrumbs": breadcrumbs_tune,
    "navigation": nav_tune,
    "byline and dateline": byline_tune,
    "share buttons": share_tune,
    "photo caption and credit": caption_tune,
    "related headlines": related_tune,
    "read more link": readmore_tune,
    "comment counter": comments_tune,
    "newsletter prompt": newsletter_tune,
    "advertisement": ad_tune,
    "author bio": bio_tune,
    "footer and copyright": footer_tune,
    "pagination": pagination_tune,
    "loading": loading_tune,
    "tags": tags_tune,
}
HELDOUT_FAMILIES: dict[str, Family] = {
    "cookie banner": cookie_held,
    "breadcrumbs": breadcrumbs_held,
    "navigation": nav_held,
    "byline and dateline": byline_held,
    "share buttons": share_held,
    "photo caption and credit": caption_held,
    "related headlines": related_held,
    "read more link": readmore_held,
    "comment counter": comments_held,
    "newsletter prompt": newsletter_held,
    "advertisement": ad_held,
    "author bio": bio_held,
    "footer and copyright": footer_held,
    "pagination": pagination_held,
    "video player": loading_held,
    "paywall": paywall_held,
    "app promotion": app_held,
    "audio player": listen_held,
    "corrections box": correction_held,
    "trending list": trending_held,
}
TOP = ["cookie banner", "navigation", "breadcrumbs"]
UNDER_HEADLINE = [
    "byline and dateline",
    "share buttons",
    "photo caption and credit",
    "audio player",
]
BETWEEN = [
    "advertisement",
    "read more link",
    "photo caption and credit",
    "newsletter prompt",
    "loading",
    "video player",
    "related headlines",
    "paywall",
]
BOTTOM = [
    "tags",
    "author bio",
    "comment counter",
    "related headlines",
    "trending list",
    "newsletter prompt",
    "app promotion",
    "corrections box",
    "pagination",
    "footer and copyright",
]

PUBLISHERS = {
    "tune": [
        ("The Daily Ledger", "dailyledger.example"),
        ("Northern Courier", "northerncourier.example"),
        ("Global Wire Today", "globalwire.example"),
        ("The Civic Times", "civictimes.example"),
        ("Harbor Post", "harborpost.example"),
        ("Meridian News", "meridian.example"),
        ("The Frontier Review", "frontierreview.example"),
        ("Capital Dispatch", "capitaldispatch.example"),
    ],
    "heldout": [
        ("Atlas Herald", "atlasherald.example"),
        ("Riverside Chronicle", "riversidechronicle.example"),
        ("The Evening Beacon", "eveningbeacon.example"),
        ("Summit Observer", "summitobserver.example"),
    ],
}
AUTHORS = ["Maria Kovacs", "Daniel Osei", "Priya Raman", "Tomas Lindqvist", "Aiko Tanaka"]


def _line(text: str, label: str) -> dict[str, str]:
    """A labelled line; chrome lines also name their family."""
    kind, _, family = label.partition(":")
    return {"text": text, "label": kind, **({"family": family} if family else {})}


def page(story: dict[str, str], ctx: Context, split: str, rng: random.Random) -> dict[str, object]:
    families = TUNE_FAMILIES if split == "tune" else HELDOUT_FAMILIES
    used: list[str] = []
    lines: list[tuple[str, str]] = []

    def chrome(names: list[str], k: int) -> None:
        available = [n for n in names if n in families]
        for name in rng.sample(available, min(k, len(available))):
            used.append(name)
            lines.extend((text, f"chrome:{name}") for text in families[name](rng, ctx))

    chrome(TOP, rng.randint(2, 3))
    if rng.random() < 0.5:
        lines.append((ctx.section, "chrome:section label"))
    lines.append((ctx.title, "headline"))
    chrome(UNDER_HEADLINE, rng.randint(2, 3))
    body = paragraphs(story["text"], rng)
    subheads = SUBHEADS_TUNE if split == "tune" else SUBHEADS_HELDOUT
    gaps = sorted(rng.sample(range(1, len(body)), min(3, len(body) - 1)))
    for index, paragraph in enumerate(body):
        if index in gaps:
            roll = rng.random()
            if roll < 0.6:
                chrome(BETWEEN, 1)
            elif roll < 0.8:
                lines.append((rng.choice(subheads), "story"))
            else:
                lines.append((rng.choice(RISKY_STORY), "story"))
        lines.append((paragraph, "story"))
    chrome(BOTTOM, rng.randint(5, 7))
    if rng.random() < 0.5:  # many pages separate paragraphs with a blank line
        lines = [pair for line in lines for pair in (line, ("", "blank"))][:-1]
    return {
        "id": f"{split}-{ctx.domain.split('.')[0]}-{story['id']}",
        "split": split,
        "publisher": ctx.publisher,
        "families": sorted(set(used)),
        "headline": ctx.title,
        "lines": [_line(text, label) for text, label in lines],
    }


# The seeds, labelled by line number (1-based); blank lines are "blank", the rest story.
SEED_LABELS = {
    "000_5f29edb56438c667.txt": {"headline": 2, "chrome": {1, 13}},
    "001_6257722e1639f71d.txt": {"headline": 1, "chrome": {3, 4, 5, 6, 7, 8, 33}},
    "004_c9096178bfdff1e5.txt": {
        "headline": 3,
        "chrome": {1, *range(5, 14), 49, 51, 53, 55, 57, 59, 61, 63, 65},
    },
}


def seed_pages() -> list[dict[str, object]]:
    pages = []
    for name, labels in SEED_LABELS.items():
        raw = (HERE.parent.parent / "seeds" / name).read_text(encoding="utf-8").split("\n")
        lines = []
        for number, text in enumerate(raw, start=1):
            label = "story"
            if not text.strip():
                label = "blank"
            elif number == labels["headline"]:
                label = "headline"
            elif number in labels["chrome"]:  # type: ignore[operator]
                label = "chrome"
            lines.append({"text": text, "label": label})
        headline = raw[int(labels["headline"]) - 1]  # type: ignore[call-overload]
        pages.append(
            {
                "id": f"seed-{name[:3]}",
                "split": "seed",
                "publisher": "seed",
                "families": [],
                "headline": headline,
                "lines": lines,
            }
        )
    return pages


def main() -> None:
    rng = random.Random(SEED)  # noqa: S311 - a reproducible dev set, not a secret
    stories = [json.loads(line) for line in VOA.read_text(encoding="utf-8").splitlines()]
    titles = [s["title"] for s in stories]
    order = list(range(len(stories)))
    rng.shuffle(order)
    pages = seed_pages()
    cursor = 0
    for split, publishers in PUBLISHERS.items():
        for publisher, domain in publishers:
            for _ in range(PAGES_PER_PUBLISHER):
                story = stories[order[cursor % len(order)]]
                cursor += 1
                ctx = Context(
                    publisher=publisher,
                    domain=domain,
                    title=story["title"],
                    section=story.get("section") or "World",
                    author=rng.choice(AUTHORS),
                    published=story["published"],
                    keywords=[k.strip() for k in (story.get("keywords") or "").split(",")],
                    others=rng.sample([t for t in titles if t != story["title"]], 6),
                )
                pages.append(page(story, ctx, split, rng))
    with OUT.open("w", encoding="utf-8") as out:
        for item in pages:
            out.write(json.dumps(item, ensure_ascii=False) + "\n")
    print(f"wrote {len(pages)} pages to {OUT}")


if __name__ == "__main__":
    main()
