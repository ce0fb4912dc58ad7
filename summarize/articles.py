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

No read is unbounded: a file, standard input, a web page and each line of a corpus may
hold at most `max_bytes` (`--max-input-bytes`, default 5 MB), read in 1 MiB pieces and
refused as soon as the cap is passed; binary data is refused from its first piece. Devices
and pipes named as paths are refused by name (reading `/dev/zero` never ends, a FIFO
blocks until a writer comes): pipe them into standard input, as `-`, to read them.

Reading never raises for one bad file: `read_inputs` returns an `InputError` in that file's
place, so the rest of the batch goes on. `iter_inputs` reads lazily, one article at a
time as the caller asks (a corpus of any size streams), and leaves each URL as a
`Deferred` read, for a batch worker to fetch just before briefing it, so that no article
waits for another's server; `gather_inputs` is the same in a list.
"""

from __future__ import annotations

import functools
import json
import os
import stat
import sys
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import BinaryIO

from summarize.data import MAX_INPUT_BYTES, Article, Deferred, parse_published, split_front_matter
from summarize.errors import InputError
from summarize.tally import Tally

HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
READ_CHUNK = 1 << 20  # bytes per read(): memory grows with what was read, never past the cap
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


# Formats an analyst is likely to point the tool at by mistake, by their first bytes.
MAGIC = (
    (b"%PDF-", "a PDF", "extract its text first (e.g. pdftotext FILE.pdf)"),
    (b"\x89PNG", "a PNG image", "pass the article's text instead"),
    (b"\xff\xd8\xff", "a JPEG image", "pass the article's text instead"),
    (b"GIF8", "a GIF image", "pass the article's text instead"),
    (b"PK\x03\x04", "a ZIP archive (or .docx)", "unpack it or save the article as text"),
    (b"\x1f\x8b", "a gzip archive", "decompress it first"),
)


def refuse_binary(head: bytes | bytearray, *, source: str) -> None:
    """Refuse binary data by its first bytes: named formats (PDF, images, archives), or
    NUL bytes, which no text file holds."""
    for magic, kind, advice in MAGIC:
        if head.startswith(magic):
            raise InputError(f"{source}: is {kind}, not text; {advice}", source=source)
    if b"\x00" in head[:8192]:
        raise InputError(
            f"{source}: looks like a binary file, not text; pass a .txt article", source=source
        )


def decode(data: bytes | bytearray, *, source: str) -> tuple[str, tuple[str, ...]]:
    """Bytes to text: UTF-8, or UTF-8 with replacement characters and a warning.

    Binary files are refused by name (PDF, images, archives) or by their NUL bytes.
    """
    refuse_binary(data, source=source)
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


def too_large(source: str, max_bytes: int) -> InputError:
    return InputError(
        f"{source}: larger than {max_bytes:,} bytes (--max-input-bytes); split it, or raise "
        "--max-input-bytes if it really is one article",
        source=source,
    )


def read_bounded(stream: BinaryIO, *, source: str, max_bytes: int) -> bytearray:
    """All of `stream`, read in pieces; InputError as soon as it passes `max_bytes`, or
    when its first piece is binary. At most `max_bytes` + one piece is ever held."""
    data = bytearray()
    while piece := stream.read(READ_CHUNK):
        if not data:
            refuse_binary(piece, source=source)
        data += piece
        if len(data) > max_bytes:
            raise too_large(source, max_bytes)
    return data


SPECIAL_FILES: tuple[tuple[Callable[[int], bool], str], ...] = (
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
)


def _open_regular(path: Path, *, max_bytes: int) -> BinaryIO:
    """Open a regular file for reading; a device, FIFO or socket is refused by name
    before it is opened (opening a FIFO would block until something writes to it)."""
    source = str(path)
    mode = path.stat().st_mode
    special = next((kind for test, kind in SPECIAL_FILES if test(mode)), None)
    if special is not None:
        raise InputError(
            f"{source}: is {special}, not a file; to read it anyway, "
            f"pipe it in as standard input: summarize brief - < {source}",
            source=source,
        )
    stream = path.open("rb")
    if os.fstat(stream.fileno()).st_size > max_bytes:
        stream.close()
        raise too_large(source, max_bytes)
    return stream


def _read_path_bytes(path: Path, *, max_bytes: int) -> bytearray:
    """A file's bytes, bounded; OSError (missing, denied, a folder) is the caller's."""
    with _open_regular(path, max_bytes=max_bytes) as stream:
        return read_bounded(stream, source=str(path), max_bytes=max_bytes)


def read_file(
    path: Path,
    *,
    published: date | None = None,
    id: str | None = None,
    max_bytes: int = MAX_INPUT_BYTES,
) -> Article:
    source = str(path)
    try:
        data = _read_path_bytes(path, max_bytes=max_bytes)
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
    del data  # the text is all that is kept: never hold a file twice over
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


def read_corpus(
    path: Path, *, published: date | None = None, max_bytes: int = MAX_INPUT_BYTES
) -> Iterator[Article | InputError]:
    """A JSON Lines corpus, one article per line: `id`, `text`, and optionally `title`,
    `published` and `url` (other keys go to `meta`). A bad line fails alone, named by
    file and line number. The file is read line by line: a corpus may be of any size,
    each line at most `max_bytes`."""
    source = str(path)
    try:
        stream = _open_regular(path, max_bytes=sys.maxsize)
    except InputError as error:
        yield error
        return
    except OSError as error:
        yield InputError(f"{source}: cannot be read ({error.strerror})", source=source)
        return
    with stream:
        yield from _corpus_articles(stream, path, published, max_bytes)


def _corpus_articles(
    stream: BinaryIO, path: Path, published: date | None, max_bytes: int
) -> Iterator[Article | InputError]:
    source = str(path)
    for number, line in _corpus_lines(stream, source, max_bytes):
        if isinstance(line, InputError):
            yield line
            continue
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


def _corpus_lines(
    stream: BinaryIO, source: str, max_bytes: int
) -> Iterator[tuple[int, str | InputError]]:
    """Numbered lines of a corpus, decoded one at a time; a line over `max_bytes` or not
    text is an InputError in its place, and the lines after it are still read."""
    number = 0
    while raw := stream.readline(max_bytes + 1):
        number += 1
        where = f"{source}:{number}"
        if len(raw) > max_bytes:
            while raw and not raw.endswith(b"\n"):  # skip the rest of the line, bounded
                raw = stream.readline(READ_CHUNK)
            yield number, too_large(where, max_bytes)
            continue
        try:
            text, _ = decode(raw, source=where)
        except InputError as error:
            yield number, error
            continue
        yield number, text.rstrip("\r\n")


def _nonempty(text: str, source: str) -> str:
    if not text.strip():
        raise InputError(f"{source}: the article is empty; nothing to brief", source=source)
    return text


def _expand(path: Path, notes: list[str]) -> Iterator[Path]:
    """The article files under a folder (or the path itself), walked lazily in sorted
    order, noting what was passed over once the folder is done."""
    if not path.is_dir():
        yield path
        return
    passed = _PassedOver()
    yield from _walk(path, passed)
    notes.extend(passed.notes(path))


class _PassedOver:
    """What a folder walk did not read: other files, broken links, linked folders. Each
    kind keeps its count and the first few paths the note names, never every path."""

    def __init__(self) -> None:
        self.skipped = _Some()
        self.skipped_kinds: set[str] = set()  # their suffixes: a handful, whatever the count
        self.broken = _Some()  # links that loop or lead nowhere
        self.linked_folders = _Some()  # not descended into: they may loop back up

    def skip(self, path: Path) -> None:
        self.skipped.add(path)
        self.skipped_kinds.add(path.suffix.lower())

    def notes(self, path: Path) -> Iterator[str]:
        if self.skipped:
            kinds = ", ".join(sorted(self.skipped_kinds))
            yield (
                f"{path}: skipped {len(self.skipped)} file(s) that are not plain-text "
                f"articles ({kinds}); name a file directly to read it anyway"
            )
        if self.broken:
            yield (
                f"{path}: skipped {len(self.broken)} symbolic link(s) that loop or lead "
                f"nowhere ({self.broken.named(path)})"
            )
        if self.linked_folders:
            yield (
                f"{path}: did not follow {len(self.linked_folders)} linked folder(s) "
                f"({self.linked_folders.named(path)}); name one directly to read it"
            )


class _Some:
    """How many paths there were, and the first `SHOWN` of them."""

    SHOWN = 3

    def __init__(self) -> None:
        self.first: list[Path] = []
        self.count = 0

    def add(self, path: Path) -> None:
        self.count += 1
        if len(self.first) < self.SHOWN:
            self.first.append(path)

    def __len__(self) -> int:
        return self.count

    def named(self, under: Path) -> str:
        """The first paths relative to `under`, and how many more."""
        names = [str(p.relative_to(under)) for p in self.first]
        more = f" and {self.count - len(self.first)} more" if self.count > len(self.first) else ""
        return ", ".join(names) + more


def _walk(folder: Path, passed: _PassedOver) -> Iterator[Path]:
    """Depth first, each folder's entries by name (the order of sorted(rglob)), one
    folder's listing in memory at a time; hidden files and folders are never articles."""
    try:
        names = sorted(entry.name for entry in os.scandir(folder))
    except OSError:
        return
    for name in names:
        if name.startswith(".") or name == SIDECAR:
            continue  # hidden (.git, .DS_Store); the folder's publication dates
        child = folder / name
        if child.is_symlink() and child.is_dir():
            passed.linked_folders.add(child)
        elif child.is_dir():
            yield from _walk(child, passed)
        elif child.is_file() and child.suffix.lower() in ARTICLE_SUFFIXES:
            yield child
        elif child.is_file():
            passed.skip(child)
        elif child.is_symlink() and not child.exists():
            passed.broken.add(child)


