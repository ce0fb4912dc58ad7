"""The parent's per-run structures stay of a fixed size as a corpus grows (the line
count, the ids, the --resume digests), and give what the unbounded ones gave."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

from summarize.linefreq import repeated_lines

ROOT = Path(__file__).resolve().parent.parent
VOA = ROOT.parent / "shared" / "articles" / "voa.jsonl"
FOOTER = "Sign up for our newsletter to get the day's top stories in your inbox."


def exact_repeated_lines(
    texts: Iterable[str], *, min_articles: int = 3, max_distinct: int = 300_000
) -> dict[str, int]:
    """The line count as it was before its structures were bounded (a set of every
    article, a dict of every line): the oracle for the bounded one."""
    from summarize.linefreq import MAX_SCAN_CHARS, _lines

    def digest(text: str) -> int:
        return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")

    counts: dict[int, int] = {}
    repeated: dict[int, str] = {}
    seen_texts: set[int] = set()
    floor = 1
    for text in texts:
        head = text[:MAX_SCAN_CHARS]
        if (whole := digest(f"{len(text)}\x00{head}")) in seen_texts:
            continue
        seen_texts.add(whole)
        for line in _lines(head):
            key = digest(line)
            count = counts[key] = counts.get(key, 0) + 1
            if count == min_articles:
                repeated[key] = line
        if len(counts) > max_distinct:
            counts = {key: n for key, n in counts.items() if n > floor or key in repeated}
            floor += len(counts) > max_distinct // 2
    if len(seen_texts) < min_articles:
        return {}
    return {line: counts[key] for key, line in repeated.items()}


def shared_articles() -> list[str]:
    if not VOA.exists():
        pytest.skip("needs ../shared/articles/voa.jsonl")
    return [json.loads(line)["text"] for line in VOA.read_text(encoding="utf-8").splitlines()]


def invented_variations(stories: list[str]) -> list[str]:
    """The shared stories with chrome of several frequencies, exact duplicates, a
    near-duplicate (an updated version) and distinct paragraphs per copy."""
    texts = []
    for n, story in enumerate(stories):
        chrome = [FOOTER, f"Follow our coverage of region {n % 4} on the app today."]
        texts.append("\n\n".join([story, *chrome]))
        if n % 5 == 0:
            texts.append(texts[-1])  # the same article twice: counts once
        if n % 7 == 0:
            texts.append(story + "\n\nThis story was updated with the minister's reply.")
        paragraphs = story.split("\n\n")
        texts.append("\n\n".join(f"{p} (Edition {n}.)" for p in paragraphs[:3]))
    return texts


def distinct_articles(count: int, start: int = 0) -> Iterator[str]:
    for n in range(start, start + count):
        yield f"Story {n} opens with a line of its own.\nIts second line, {n}, too.\n{FOOTER}"


PEAK_RSS = """
import sys
from pathlib import Path

def status(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])

{imports}
start = status("VmRSS")
{work}
print(status("VmHWM") - start)
"""


def peak_growth_kb(imports: str, work: str) -> int:
    """How far the peak RSS of a fresh interpreter rises over its RSS once `imports` ran,
    while `work` runs (in kB): memory the way the parent of a run holds it, whether in
    Python objects, arrays, memory maps or SQLite's page cache."""
    code = PEAK_RSS.format(imports=imports, work=work)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return int(done.stdout.split()[-1])


@pytest.mark.parametrize("max_distinct", [300_000, 500, 60])
def test_the_bounded_line_count_finds_what_the_unbounded_one_found(max_distinct: int) -> None:
    """On the shared articles and invented variations, with the default cap and with
    caps small enough to prune many times, the same lines with the same counts."""
    texts = invented_variations(shared_articles())
    exact = exact_repeated_lines(texts, max_distinct=max_distinct)
    assert FOOTER in exact
    assert repeated_lines(iter(texts), max_distinct=max_distinct) == exact


def test_identical_articles_still_count_once() -> None:
    texts = ["One story line is here.\nThe shared line of two words here."] * 5
    assert repeated_lines(texts) == {}  # one distinct article: too few to be evidence
    texts += ["Another story line.\nThe shared line of two words here."] * 3
    assert repeated_lines(texts) == {}  # two distinct articles: still too few
    texts.append("A third story line.\nThe shared line of two words here.")
    assert repeated_lines(texts) == {"The shared line of two words here.": 3}


