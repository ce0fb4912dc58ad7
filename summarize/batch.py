"""Many articles at once: bounded concurrency, results in input order.

`run_batch` hands each result to a callback as it finishes (so JSONL lines and progress
appear as work completes) and returns all of them in input order.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING

from summarize.articles import Article
from summarize.errors import InputError, SummarizeError
from summarize.pipeline import Failure, Result, brief_article
from summarize.prompts import Prompt

if TYPE_CHECKING:
    from summarize.client import ModelClient


def run_batch(
    items: Sequence[Article | InputError],
    client: ModelClient,
    prompt: Prompt,
    *,
    concurrency: int = 8,
    on_result: Callable[[int, Result], None] | None = None,
) -> list[Result]:
    """Brief every article with at most `concurrency` requests in flight.

    `on_result(index, result)` is called from this thread as each article finishes (in
    completion order); the returned list is in input order.
    """
    results: list[Result | None] = [None] * len(items)

    def finish(index: int, result: Result) -> None:
        results[index] = result
        if on_result is not None:
            on_result(index, result)

    def work(article: Article) -> Result:
        try:
            return brief_article(article, client, prompt)
        except SummarizeError as error:
            return Failure.from_error(error, article)

    pending: dict[Future[Result], int] = {}
    queue = deque(enumerate(items))
    with ThreadPoolExecutor(max_workers=max(concurrency, 1)) as pool:
        while queue or pending:
            while queue and len(pending) < max(concurrency, 1):
                index, item = queue.popleft()
                if isinstance(item, InputError):
                    finish(index, Failure.from_error(item))
                    continue
                pending[pool.submit(work, item)] = index
            if not pending:
                continue
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                finish(pending.pop(future), future.result())
    return [result for result in results if result is not None]