def read_inputs(
    inputs: Iterable[str],
    *,
    published: date | None = None,
    notes: list[str] | None = None,
    fetch_timeout: float | None = None,
    max_bytes: int = MAX_INPUT_BYTES,
) -> list[Article | InputError]:
    """Read every article named by `inputs` (files, folders, '-' for stdin, URLs), in order.

    URLs are fetched several at a time. See `iter_inputs` for the rest.
    """
    entries = gather_inputs(
        inputs, published=published, notes=notes, fetch_timeout=fetch_timeout, max_bytes=max_bytes
    )
    with ThreadPoolExecutor(FETCH_WORKERS, thread_name_prefix="fetch") as fetcher:
        return list(fetcher.map(lambda e: e.read() if isinstance(e, Deferred) else e, entries))


def gather_inputs(
    inputs: Iterable[str],
    *,
    published: date | None = None,
    notes: list[str] | None = None,
    fetch_timeout: float | None = None,
    max_bytes: int = MAX_INPUT_BYTES,
) -> list[Article | InputError | Deferred]:
    """Every input of `iter_inputs`, in a list."""
    return list(
        iter_inputs(
            inputs,
            published=published,
            notes=notes,
            fetch_timeout=fetch_timeout,
            max_bytes=max_bytes,
        )
    )


