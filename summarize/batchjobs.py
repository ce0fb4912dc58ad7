"""Provider batch jobs: brief a corpus through the OpenAI Batch API or `vllm run-batch`.

A job is a folder, so that every step can run in a fresh process, and again:

- `job.json`, the manifest: the model configuration (never the API key), the prompt, and
  for each of the job's batches its requests file, the provider's file and batch ids and
  the batch's last known status. Rewritten atomically; it is written last by
  `write_job`, so its presence means the folder is complete.
- `requests.jsonl` (`requests-2.jsonl`, ... when the job is more than one batch): one
  Batch API line per request, `custom_id` the request's cache key and `body` the exact
  chat-completions request a live run sends (`ModelClient.request_body`). A file holds at
  most `max_requests` lines and `max_bytes` bytes (OpenAI's caps: 50,000 and 200 MB).
  Requests the answer cache already holds are left out.
- `articles.jsonl`: every article as read (and every input that could not be read), with
  its plan (`pipeline.Plan`): the cleaned text the requests carry, their cache keys, the
  batch each went in, the warnings, and whether the injection scan found anything, so
  that `collect` needs nothing but the folder and does none of that work again.
- `output.jsonl`, `errors.jsonl` (`output-2.jsonl`, ...): each batch's result files,
  once downloaded.

Collecting them into briefs is `summarize.batchcollect`.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from summarize.batchresults import Answers
from summarize.clean import Cleaned
from summarize.data import Article
from summarize.errors import InputError, SummarizeError
from summarize.export import write_atomically
from summarize.injection import Scan, scan
from summarize.options import BriefOptions
from summarize.pipeline import Plan, plan_article, plan_requests
from summarize.prompts import Prompt
from summarize.schema import Extraction

if TYPE_CHECKING:
    from openai import OpenAI

    from summarize.client import ModelClient
    from summarize.modelconfig import ModelConfig

MANIFEST = "job.json"
REQUESTS = "requests.jsonl"  # the first batch's; the n-th batch's is requests-n.jsonl
ARTICLES = "articles.jsonl"
ENDPOINT: Literal["/v1/chat/completions"] = "/v1/chat/completions"
TERMINAL = frozenset({"completed", "failed", "expired", "cancelled"})
LOCAL = "cached"  # the status of a job with nothing to send: every answer was cached
MIXED = "finished"  # every batch finished, not all the same way
# OpenAI's documented caps for one batch's input file.
MAX_REQUESTS = 50_000
MAX_BYTES = 200_000_000
# What of a ModelConfig and the BriefOptions a job records (in one `config` object, as
# jobs always have): enough to rebuild the same requests and keys.
CONFIG_FIELDS = ("model", "base_url", "mode", "timeout", "temperature", "max_tokens")
OPTION_FIELDS = ("max_input_tokens", "max_chunks")
# The manifest of a job written before a job could be several batches kept these at
# its top level, for its one batch.
SINGLE_BATCH_FIELDS = (
    "input_file_id",
    "batch_id",
    "status",
    "output_file_id",
    "error_file_id",
    "request_counts",
    "errors",
)


class NotReady(SummarizeError):
    """A batch has not finished: there is nothing to collect yet."""

    kind = "not_ready"


@dataclass
class Batch:
    """One requests file of a job and the provider's batch made of it."""

    requests_file: str
    requests: int = 0
    bytes: int = 0
    input_file_id: str | None = None
    batch_id: str | None = None
    status: str | None = None  # the provider's; None until created
    output_file_id: str | None = None
    error_file_id: str | None = None
    request_counts: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)  # why the batch failed as a whole

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL

    def result_files(self) -> tuple[str, str]:
        """Where its output and error files are kept in the job folder."""
        suffix = self.requests_file.removeprefix("requests")
        return f"output{suffix}", f"errors{suffix}"

    def progress(self) -> str:
        counts = self.request_counts
        return (
            f"batch {self.batch_id} is {self.status} ({counts.get('completed', 0)} of "
            f"{counts.get('total', 0)} answered)"
        )


