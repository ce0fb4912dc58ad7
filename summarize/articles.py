"""Find and read articles: files, folders and standard input.

Inputs are plain-text files, folders of them, standard input, JSON Lines corpora
(`.jsonl`, one article object per line), and web pages: saved `.html` files and
`http(s)://` URLs, which `summarize.web` reduces to their story. A plain-text article
may start with a front-matter header that carries its metadata::

    ---
    title: Trump threatens 200% tariffs on European spirits
    published: 2025-03-13
    url: https://www.voanews.com/a/...
    ---
    The story starts here...

Keys are case-insensitive; `published` takes an ISO date or timestamp (only the date is
used); unknown keys are kept in `Article.meta`. Without a header the whole file is the
article. A `--published` date given on the command line wins over the header.

Files that cannot carry a header (the text must stay byte for byte) get their dates from a
`published.json` beside them, mapping file names to dates: `{"story.txt": "2025-03-13"}`
or `{"story.txt": {"published": "2025-03-13", "note": "how it is known"}}`. A header
or `--published` wins over it.

Reading never raises for one bad file: `read_inputs` returns an `InputError` in that file's
place, so the rest of the batch goes on.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from summarize.errors import InputError

HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
FETCH_WORKERS = 8  # URLs fetched at once: waiting on servers, not on this machine
ARTICLE_SUFFIXES = {".txt", ".text", ".md", "", ".jsonl", *HTML_SUFFIXES}
CORPUS_FIELDS = {"id", "text", "title", "published", "url"}
SIDECAR = "published.json"  # publication dates for the files of its folder
# The JSON types each of them takes (null: absent).
CORPUS_FIELD_TYPES: dict[str, tuple[type, ...]] = {
    "id": (str, int),
    "text": (str,),
    "title": (str,),
    "published": (str,),
    "url": (str,),
}
FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(?P<body>(?:[^\n]*\n)*?)---[ \t]*(?:\r?\n|\Z)")
HEADER_LINE = re.compile(r"^(?P<key>[A-Za-z_][\w-]*)\s*:\s*(?P<value>.*?)\s*$")


@dataclass(frozen=True)
class Article:
    """One article as read, before cleaning."""

    id: str
    source: str
    text: str
    title: str | None = None
    published: date | None = None
    url: str | None = None
    meta: dict[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()


def parse_published(value: str, *, source: str) -> date:
    """An ISO date or timestamp ('2025-03-13', '2025-03-13 20:30:26Z') to its date."""
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        raise InputError(
            f"{source}: published date {value!r} is not ISO 8601; write it as YYYY-MM-DD",
            source=source,
        ) from None


def split_front_matter(text: str) -> tuple[dict[str, str], str]:
    """Split a `---` header off the top of a text; ({}, text) when there is none."""
    match = FRONT_MATTER.match(text)
    if match is None:
        return {}, text
    header: dict[str, str] = {}
    for line in match["body"].splitlines():
        if not line.strip():
            continue
        entry = HEADER_LINE.match(line)
        if entry is None:  # not a header after all: treat the whole file as the story
            return {}, text
        header[entry["key"].lower()] = entry["value"]
    return header, text[match.end() :]


# Formats an analyst is likely to point the tool at by mistake, by their first bytes.
MAGIC = (
    (b"%PDF-", "a PDF", "extract its text first (e.g. pdftotext FILE.pdf)"),
    (b"\x89PNG", "a PNG image", "pass the article's text instead"),
    (b"\xff\xd8\xff", "a JPEG image", "pass the article's text instead"),
    (b"GIF8", "a GIF image", "pass the article's text instead"),
    (b"PK\x03\x04", "a ZIP archive (or .docx)", "unpack it or save the article as text"),
    (b"\x1f\x8b", "a gzip archive", "decompress it first"),
)


def decode(data: bytes, *, source: str) -> tuple[str, tuple[str, ...]]:
    """Bytes to text: UTF-8, or UTF-8 with replacement characters and a warning.

    Binary files are refused by name (PDF, images, archives) or by their NUL bytes.
    """
    for magic, kind, advice in MAGIC:
        if data.startswith(magic):
            raise InputError(f"{source}: is {kind}, not text; {advice}", source=source)
    if b"\x00" in data[:8192]:
        raise InputError(
            f"{source}: looks like a binary file, not text; pass a .txt article", source=source
        )
    try:
        return data.decode("utf-8-sig"), ()
    except UnicodeDecodeError as error:
        warning = (
            f"{source}: not valid UTF-8 (first bad byte at offset {error.start}); "
            "undecodable bytes were replaced with U+FFFD"
        )
        return data.decode("utf-8", errors="replace"), (warning,)


def article_from_text(
    text: str,
    *,
    id: str,
    source: str,
    published: date | None = None,
    warnings: tuple[str, ...] = (),
) -> Article:
    """Build an Article from decoded text, honouring a front-matter header."""
    header, body = split_front_matter(text)
    if not body.strip():
        raise InputError(f"{source}: the article is empty; nothing to brief", source=source)
    header_date = (
        parse_published(header["published"], source=source) if header.get("published") else None
    )
    known = {"title", "published", "url", "id"}
    return Article(
        id=header.get("id") or id,
        source=source,
        text=body,
        title=header.get("title") or None,
        published=published or header_date,
        url=header.get("url") or None,
        meta={k: v for k, v in header.items() if k not in known},
        warnings=warnings,
    )


def read_file(path: Path, *, published: date | None = None, id: str | None = None) -> Article:
    source = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(
            f"{source}: no such file or folder; check the path", source=source
        ) from None
    except PermissionError:
        raise InputError(
            f"{source}: permission denied; make the file readable", source=source
        ) from None
    except IsADirectoryError:
        raise InputError(f"{source}: is a folder; pass the folder itself", source=source) from None
    except OSError as error:
        raise InputError(f"{source}: cannot be read ({error.strerror})", source=source) from None
    text, warnings = decode(data, source=source)
    if path.suffix.lower() in HTML_SUFFIXES:
        from summarize.web import article_from_html  # deferred: trafilatura is heavy

        article = article_from_html(text, id=id or path.stem, source=source, published=published)
    else:
        article = article_from_text(
            text, id=id or path.stem, source=source, published=published, warnings=warnings
        )
    if article.published is None:
        article = replace(article, published=sidecar_published(path))
    return article


def sidecar_published(path: Path) -> date | None:
    """The date `published.json` in `path`'s folder gives `path`, or None. A sidecar that
    is not a JSON object of dates fails the file, naming the sidecar and what to fix."""
    sidecar = path.parent / SIDECAR
    try:
        entries = json.loads(sidecar.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise InputError(
            f"{sidecar}: cannot read the publication dates ({error}); fix or remove it",
            source=str(path),
        ) from None
    entry = entries.get(path.name) if isinstance(entries, dict) else None
    value = entry.get("published") if isinstance(entry, dict) else entry
    if value is None:
        return None
    return parse_published(str(value), source=f"{sidecar} ({path.name})")


def read_corpus(path: Path, *, published: date | None = None) -> Iterator[Article | InputError]:
    """A JSON Lines corpus, one article per line: `id`, `text`, and optionally `title`,
    `published` and `url` (other keys go to `meta`). A bad line fails alone, named by
    file and line number."""
    source = str(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        yield InputError(f"{source}: cannot be read ({error.strerror})", source=source)
        return
    text, _ = decode(data, source=source)
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{source}:{number}"
        try:
            yield corpus_article(
                line, where, default_id=f"{path.stem}-{number}", published=published
            )
        except InputError as error:
            yield error


def corpus_article(line: str, where: str, *, default_id: str, published: date | None) -> Article:
    """One corpus line as an Article, every field's type checked here, before anything is
    sent: a wrong type fails this line alone, named, instead of the prompt or the export."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        message = f"{where}: not a JSON line ({error.msg}); one article object per line"
        raise InputError(message, source=where) from None
    if not isinstance(record, dict):
        raise InputError(
            f"{where}: needs a JSON object with a string 'text', not {_json_type(record)}",
            source=where,
        )
    for name, allowed in CORPUS_FIELD_TYPES.items():
        value = record.get(name)
        wrong = not isinstance(value, allowed) or isinstance(value, bool)  # True is an int
        if value is not None and wrong:
            kinds = " or ".join(_JSON_NAMES[kind] for kind in allowed)
            raise InputError(
                f"{where}: '{name}' must be a {kinds}, not {_json_type(value)}; fix that line",
                source=where,
            )
    if record.get("text") is None:
        raise InputError(f"{where}: needs a JSON object with a string 'text'", source=where)
    when = record.get("published")
    return Article(
        id=str(record.get("id") or default_id),
        source=where,
        text=_nonempty(record["text"], where),
        title=record.get("title") or None,
        published=published or (parse_published(when, source=where) if when else None),
        url=record.get("url") or None,
        meta={
            k: v if isinstance(v, str) else json.dumps(v)
            for k, v in record.items()
            if k not in CORPUS_FIELDS
        },
    )