StdinReader = Callable[[], tuple[str, tuple[str, ...]]]


def iter_inputs(
    inputs: Iterable[str],
    *,
    published: date | None = None,
    notes: list[str] | None = None,
    fetch_timeout: float | None = None,
    max_bytes: int = MAX_INPUT_BYTES,
    stdin: StdinReader | None = None,
) -> Iterator[Article | InputError | Deferred]:
    """Each local article named by `inputs`, in order, read as it is asked for (folders
    walked and corpora read line by line as the caller goes: one article in memory at a
    time); URLs are left as `Deferred` reads (each fetched within `fetch_timeout`
    seconds, default web.FETCH_TIMEOUT). No file, stdin, page or corpus line may exceed
    `max_bytes`. `stdin` reads standard input (default: `read_stdin`; a caller reading
    the inputs twice passes one that keeps what it read).

    A file or URL named twice is read once. Two different files with the same name get
    distinct ids ('story', 'story-2'), because the id keys exports and resumes. What was
    passed over (non-article files in a folder, repeats) is described in `notes`, if given,
    as each input is finished.
    """
    notes = [] if notes is None else notes
    # Both counts are exact and kept in bounded memory (`summarize.tally`): a corpus of a
    # million articles costs a table on disk, not a million entries here.
    read, ids = Tally(), Tally()

    def unique(article_id: str) -> str:
        count = ids.add(article_id)
        return article_id if count == 1 else f"{article_id}-{count}"

    def first_time(key: str, name: str | Path) -> bool:
        if read.add(key) > 1:
            notes.append(f"{name}: named more than once; read once")
            return False
        return True

    try:
        for name in inputs:
            if name == "-":
                yield _read_stdin(
                    id=unique("stdin"),
                    published=published,
                    read=stdin or functools.partial(read_stdin, max_bytes=max_bytes),
                )
            elif name.startswith(("http://", "https://")):
                from summarize.web import url_id

                if first_time(name, name):
                    article_id = unique(url_id(name))
                    read_url = functools.partial(
                        _read_url, name, article_id, published, fetch_timeout, max_bytes
                    )
                    yield Deferred(name, read_url)
            elif not Path(name).exists():
                yield InputError(f"{name}: no such file or folder; check the path", source=name)
            else:
                for path in _expand(Path(name), notes):
                    if first_time(str(path.resolve()), path):
                        yield from _read_path(path, unique, published, max_bytes)
    finally:
        read.close()
        ids.close()


def read_stdin(*, max_bytes: int = MAX_INPUT_BYTES) -> tuple[str, tuple[str, ...]]:
    """Standard input as text, bounded like a file (it may be /dev/zero or a FIFO)."""
    data = read_bounded(sys.stdin.buffer, source="<stdin>", max_bytes=max_bytes)
    return decode(data, source="<stdin>")


def _read_stdin(*, id: str, published: date | None, read: StdinReader) -> Article | InputError:
    try:
        text, warnings = read()
        return article_from_text(
            text, id=id, source="<stdin>", published=published, warnings=warnings
        )
    except InputError as error:
        return error


def _read_url(
    url: str, id: str, published: date | None, timeout: float | None, max_bytes: int
) -> Article | InputError:
    from summarize.web import FETCH_TIMEOUT, read_url

    try:
        return read_url(
            url, id=id, published=published, timeout=timeout or FETCH_TIMEOUT, max_bytes=max_bytes
        )
    except InputError as error:
        return error


def _read_path(
    path: Path, unique: Callable[[str], str], published: date | None, max_bytes: int
) -> Iterator[Article | InputError]:
    if path.suffix.lower() == ".jsonl":
        for entry in read_corpus(path, published=published, max_bytes=max_bytes):
            yield replace(entry, id=unique(entry.id)) if isinstance(entry, Article) else entry
        return
    try:
        yield read_file(path, published=published, id=unique(path.stem), max_bytes=max_bytes)
    except InputError as error:
        yield error
