"""Provider batch jobs: brief a corpus through the OpenAI Batch API or `vllm run-batch`.

A job is a folder, so that every step can run in a fresh process, and again:

- `job.json`, the manifest: the model configuration (never the API key), the prompt, the
  provider's file and batch ids and the batch's last known status. Rewritten atomically;
  it is written last by `write_job`, so its presence means the folder is complete.
- `requests.jsonl`: one Batch API line per request, `custom_id` the request's cache key
  and `body` the exact chat-completions request a live run sends
  (`ModelClient.request_body`). Requests the answer cache already holds are left out.
- `articles.jsonl`: every article as read (and every input that could not be read), so
  that `collect` needs nothing but the folder.
- `output.jsonl`, `errors.jsonl`: the provider's result files, once downloaded.

`collect` runs each answer through `brief_article` with `ModelClient.accept` in place of a
live call: the same schema checks, re-asks (live), grounding, date resolution and cache as
a live run. Articles already in the output JSONL (briefs or failures) are not written
again, so collecting twice adds nothing.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, as_completed, wait
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from summarize.client import Pending
from summarize.data import Article
from summarize.errors import InputError, ProviderError, SummarizeError
from summarize.export import write_atomically
from summarize.options import BriefOptions
from summarize.pipeline import article_requests, brief_article
from summarize.prompts import Prompt
from summarize.results import Failure, Result
from summarize.schema import Extraction

if TYPE_CHECKING:
    from openai import OpenAI

    from summarize.client import ModelClient
    from summarize.modelconfig import ModelConfig
    from summarize.transport import CallRecord

MANIFEST = "job.json"
REQUESTS = "requests.jsonl"
ARTICLES = "articles.jsonl"
OUTPUT = "output.jsonl"
ERRORS = "errors.jsonl"
ENDPOINT: Literal["/v1/chat/completions"] = "/v1/chat/completions"
TERMINAL = frozenset({"completed", "failed", "expired", "cancelled"})
LOCAL = "cached"  # the status of a job with nothing to send: every answer was cached
# What of a ModelConfig and the BriefOptions a job records (in one `config` object, as
# jobs always have): enough to rebuild the same requests and keys.
CONFIG_FIELDS = ("model", "base_url", "mode", "timeout", "temperature", "max_tokens")
OPTION_FIELDS = ("max_input_tokens", "max_chunks")


class NotReady(SummarizeError):
    """The batch has not finished: there is nothing to collect yet."""

    kind = "not_ready"


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
    input_file_id: str | None = None
    batch_id: str | None = None
    status: str | None = None  # the provider's; None until submitted
    output_file_id: str | None = None
    error_file_id: str | None = None
    request_counts: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)  # why a batch failed as a whole
    followups: list[str] = field(default_factory=list)  # re-ask rounds: sub-folder names

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL or self.status == LOCAL

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
    except FileNotFoundError:
        raise InputError(
            f"{folder}: not a batch job folder (no {MANIFEST}); "
            "create one with summarize batch submit PATH... --out FOLDER",
            source=str(folder),
        ) from None
    except (OSError, ValueError) as error:
        raise InputError(f"{path}: cannot read the job manifest ({error})") from None
    return Job(**data)


def save_job(folder: Path, job: Job) -> None:
    write_atomically(folder / MANIFEST, json.dumps(dataclasses.asdict(job), indent=2) + "\n")


def write_job(
    folder: Path,
    items: Iterable[Article | InputError],
    client: ModelClient,
    prompt: Prompt,
    options: BriefOptions,
) -> Job:
    """Write a job folder: the requests of every article not already answered in the
    cache, and the articles themselves. Refuses a folder that already holds a job."""
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
    seen: set[str] = set()
    with _Atomic(folder / REQUESTS) as requests, _Atomic(folder / ARTICLES) as articles:
        for item in items:
            job.articles += 1
            if isinstance(item, InputError):
                articles.write(json.dumps({"error": _input_error(item)}) + "\n")
                job.unreadable += 1
                continue
            articles.write(json.dumps(_article_record(item), ensure_ascii=False) + "\n")
            try:
                requests_of_article = article_requests(
                    item, prompt, options, count=client.count_tokens
                )
            except InputError:
                continue  # no story: `collect` reports it as a live run would
            for messages in requests_of_article:
                key = client.key_for(messages, Extraction)
                if key in seen or client.cached(messages, Extraction, key=key) is not None:
                    continue
                seen.add(key)
                line = {
                    "custom_id": key,
                    "method": "POST",
                    "url": ENDPOINT,
                    "body": client.request_body(messages, Extraction),
                }
                requests.write(json.dumps(line, ensure_ascii=False) + "\n")
                job.requests += 1
    if job.requests == 0:
        job.status = LOCAL
    save_job(folder, job)
    return job


def upload(folder: Path, job: Job, provider: OpenAI) -> Job:
    """Upload the requests and create the batch, each step recorded as it is done, so a
    submit killed half-way resumes where it stopped (no second upload)."""
    if job.status == LOCAL:
        return job
    if job.input_file_id is None:
        with (folder / REQUESTS).open("rb") as stream:
            uploaded = provider.files.create(file=stream, purpose="batch")
        job.input_file_id = uploaded.id
        save_job(folder, job)
    if job.batch_id is None:
        batch = provider.batches.create(
            input_file_id=job.input_file_id,
            endpoint=ENDPOINT,
            completion_window="24h",
            metadata={"summarize_job": job.id},
        )
        job.batch_id = batch.id
        _absorb(job, batch)
        save_job(folder, job)
    return job


def refresh(folder: Path, job: Job, provider: OpenAI) -> Job:
    """The batch's current status, recorded in the manifest."""
    if job.batch_id is None or job.status == LOCAL:
        return job
    _absorb(job, provider.batches.retrieve(job.batch_id))
    save_job(folder, job)
    return job