@dataclass
class Job:
    """The manifest of one job folder."""

    id: str
    created: float
    config: dict[str, Any]
    prompt: dict[str, str]
    requests: int = 0
    articles: int = 0
    unreadable: int = 0  # inputs that could not be read: failures in the output
    batches: list[Batch] = field(default_factory=list)
    followups: list[str] = field(default_factory=list)  # re-ask rounds: sub-folder names

    @property
    def status(self) -> str | None:
        """The job's status: its batches' when they agree, else the first not finished;
        None while a batch is not created (--requests-only, or a submit cut short)."""
        if not self.batches:
            return LOCAL
        statuses = [batch.status for batch in self.batches]
        if None in statuses:
            return None
        waiting = [status for status in statuses if status not in TERMINAL]
        if waiting:
            return waiting[0]
        return statuses[0] if len(set(statuses)) == 1 else MIXED

    @property
    def finished(self) -> bool:
        return all(batch.finished for batch in self.batches)

    @property
    def uploaded(self) -> bool:
        """Whether any of its batches reached the provider."""
        return any(batch.input_file_id or batch.batch_id for batch in self.batches)

    def model_config(self, *, api_key: str | None) -> ModelConfig:
        from summarize.modelconfig import ModelConfig

        fields = {name: self.config[name] for name in CONFIG_FIELDS if name in self.config}
        return ModelConfig(api_key=api_key, **fields)

    def brief_options(self) -> BriefOptions:
        fields = {name: self.config[name] for name in OPTION_FIELDS if name in self.config}
        return BriefOptions(**fields)

    def prompt_template(self) -> Prompt:
        return Prompt(**self.prompt)


def load_job(folder: Path) -> Job:
    path = folder / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if "batches" not in data:  # written when a job was one batch
            single = {name: data.pop(name) for name in SINGLE_BATCH_FIELDS if name in data}
            sent = single.get("status") != LOCAL
            data["batches"] = [single | {"requests_file": REQUESTS}] if sent else []
            for batch in data["batches"]:
                batch["requests"] = data.get("requests", 0)
        data["batches"] = [Batch(**batch) for batch in data["batches"]]
        return Job(**data)
    except FileNotFoundError:
        raise InputError(
            f"{folder}: not a batch job folder (no {MANIFEST}); "
            "create one with summarize batch submit PATH... --out FOLDER",
            source=str(folder),
        ) from None
    except (OSError, ValueError, TypeError) as error:
        raise InputError(f"{path}: cannot read the job manifest ({error})") from None


def save_job(folder: Path, job: Job) -> None:
    write_atomically(folder / MANIFEST, json.dumps(dataclasses.asdict(job), indent=2) + "\n")


def write_job(
    folder: Path,
    items: Iterable[Article | InputError],
    client: ModelClient,
    prompt: Prompt,
    options: BriefOptions,
    *,
    max_requests: int | None = MAX_REQUESTS,
    max_bytes: int | None = MAX_BYTES,
) -> Job:
    """Write a job folder: the requests of every article not already answered in the
    cache, in as many batches as the caps (None: no cap) make them, and the articles with
    their plans. Reads `items` as it goes. Refuses a folder that already holds a job."""
    if (folder / MANIFEST).exists():
        raise InputError(
            f"{folder}: already holds a batch job; see it with summarize batch status "
            f"{folder}, or choose another --out folder",
            source=str(folder),
        )
    folder.mkdir(parents=True, exist_ok=True)
    config = client.config
    job = Job(
        id=uuid.uuid4().hex,
        created=time.time(),
        config={name: getattr(config, name) for name in CONFIG_FIELDS}
        | {"mode": config.resolved_mode}
        | {name: getattr(options, name) for name in OPTION_FIELDS},
        prompt=dataclasses.asdict(prompt),
    )
    sent_in: dict[str, int | None] = {}  # cache key: the batch it went in, None if cached
    with (
        _Atomic(folder / ARTICLES) as articles,
        _RequestFiles(folder, max_requests, max_bytes) as requests,
    ):
        for item in items:
            job.articles += 1
            if isinstance(item, InputError):
                articles.write(json.dumps({"error": _input_error(item)}) + "\n")
                job.unreadable += 1
                continue
            record: dict[str, Any] = {"article": _article_record(item), "plan": None}
            try:
                plan = plan_article(item, options, count=client.count_tokens)
            except InputError:  # no story: `collect` reports it as a live run would
                articles.write(json.dumps(record, ensure_ascii=False) + "\n")
                continue
            keys, batches = [], []
            for messages in plan_requests(item, plan, prompt):
                key = client.key_for(messages, Extraction)
                if key not in sent_in:
                    cached = client.cached(messages, Extraction, key=key) is not None
                    body = None if cached else client.request_body(messages, Extraction)
                    sent_in[key] = None if body is None else requests.add(key, body)
                keys.append(key)
                batches.append(sent_in[key])
            record["plan"] = _plan_record(plan, keys, batches)
            articles.write(json.dumps(record, ensure_ascii=False) + "\n")
    job.batches = requests.batches
    job.requests = sum(batch.requests for batch in job.batches)
    save_job(folder, job)
    return job