def test_the_line_count_does_not_grow_with_the_articles() -> None:
    """Twenty times the articles (every line distinct but the footer) cost the same
    memory: what is kept is allocated up front (a Bloom filter of the articles read, a
    table of line digests pruned in place), not a set entry per article (70 bytes each:
    4 MB more at 60,000)."""
    imports = "from summarize.linefreq import repeated_lines\n"
    imports += "from tests.test_parent_memory import distinct_articles"
    work = "repeated_lines(distinct_articles({count}), max_distinct=2_000)"
    small = peak_growth_kb(imports, work.format(count=3_000))
    large = peak_growth_kb(imports, work.format(count=60_000))
    assert large - small < 1_500, (small, large)


def test_a_line_the_full_table_cannot_hold_is_left_uncounted_not_miscounted() -> None:
    """Past every bound, a count is only ever lower than the exact one."""
    texts = list(distinct_articles(400))
    for n in range(30):
        texts.append("\n".join(f"Shared sentence number {k} of the batch." for k in range(n)))
    capped = repeated_lines(texts, max_distinct=10)
    exact = exact_repeated_lines(texts)
    assert capped[FOOTER] == exact[FOOTER] == 400
    assert all(count <= exact[line] for line, count in capped.items())


def expected_ids(raw: Iterable[str]) -> list[str]:
    """The ids as the rule has always given them: the n-th article of an id gets '-n'."""
    counts: dict[str, int] = {}
    ids = []
    for article_id in raw:
        counts[article_id] = counts.get(article_id, 0) + 1
        ids.append(article_id if counts[article_id] == 1 else f"{article_id}-{counts[article_id]}")
    return ids


def corpus_with_repeated_ids(path: Path, stories: list[str]) -> list[str]:
    """The shared stories as a corpus whose ids repeat (and one that looks like a
    suffixed id already, one missing, one a number); the raw ids, in order."""
    raw = []
    with path.open("w", encoding="utf-8") as out:
        for n, text in enumerate(stories * 3):
            record: dict[str, object] = {"id": f"voa-{n % 40}", "text": text}
            if n == 5:
                record["id"] = "voa-1-2"  # what the second 'voa-1' becomes
            if n == 6:
                del record["id"]  # the default: the file's name and line number
            if n == 7:
                record["id"] = 1234
            raw.append(str(record.get("id") or f"{path.stem}-{n + 1}"))
            out.write(json.dumps(record) + "\n")
    return raw