def cancel(folder: Path, job: Job, provider: OpenAI) -> Job:
    if job.batch_id is None:
        raise InputError(f"{folder}: nothing to cancel: the job was never submitted")
    if job.status not in TERMINAL:
        _absorb(job, provider.batches.cancel(job.batch_id))
        save_job(folder, job)
    return job


def download(folder: Path, job: Job, provider: OpenAI) -> list[Path]:
    """The batch's result files, fetched once into the folder (atomically)."""
    files = []
    for file_id, name in ((job.output_file_id, OUTPUT), (job.error_file_id, ERRORS)):
        if not file_id:
            continue
        target = folder / name
        if not target.exists():
            write_atomically(target, provider.files.content(file_id).text)
        files.append(target)
    return files


@dataclass
class Answers:
    """The batch's answers by custom_id: completions, and why the others have none."""

    completions: dict[str, dict[str, Any]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def read(self, path: Path) -> None:
        """Read a results file: OpenAI's output or error file, or `vllm run-batch`'s
        output, each line {id, custom_id, response: {status_code, body}, error}."""
        try:
            stream = path.open(encoding="utf-8")
        except OSError as error:
            raise InputError(f"{path}: cannot read results ({error.strerror})") from None
        with stream:
            for number, line in enumerate(stream, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                    custom_id = record["custom_id"]
                except (ValueError, KeyError, TypeError):
                    raise InputError(
                        f"{path}:{number}: not a batch result line "
                        "(JSON with a custom_id); pass the file the batch wrote",
                        source=str(path),
                    ) from None
                self._add(custom_id, record)

    def _add(self, custom_id: str, record: dict[str, Any]) -> None:
        response = record.get("response") or {}
        status = response.get("status_code", 200)
        body = response.get("body")
        if status == 200 and isinstance(body, dict) and not record.get("error"):
            self.completions[custom_id] = body
            self.errors.pop(custom_id, None)
        elif custom_id not in self.completions:
            self.errors[custom_id] = _error_text(record, status, body)


@dataclass
class Collected:
    skipped: int = 0  # already in the output JSONL
    deferred: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # key: messages
    waiting: int = 0  # articles waiting for those re-asks


def collect(
    folder: Path,
    job: Job,
    client: ModelClient,
    answers: Answers,
    *,
    done: set[str],
    on_result: Callable[[Result], None],
    live_reasks: bool = True,
    concurrency: int = 8,
) -> Collected:
    """Brief every article of the job not in `done` (article ids) from `answers`, up to
    `concurrency` at a time (what overlaps is the live re-asks); `on_result` is called
    from this thread, in completion order.

    Re-asks (invalid or ungrounded answers) are sent live; with `live_reasks=False` they
    are looked up in `answers` (earlier follow-up rounds), and the articles still waiting
    for one are left out of the output, their re-asks returned in `deferred`."""
    prompt, options = job.prompt_template(), job.brief_options()
    why_missing = _why_missing(job)
    submitted = _submitted(folder, job)
    outcome = Collected()

    def ask(messages: list[dict[str, str]], label: str) -> tuple[Extraction, CallRecord]:
        try:
            return client.accept(
                messages, Extraction, answers.completions.get, label=label, live_reasks=live_reasks
            )
        except Pending as pending:
            if pending.key in answers.errors:
                raise ProviderError(f"{label}: {answers.errors[pending.key]}") from None
            if pending.key in submitted:
                raise ProviderError(f"{label}: {why_missing}") from None
            if not live_reasks:
                raise  # a re-ask for the next follow-up batch
            return client.extract(messages, Extraction, label=label)

    def brief(article: Article) -> Result | Pending:
        try:
            return brief_article(article, client, prompt, options, ask=ask)
        except Pending as pending:
            return pending
        except SummarizeError as error:
            return Failure.from_error(error, article)

    def record(result: Result | Pending) -> None:
        if isinstance(result, Pending):
            outcome.deferred[result.key] = result.messages
            outcome.waiting += 1
        else:
            on_result(result)

    in_flight: set[Future[Result | Pending]] = set()
    with ThreadPoolExecutor(max_workers=max(concurrency, 1), thread_name_prefix="collect") as pool:
        for item in _read_articles(folder / ARTICLES):
            if ((item.source or "?") if isinstance(item, InputError) else item.id) in done:
                outcome.skipped += 1
            elif isinstance(item, InputError):
                on_result(Failure.from_error(item))
            else:
                while len(in_flight) >= max(concurrency, 1):
                    finished, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)
                    for future in finished:
                        record(future.result())
                in_flight.add(pool.submit(brief, item))
        for future in as_completed(in_flight):
            record(future.result())
    return outcome


def write_followup(
    folder: Path, job: Job, client: ModelClient, deferred: dict[str, list[dict[str, Any]]]
) -> tuple[Path, Job]:
    """A sub-job holding the re-asks `collect` deferred, recorded in the job's manifest."""
    name = f"reask-{len(job.followups) + 1}"
    sub = Job(id=uuid.uuid4().hex, created=time.time(), config=job.config, prompt=job.prompt)
    (folder / name).mkdir(exist_ok=True)
    with _Atomic(folder / name / REQUESTS) as requests:
        for key, messages in deferred.items():
            body = client.request_body(messages, Extraction)
            line = {"custom_id": key, "method": "POST", "url": ENDPOINT, "body": body}
            requests.write(json.dumps(line, ensure_ascii=False) + "\n")
            sub.requests += 1
    save_job(folder / name, sub)
    job.followups.append(name)
    save_job(folder, job)
    return folder / name, sub


def gather(folder: Path, job: Job, provider: OpenAI) -> Answers:
    """Every answer the job's batches returned (its follow-up rounds' too), downloaded
    once; raises NotReady while any of them is still running."""
    answers = Answers()
    for where in [folder, *(folder / name for name in job.followups)]:
        part = job if where == folder else load_job(where)
        if part.batch_id is None and part.status is None:  # a round whose upload failed
            part = upload(where, part, provider)
        part = refresh(where, part, provider)
        if not part.finished:
            counts = part.request_counts
            raise NotReady(
                f"batch {part.batch_id} is {part.status} ({counts.get('completed', 0)} of "
                f"{counts.get('total', 0)} answered); collect again when summarize batch "
                f"status {folder} says completed"
            )
        for path in download(where, part, provider):
            answers.read(path)
    return answers


def _submitted(folder: Path, job: Job) -> set[str]:
    """The custom_ids of every request sent, in the job and its follow-up rounds."""
    keys: set[str] = set()
    for where in [folder, *(folder / name for name in job.followups)]:
        with (where / REQUESTS).open(encoding="utf-8") as stream:
            keys.update(json.loads(line)["custom_id"] for line in stream if line.strip())
    return keys


def done_ids(path: Path) -> set[str]:
    """The article ids (or, for unreadable inputs, sources) an output JSONL holds.

    A last line cut off by a killed `collect` is removed from the file (as `--resume`
    does), so that appending continues a valid JSONL file; its article runs again."""
    if not path.exists():
        return set()
    with path.open("r+b") as stream:
        data = stream.read()
        if data and not data.endswith(b"\n"):
            stream.truncate(data.rfind(b"\n") + 1)
    ids: set[str] = set()
    with path.open(encoding="utf-8", errors="replace") as lines:
        for line in lines:
            try:
                article = json.loads(line).get("article") or {}
            except (ValueError, AttributeError):
                continue  # not one of ours: ignored, never rewritten
            ids.add(article.get("id") or article.get("source") or "")
    return ids


def _why_missing(job: Job) -> str:
    if job.status == "failed":
        reasons = "; ".join(job.errors) or "no reason given"
        return f"the batch failed as a whole ({reasons}); fix the cause and submit again"
    return (
        f"the batch returned no answer for this request (batch {job.status or 'not submitted'})"
        "; brief it live with summarize brief ... --jsonl FILE --resume"
    )


def _error_text(record: dict[str, Any], status: int, body: Any) -> str:
    error = record.get("error")
    if isinstance(error, dict):
        text = f"{error.get('code') or 'error'}: {error.get('message') or ''}".strip()
    elif error:
        text = str(error)
    elif isinstance(body, dict) and isinstance(body.get("error"), dict):
        text = f"HTTP {status}: {body['error'].get('message') or ''}"
    else:
        text = f"HTTP {status}"
    return f"the batch answered this request with an error ({text[:200]})"


def _absorb(job: Job, batch: Any) -> None:
    job.status = batch.status
    job.output_file_id = batch.output_file_id
    job.error_file_id = batch.error_file_id
    counts = batch.request_counts
    if counts is not None:
        job.request_counts = {
            "total": counts.total,
            "completed": counts.completed,
            "failed": counts.failed,
        }
    errors = getattr(batch.errors, "data", None) or []
    job.errors = [
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


def _read_articles(path: Path) -> Iterator[Article | InputError]:
    with path.open(encoding="utf-8") as stream:
        for line in stream:
            record = json.loads(line)
            if "error" in record:
                error = record["error"]
                yield InputError(error["message"], source=error.get("source"))
                continue
            published = record.pop("published")
            yield Article(
                **record
                | {
                    "published": date.fromisoformat(published) if published else None,
                    "warnings": tuple(record["warnings"]),
                }
            )


class _Atomic:
    """A text file written beside its target and renamed into place when complete."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.partial = path.with_name(f".{path.name}.partial")

    def __enter__(self) -> Any:
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