def upload(folder: Path, job: Job, api: OpenAI) -> Job:
    """Upload each batch's requests and create the batch, each step recorded as it is
    done, so a submit killed half-way resumes where it stopped: no file uploaded twice
    once recorded, no batch created twice (one created but not recorded is found again by
    its metadata)."""
    for number, batch in enumerate(job.batches, 1):
        resumed = batch.input_file_id is not None
        if batch.input_file_id is None:
            with (folder / batch.requests_file).open("rb") as stream:
                uploaded = api.files.create(file=stream, purpose="batch")
            batch.input_file_id = uploaded.id
            save_job(folder, job)
        if batch.batch_id is None:
            metadata = {"summarize_job": job.id, "summarize_batch": str(number)}
            created = (_created_earlier(api, job, metadata) if resumed else None) or (
                api.batches.create(
                    input_file_id=batch.input_file_id,
                    endpoint=ENDPOINT,
                    completion_window="24h",
                    metadata=metadata,
                )
            )
            batch.batch_id = created.id
            _absorb(batch, created)
            save_job(folder, job)
    return job


def _created_earlier(api: OpenAI, job: Job, metadata: dict[str, str]) -> Any:
    """The batch this job created for `metadata` in a run killed before recording it,
    if any: the provider lists batches newest first, so the search stops at the job's
    creation."""
    for batch in api.batches.list(limit=100):
        if batch.created_at < job.created - 60:
            return None
        if (batch.metadata or {}) == metadata:
            return batch
    return None


def refresh(folder: Path, job: Job, api: OpenAI) -> Job:
    """The batches' current status, recorded in the manifest."""
    changed = False
    for batch in job.batches:
        if batch.batch_id is not None and not batch.finished:
            _absorb(batch, api.batches.retrieve(batch.batch_id))
            changed = True
    if changed:
        save_job(folder, job)
    return job


def cancel(folder: Path, job: Job, api: OpenAI) -> Job:
    """Ask the provider to stop every batch of the job that has not finished."""
    if not any(batch.batch_id for batch in job.batches):
        raise InputError(f"{folder}: nothing to cancel: the job was never submitted")
    for batch in job.batches:
        if batch.batch_id is not None and not batch.finished:
            _absorb(batch, api.batches.cancel(batch.batch_id))
    save_job(folder, job)
    return job


def download(folder: Path, batch: Batch, api: OpenAI) -> list[Path]:
    """A finished batch's result files, fetched once into the folder (streamed to disk,
    and renamed into place when whole)."""
    files = []
    output, errors = batch.result_files()
    for file_id, name in ((batch.output_file_id, output), (batch.error_file_id, errors)):
        if not file_id:
            continue
        target = folder / name
        if not target.exists():
            with _Atomic(target, binary=True) as stream:
                response = api.files.with_streaming_response.content(file_id)
                with response as streamed:
                    for chunk in streamed.iter_bytes():
                        stream.write(chunk)
        files.append(target)
    return files