@pytest.mark.parametrize("in_memory", [4_096, 3])
def test_ids_of_repeated_names_are_the_ones_they_always_were(
    in_memory: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A corpus of the shared stories with repeated ids, read with it named twice, and
    files of one name in two folders: the same ids whether the counts stay in memory or
    move to SQLite (in_memory=3), and the same in both readings of a large run."""
    from summarize import tally
    from summarize.articles import iter_inputs
    from summarize.data import Article

    monkeypatch.setattr(tally, "IN_MEMORY", in_memory)
    raw = corpus_with_repeated_ids(tmp_path / "corpus.jsonl", shared_articles())
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "voa-3.txt").write_text("A story of a folder.", encoding="utf-8")
        (tmp_path / folder / "notes.pdf").write_bytes(b"%PDF-")
    inputs = [str(tmp_path / "corpus.jsonl"), str(tmp_path / "a"), str(tmp_path / "corpus.jsonl")]
    inputs.append(str(tmp_path / "b"))
    notes: list[str] = []
    first = [i.id for i in iter_inputs(inputs, notes=notes) if isinstance(i, Article)]
    again = [i.id for i in iter_inputs(inputs) if isinstance(i, Article)]
    assert first == again == expected_ids([*raw, "voa-3", "voa-3"])
    assert "voa-3-4" in first  # the corpus had 'voa-3' twice; each folder's file one more
    assert any("named more than once" in note for note in notes)
    assert sum("skipped 1 file(s)" in note and "(.pdf)" in note for note in notes) == 2


def test_the_ids_of_a_corpus_do_not_grow_with_it(tmp_path: Path) -> None:
    """Thirty times the articles, each with its own id, cost the same memory in the
    reading: past a few thousand, the counts of the ids are a table on disk (whose page
    cache SQLite holds at tally.CACHE_KIB, 2 MB), not a dict entry per article (about
    100 bytes each: 10 MB at 100,000)."""

    def corpus(count: int) -> Path:
        path = tmp_path / f"corpus-{count}.jsonl"
        with path.open("w", encoding="utf-8") as out:
            for n in range(count):
                out.write(json.dumps({"id": f"article-{n:08d}", "text": f"Story {n}."}) + "\n")
        return path

    imports = "from summarize.articles import iter_inputs"
    work = "assert sum(1 for _ in iter_inputs([{path!r}])) == {count}"
    small = peak_growth_kb(imports, work.format(path=str(corpus(3_000)), count=3_000))
    large = peak_growth_kb(imports, work.format(path=str(corpus(100_000)), count=100_000))
    assert large - small < 4_000, (small, large)


def test_a_folder_walk_keeps_a_count_of_what_it_passed_over_not_every_path(
    tmp_path: Path,
) -> None:
    from summarize.articles import iter_inputs

    for n in range(30):
        (tmp_path / f"figure-{n:02d}.png").write_bytes(b"\x89PNG")
    (tmp_path / "story.txt").write_text("The one story.", encoding="utf-8")
    notes: list[str] = []
    assert [item.id for item in iter_inputs([str(tmp_path)], notes=notes)] == ["story"]  # type: ignore[union-attr]
    assert notes == [
        f"{tmp_path}: skipped 30 file(s) that are not plain-text articles (.png); "
        "name a file directly to read it anyway"
    ]


def brief_line(article_id: str, key: str, model: str = "m") -> str:
    return json.dumps(
        {
            "summary": "The United States threatened Canada with tariffs.",
            "threats": [],
            "actors": [],
            "dates": [],
            "article": {"id": article_id, "source": "c.jsonl", "chars_raw": 9, "chars_clean": 9},
            "run": {"provider": "openai", "model": model, "prompt_version": "v1", "cache_key": key},
        }
    )


def test_a_resume_file_is_read_as_it_always_was(tmp_path: Path) -> None:
    """Briefs of several runs, an article briefed twice (the later line tells how), a
    failure and a line that is no brief: which pairs are finished, each brief's line,
    how each article was briefed, and the same in a worker's pickled copy of the keys."""
    import pickle

    from summarize.resume import Earlier, pair_digest, read_finished

    lines = [brief_line(f"story-{n}", f"key-{n}", model=f"m{n % 3}") for n in range(50)]
    lines.insert(10, json.dumps({"error": {"kind": "failed", "message": "x"}, "id": "gone"}))
    lines.insert(20, json.dumps({"note": "not a brief"}))
    lines.append(brief_line("story-4", "key-4b", model="m-later"))
    path = tmp_path / "out.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    warnings: list[str] = []
    finished = read_finished(path, warnings=warnings)
    assert len(finished) == 51
    assert len(warnings) == 1
    assert finished.holds("story-4", "key-4")
    assert finished.holds("story-4", "key-4b")
    assert not finished.holds("story-4", "key-5")
    assert not finished.holds("gone", "")
    assert finished.earlier("story-4") == Earlier("m-later", "v1", None, None)
    assert finished.earlier("story-7") == Earlier("m1", "v1", None, None)
    assert finished.earlier("story-50") is None
    for n in (0, 4, 49):
        record = finished.line_at(pair_digest(f"story-{n}", f"key-{n}"))
        assert record["article"]["id"] == f"story-{n}"
    keys = pickle.loads(pickle.dumps(finished.keys))
    assert all(pair_digest(f"story-{n}", f"key-{n}") in keys for n in range(50))
    assert pair_digest("story-4", "key-5") not in keys
    assert len(keys) == 51
    assert bool(read_finished(tmp_path / "none.jsonl").keys) is False


def test_a_resume_file_costs_a_few_bytes_a_brief(tmp_path: Path) -> None:
    """The digests of a --resume file are kept in flat arrays: twenty times the briefs
    grow the reading by under 100 bytes a brief (dicts and a frozenset of Python ints
    cost about 200)."""

    def briefs(count: int) -> Path:
        path = tmp_path / f"out-{count}.jsonl"
        with path.open("w", encoding="utf-8") as out:
            for n in range(count):
                out.write(brief_line(f"story-{n}", f"{n:064x}") + "\n")
        return path

    imports = "from summarize.resume import read_finished"
    work = "finished = read_finished(Path({path!r})); keys = finished.keys"
    small = peak_growth_kb(imports, work.format(path=str(briefs(2_000))))
    large = peak_growth_kb(imports, work.format(path=str(briefs(40_000))))
    assert (large - small) * 1024 < 38_000 * 100, (small, large)


def test_a_digest_table_pruned_in_place_finds_every_entry_it_kept() -> None:
    """Entries removed from the middle of probe runs (keys crowded on a few slots, and
    runs that wrap past the table's end): every entry kept is still found, with its
    value, and none removed is."""
    import random

    from summarize.digests import DigestTable

    chance = random.Random(15)
    table = DigestTable(64, "I")
    expected: dict[int, int] = {}
    for _ in range(40):
        key = chance.choice([chance.getrandbits(64), 63 + 64 * chance.randrange(1, 1 << 20)])
        key = key or 1
        table.values[table.claim(key)] += 1
        expected[key] = expected.get(key, 0) + 1
    table.retain(lambda key, _: key % 3 != 0)
    kept = {key: value for key, value in expected.items() if key % 3 != 0}
    assert {key: table.get(key) for key in expected if key in table} == kept
    assert len(table) == len(kept)


def results_file(path: Path, ids: Iterable[str], *, failed: bool = False) -> Path:
    """A batch results file as the provider writes it: a completion (or an error naming
    the file) each."""
    with path.open("w", encoding="utf-8") as out:
        for custom_id in ids:
            body = {"id": f"chatcmpl-{custom_id}", "choices": []}
            response = {"status_code": 500 if failed else 200, "body": {} if failed else body}
            error = {"message": f"failed {custom_id} in {path.name}"} if failed else None
            out.write(json.dumps({"custom_id": custom_id, "response": response, "error": error}))
            out.write("\n\n" if custom_id.endswith("7") else "\n")  # blank lines are passed
    return path


@pytest.mark.parametrize("collide", [False, True])
def test_answers_are_found_by_custom_id_across_files_even_when_digests_collide(
    collide: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two results files (the index made larger for the second): each request gets its
    own line, a completion in a later file wins over an earlier error, the first of two
    errors is kept; with every custom_id given one digest, still none takes another's."""
    from summarize import batchresults
    from summarize.batchresults import Answers

    if collide:
        monkeypatch.setattr(batchresults, "_digest", lambda custom_id: 5)
    first = [f"req-{n}" for n in range(20 if collide else 300)]
    second = [f"more-{n}" for n in range(60 if collide else 3000)]
    with Answers() as answers:
        answers.read(results_file(tmp_path / "a.jsonl", first))
        answers.read(results_file(tmp_path / "b.jsonl", ["req-1", "req-2"], failed=True))
        answers.read(results_file(tmp_path / "c.jsonl", [*second, "req-2"]))
        answers.read(results_file(tmp_path / "d.jsonl", ["gone"], failed=True))
        answers.read(results_file(tmp_path / "e.jsonl", ["gone", "late"], failed=True))
        for custom_id in [*first, *second]:
            assert answers.completion(custom_id) == {"id": f"chatcmpl-{custom_id}", "choices": []}
        assert answers.completion("gone") is None
        gone = answers.lookup("gone")
        assert gone is not None
        assert "failed gone in d.jsonl" in str(gone.error)
        late = answers.lookup("late")
        assert late is not None
        assert "failed late in e.jsonl" in str(late.error)
        assert answers.lookup("nowhere") is None
        assert len(answers) == len(first) + len(second) + 6


def test_the_answers_index_costs_a_few_bytes_a_result(tmp_path: Path) -> None:
    """Twenty times the results grow the index by under 100 bytes a result (a dict of
    the custom_id strings cost about 200)."""
    imports = "from summarize.batchresults import Answers"
    work = "with Answers() as answers:\n    answers.read(Path({path!r}))"
    paths = [
        results_file(tmp_path / f"r{count}.jsonl", (f"{n:064x}" for n in range(count)))
        for count in (2_000, 40_000)
    ]
    small = peak_growth_kb(imports, work.format(path=str(paths[0])))
    large = peak_growth_kb(imports, work.format(path=str(paths[1])))
    assert (large - small) * 1024 < 38_000 * 100, (small, large)