_JSON_NAMES: dict[type, str] = {str: "string", int: "integer", dict: "object", list: "array"}


def _json_type(value: object) -> str:
    """A value's type as JSON calls it, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return f"a number ({value})"
    if isinstance(value, str):
        return "a string"
    return "an array" if isinstance(value, list) else "an object"


def _nonempty(text: str, source: str) -> str:
    if not text.strip():
        raise InputError(f"{source}: the article is empty; nothing to brief", source=source)
    return text


def _expand(path: Path, notes: list[str]) -> Iterator[Path]:
    """The article files under a folder (or the path itself), noting what was passed over."""
    if not path.is_dir():
        yield path
        return
    skipped: list[Path] = []
    broken: list[Path] = []  # links that loop or lead nowhere
    linked_folders: list[Path] = []  # not descended into: they may loop back up
    for child in sorted(path.rglob("*")):
        if any(part.startswith(".") for part in child.relative_to(path).parts):
            continue  # hidden files and folders (.git, .DS_Store) are never articles
        if child.name == SIDECAR:
            continue  # the folder's publication dates, read with each article
        if child.is_file() and child.suffix.lower() in ARTICLE_SUFFIXES:
            yield child
        elif child.is_file():
            skipped.append(child)
        elif child.is_symlink() and not child.exists():
            broken.append(child)
        elif child.is_symlink() and child.is_dir():
            linked_folders.append(child)
    if skipped:
        kinds = ", ".join(sorted({p.suffix.lower() for p in skipped}))
        notes.append(
            f"{path}: skipped {len(skipped)} file(s) that are not plain-text articles "
            f"({kinds}); name a file directly to read it anyway"
        )
    if broken:
        notes.append(
            f"{path}: skipped {len(broken)} symbolic link(s) that loop or lead nowhere "
            f"({_some(broken, path)})"
        )
    if linked_folders:
        notes.append(
            f"{path}: did not follow {len(linked_folders)} linked folder(s) "
            f"({_some(linked_folders, path)}); name one directly to read it"
        )


def _some(paths: list[Path], under: Path, shown: int = 3) -> str:
    """A few paths relative to `under`, and how many more."""
    names = [str(p.relative_to(under)) for p in paths[:shown]]
    more = f" and {len(paths) - shown} more" if len(paths) > shown else ""
    return ", ".join(names) + more


def read_inputs(
    inputs: Iterable[str], *, published: date | None = None, notes: list[str] | None = None
) -> list[Article | InputError]:
    """Read every article named by `inputs` (files, folders, '-' for stdin, URLs), in order.

    A file or URL named twice is read once. Two different files with the same name get
    distinct ids ('story', 'story-2'), because the id keys exports and resumes. URLs are
    fetched several at a time. What was passed over (non-article files in a folder,
    repeats) is described in `notes`, if given.
    """
    notes = [] if notes is None else notes
    results: list[Article | InputError | Future[Article | InputError]] = []
    seen: set[Path | str] = set()
    seen_ids: dict[str, int] = {}

    def unique(article_id: str) -> str:
        count = seen_ids.get(article_id, 0) + 1
        seen_ids[article_id] = count
        return article_id if count == 1 else f"{article_id}-{count}"

    def first_time(key: Path | str, name: str | Path) -> bool:
        if key in seen:
            notes.append(f"{name}: named more than once; read once")
            return False
        seen.add(key)
        return True

    with ThreadPoolExecutor(FETCH_WORKERS, thread_name_prefix="fetch") as fetcher:
        for name in inputs:
            if name == "-":
                results.append(_read_stdin(id=unique("stdin"), published=published))
            elif name.startswith(("http://", "https://")):
                from summarize.web import url_id

                if first_time(name, name):
                    article_id = unique(url_id(name))
                    results.append(fetcher.submit(_read_url, name, article_id, published))
            elif not Path(name).exists():
                results.append(
                    InputError(f"{name}: no such file or folder; check the path", source=name)
                )
            else:
                for path in _expand(Path(name), notes):
                    if first_time(path.resolve(), path):
                        results += _read_path(path, unique, published)
        return [entry.result() if isinstance(entry, Future) else entry for entry in results]


def _read_stdin(*, id: str, published: date | None) -> Article | InputError:
    try:
        text, warnings = decode(sys.stdin.buffer.read(), source="<stdin>")
        return article_from_text(
            text, id=id, source="<stdin>", published=published, warnings=warnings
        )
    except InputError as error:
        return error


def _read_url(url: str, id: str, published: date | None) -> Article | InputError:
    from summarize.web import read_url

    try:
        return read_url(url, id=id, published=published)
    except InputError as error:
        return error


def _read_path(
    path: Path, unique: Callable[[str], str], published: date | None
) -> list[Article | InputError]:
    if path.suffix.lower() == ".jsonl":
        return [
            replace(entry, id=unique(entry.id)) if isinstance(entry, Article) else entry
            for entry in read_corpus(path, published=published)
        ]
    try:
        return [read_file(path, published=published, id=unique(path.stem))]
    except InputError as error:
        return [error]