def gather(folder: Path, job: Job, api: OpenAI, answers: Answers) -> None:
    """Index every answer the job's batches returned (its follow-up rounds' too), each
    file downloaded once; raises NotReady while any batch is still running. A batch
    whose creation failed is created now."""
    for where in [folder, *(folder / name for name in job.followups)]:
        part = job if where == folder else load_job(where)
        if not all(batch.batch_id for batch in part.batches):
            part = upload(where, part, api)
        part = refresh(where, part, api)
        waiting = [batch for batch in part.batches if not batch.finished]
        if waiting:
            done = len(part.batches) - len(waiting)
            of = f" ({done} of {len(part.batches)} batches finished)" if done else ""
            raise NotReady(
                f"{waiting[0].progress()}{of}; collect again when summarize batch "
                f"status {folder} says completed"
            )
        for batch in part.batches:
            for path in download(where, batch, api):
                answers.read(path)


def write_followup(
    folder: Path, job: Job, client: ModelClient, deferred: dict[str, list[dict[str, Any]]]
) -> tuple[Path, Job]:
    """A sub-job holding the re-asks `collect` deferred, recorded in the job's manifest."""
    name = f"reask-{len(job.followups) + 1}"
    sub = Job(id=uuid.uuid4().hex, created=time.time(), config=job.config, prompt=job.prompt)
    (folder / name).mkdir(exist_ok=True)
    with _RequestFiles(folder / name, MAX_REQUESTS, MAX_BYTES) as requests:
        for key, messages in deferred.items():
            requests.add(key, client.request_body(messages, Extraction))
    sub.batches = requests.batches
    sub.requests = sum(batch.requests for batch in sub.batches)
    save_job(folder / name, sub)
    job.followups.append(name)
    save_job(folder, job)
    return folder / name, sub


def followup_batches(folder: Path, job: Job) -> dict[str, Batch]:
    """The batch of every re-ask sent in a follow-up round, by its cache key."""
    sent: dict[str, Batch] = {}
    for name in job.followups:
        round_ = load_job(folder / name)
        for batch in round_.batches:
            for key in _request_keys(folder / name / batch.requests_file):
                sent[key] = batch
    return sent


def single_batch_keys(folder: Path, job: Job) -> set[str]:
    """The custom_ids a job sent, read from its requests files: what a job folder written
    before articles recorded their plans gives to know which requests were sent."""
    return {key for batch in job.batches for key in _request_keys(folder / batch.requests_file)}


def _request_keys(path: Path) -> Iterator[str]:
    with path.open(encoding="utf-8") as stream:
        for line in stream:
            if line.strip():
                yield json.loads(line)["custom_id"]


@dataclass
class Entry:
    """One line of articles.jsonl: the article (or why it could not be read) and what
    submit recorded of its requests."""

    item: Article | InputError
    plan: Plan | None = None
    batches: list[int | None] = field(default_factory=list)  # per request: batch index

    @property
    def name(self) -> str:
        """How the output JSONL names it (article id, or the unreadable input's source)."""
        if isinstance(self.item, InputError):
            return self.item.source or "?"
        return self.item.id


# articles.jsonl is read in large blocks: its lines (an article twice over, as read and
# cleaned) are longer than the default buffer, which would read each in several pieces.
READ_BUFFER = 1 << 20


def read_entries(folder: Path) -> Iterator[Entry]:
    """The job's articles.jsonl, a line at a time."""
    with (folder / ARTICLES).open("rb", buffering=READ_BUFFER) as stream:
        for line in stream:
            record = json.loads(line.decode("utf-8"))
            if "error" in record:
                error = record["error"]
                yield Entry(InputError(error["message"], source=error.get("source")))
                continue
            if "article" not in record:  # written before articles recorded their plans
                yield Entry(_article(record))
                continue
            article = _article(record["article"])
            plan = record["plan"]
            if plan is None:
                yield Entry(article)
                continue
            yield Entry(article, _plan(plan), plan["batches"])


def _plan_record(plan: Plan, keys: list[str], batches: list[int | None]) -> dict[str, Any]:
    cleaned = plan.cleaned
    single = plan.chunks == [cleaned.text]
    return {
        "title": cleaned.title,
        "section": cleaned.section,
        "text": cleaned.text,
        "chunks": None if single else plan.chunks,
        "warnings": plan.warnings,
        "keys": keys,
        "batches": batches,
        "injection_found": bool(scan(cleaned.text).found),
    }


def _plan(record: dict[str, Any]) -> Plan:
    text = record["text"]
    cleaned = Cleaned(title=record["title"], section=record["section"], text=text, dropped=())
    # With nothing found, a scan's text is never consulted; with something found, the
    # text is scanned again when briefed (it holds the spans grounding must avoid).
    known = None if record["injection_found"] else Scan(text, (), ())
    return Plan(cleaned, record["chunks"] or [text], record["warnings"], record["keys"], known)


def _absorb(batch: Batch, provider_batch: Any) -> None:
    batch.status = provider_batch.status
    batch.output_file_id = provider_batch.output_file_id
    batch.error_file_id = provider_batch.error_file_id
    counts = provider_batch.request_counts
    if counts is not None:
        batch.request_counts = {
            "total": counts.total,
            "completed": counts.completed,
            "failed": counts.failed,
        }
    errors = getattr(provider_batch.errors, "data", None) or []
    batch.errors = [
        f"{error.code}: {error.message}" + (f" (line {error.line})" if error.line else "")
        for error in errors
    ]


def _input_error(error: InputError) -> dict[str, Any]:
    return {"message": str(error), "source": error.source}


def _article_record(article: Article) -> dict[str, Any]:
    record = dataclasses.asdict(article)
    record["published"] = article.published.isoformat() if article.published else None
    record["warnings"] = list(article.warnings)
    return record


def _article(record: dict[str, Any]) -> Article:
    published = record["published"]
    record["published"] = date.fromisoformat(published) if published else None
    record["warnings"] = tuple(record["warnings"])
    return Article(**record)


class _RequestFiles:
    """The requests files of a job, a new one begun whenever the next line would take the
    current one past `max_requests` lines or `max_bytes` bytes (a line larger than that
    alone gets a file of its own, which the provider then refuses, naming it)."""

    def __init__(self, folder: Path, max_requests: int | None, max_bytes: int | None) -> None:
        self.folder = folder
        self.max_requests = max_requests
        self.max_bytes = max_bytes
        self.batches: list[Batch] = []
        self._files = ExitStack()
        self._stream: Any = None

    def add(self, key: str, body: dict[str, Any]) -> int:
        """Write one request line; the index of the batch it went in."""
        line = {"custom_id": key, "method": "POST", "url": ENDPOINT, "body": body}
        data = (json.dumps(line, ensure_ascii=False) + "\n").encode("utf-8")
        current = self.batches[-1] if self.batches else None
        if (
            current is None
            or (self.max_requests is not None and current.requests + 1 > self.max_requests)
            or (self.max_bytes is not None and current.bytes + len(data) > self.max_bytes)
        ):
            current = self._begin()
        self._stream.write(data)
        current.requests += 1
        current.bytes += len(data)
        return len(self.batches) - 1

    def _begin(self) -> Batch:
        if self._stream is not None:
            self._files.close()  # the full file, renamed into place
            self._files = ExitStack()
        number = len(self.batches) + 1
        name = REQUESTS if number == 1 else f"requests-{number}.jsonl"
        self._stream = self._files.enter_context(_Atomic(self.folder / name, binary=True))
        self.batches.append(Batch(requests_file=name))
        return self.batches[-1]

    def __enter__(self) -> _RequestFiles:
        return self

    def __exit__(self, *exc: Any) -> None:
        self._files.__exit__(*exc)


class _Atomic:
    """A file written beside its target and renamed into place when complete."""

    def __init__(self, path: Path, *, binary: bool = False) -> None:
        self.path = path
        self.partial = path.with_name(f".{path.name}.partial")
        self.binary = binary

    def __enter__(self) -> Any:
        self.stream: Any
        if self.binary:
            self.stream = self.partial.open("wb")
        else:
            self.stream = self.partial.open("w", encoding="utf-8")
        return self.stream

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if exc_type is None:
            self.stream.flush()
            os.fsync(self.stream.fileno())
        self.stream.close()
        if exc_type is None:
            self.partial.replace(self.path)
        else:
            self.partial.unlink(missing_ok=True)
