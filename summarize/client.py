"""Ask the model for a validated answer: `instructor` for structured output and re-asks,
the answer cache read through, `summarize.transport` for the HTTP requests.

One retry layer per kind of failure, never stacked: transport failures are retried per
HTTP request by the transport; answers that fail the schema are re-asked by instructor,
with the validation error fed back, a bounded number of times.

`openai` and `instructor` are imported when a `ModelClient` is built, not when this module
is, so `summarize --help` and `summarize clean` start without them.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

from summarize import tokens
from summarize.cache import CachedAnswer
from summarize.failures import MalformedResponse, Refused, classify, first_line
from summarize.modelconfig import ModelConfig
from summarize.transport import CallRecord, Transport, refusal

if TYPE_CHECKING:
    from summarize.cache import AnswerCache

ModelT = TypeVar("ModelT", bound=BaseModel)


class Pending(Exception):
    """A request whose answer is not in hand yet: it waits for a (follow-up) batch."""

    def __init__(self, messages: list[dict[str, Any]], key: str) -> None:
        super().__init__(key)
        self.messages = messages
        self.key = key


class _Captured(Exception):
    """Raised in place of sending, once `request_body` holds the request."""


class ModelClient:
    """A configured model: one `openai` client, shared by every article of a run."""

    def __init__(
        self,
        config: ModelConfig,
        *,
        cache: AnswerCache | None = None,
        count_tokens: Callable[[str], int] | None = None,
        max_in_flight: int | None = None,
    ) -> None:
        """`count_tokens` is the model's own token count where it has one (a local model's
        tokenizer); without it the input budget is counted with cl100k_base.
        `max_in_flight` caps the HTTP requests open at once, however many threads call."""
        import instructor

        _quiet_instructor_log()
        self.config = config
        self.cache = cache
        self._count_tokens = count_tokens or tokens.count_tokens
        self._transport = Transport(config, max_in_flight=max_in_flight)
        self._instructor = instructor
        self._mode = {
            "tools": instructor.Mode.TOOLS,
            "json_schema": instructor.Mode.JSON_SCHEMA,
            "json": instructor.Mode.JSON,
            "md_json": instructor.Mode.MD_JSON,
        }[config.resolved_mode]
        self._handlers = _handlers(self._mode)

    def close(self) -> None:
        self._transport.close()

    def count_tokens(self, text: str) -> int:
        """How many tokens of this model's input `text` is, for the input budget."""
        return self._count_tokens(text)

    def extract(
        self, messages: list[dict[str, str]], response_model: type[ModelT], *, label: str
    ) -> tuple[ModelT, CallRecord]:
        """Ask for `response_model`; raise ArticleFailed subclasses naming `label`.

        With a cache, a stored answer to the same request is returned without a call."""
        record = CallRecord(cache_key=self.key_for(messages, response_model))
        if (hit := self._cached(record, response_model)) is not None:
            return hit, record
        result = self._ask(messages, response_model, record, label=label)
        self._store(record, result)
        return result, record

    def cached(
        self,
        messages: list[dict[str, str]],
        response_model: type[ModelT],
        *,
        key: str | None = None,
    ) -> tuple[ModelT, CallRecord] | None:
        """The cached answer to these messages, as `extract` would return it, or None.
        `key`, when the caller has it, is `key_for(messages, response_model)`."""
        record = CallRecord(cache_key=key or self.key_for(messages, response_model))
        hit = self._cached(record, response_model)
        return None if hit is None else (hit, record)

    def request_body(
        self, messages: list[dict[str, str]], response_model: type[BaseModel]
    ) -> dict[str, Any]:
        """The chat-completions body `extract` would send first for `messages`, built by
        the same instructor call and captured instead of sent (for provider batch jobs)."""
        captured: dict[str, Any] = {}

        def capture(**kwargs: Any) -> Any:
            captured.update(kwargs)
            raise _Captured

        structured = self._instructor.patch(create=capture, mode=self._mode)
        try:
            structured(
                model=self.config.model,
                messages=messages,
                response_model=_prepared(response_model),
                max_retries=0,
                **self._options(),
            )
        except Exception:
            if not captured:
                raise
        body: dict[str, Any] = json.loads(json.dumps(captured))  # plain JSON, detached
        return body

    def accept(
        self,
        messages: list[dict[str, str]],
        response_model: type[ModelT],
        answers: Callable[[str], dict[str, Any] | None],
        *,
        label: str,
        key: str | None = None,
        live_reasks: bool = True,
    ) -> tuple[ModelT, CallRecord]:
        """Take the answer obtained elsewhere (a provider batch job) to
        `request_body(messages)` through what `extract` does with a live answer: refusal
        and schema checks, re-asks with the validation error, the cache.

        `answers(key)` is the chat completion answering the request with cache key `key`,
        or None. Re-asks are sent live; with `live_reasks=False` each is looked up in
        `answers` too, and `Pending` names the first one that has no answer yet. `key`,
        when the caller has it, is `key_for(messages, response_model)`."""
        asking_key = key or self.key_for(messages, response_model)
        record = CallRecord(cache_key=asking_key)
        if (hit := self._cached(record, response_model)) is not None:
            return hit, record
        reaskable = _reaskable()
        asking: list[dict[str, Any]] = messages
        reasks_left = self.config.retry.max_reasks
        while True:
            answer = answers(asking_key)
            if answer is None:
                raise Pending(asking, asking_key)
            completion = self._completion(answer, record, label)
            try:
                result: ModelT = self.parse(completion, response_model)
                break
            except reaskable as error:
                record.reject_answer()
                if reasks_left < 1:
                    raise self._classify(error, record, label) from error
                reasks_left -= 1
                asking = self._follow_up(asking, response_model, completion, error)
                if live_reasks:
                    result = self._ask(
                        asking, response_model, record, label=label, max_reasks=reasks_left
                    )
                    break
                asking_key = self.key_for(asking, response_model)
            except Exception as error:  # cut off at the token limit, and the like: as live
                raise self._classify(error, record, label) from error
        self._store(record, result)
        return result, record

    def parse(self, completion: Any, response_model: type[ModelT]) -> ModelT:
        """`completion` (the SDK's ChatCompletion) parsed into `response_model`, strictly:
        the registry handler call instructor's retry loop makes on an answer, for a live
        answer (`_ask`) and a batch one (`accept`) alike. Not `process_response`, which on
        every answer walks the model's classes for async validators (`_prepared` did that
        once) and formats the whole completion into a debug message."""
        result: ModelT = self._handlers.response_parser(
            response=completion,
            response_model=_prepared(response_model),
            validation_context=None,
            strict=True,
            stream=False,
            is_async=False,
        )
        return result

    def _completion(self, answer: dict[str, Any], record: CallRecord, label: str) -> Any:
        """`answer` as the SDK's ChatCompletion, its usage and outcome added to `record`."""
        chat_completion = self._transport.openai.types.chat.ChatCompletion
        try:
            completion = chat_completion.model_validate(answer)
            problem = "" if completion.choices else "the answer has no choices"
        except ValueError as error:  # pydantic's ValidationError is a ValueError
            problem = first_line(str(error))
        if problem:
            malformed = MalformedResponse(problem)
            record.failed(malformed)
            raise self._classify(malformed, record, label) from None
        if refused := refusal(completion):
            record.refused(completion.usage)
            raise self._classify(Refused(refused), record, label)
        record.answered(completion.usage)
        return completion

    def _follow_up(
        self,
        messages: list[dict[str, Any]],
        response_model: type[BaseModel],
        completion: Any,
        error: Exception,
    ) -> list[dict[str, Any]]:
        """`messages` with instructor's re-ask appended: the invalid answer, then the
        validation error, shaped as the mode wants them (tool results, or a user turn)."""
        from instructor.processing import handle_reask_kwargs

        sent = self.request_body(messages, response_model)
        asked = len(sent["messages"])  # instructor may append to the list it is given
        reask = handle_reask_kwargs(
            kwargs=sent, mode=self._mode, response=completion, exception=error
        )
        return [*messages, *reask["messages"][asked:]]

    def _options(self) -> dict[str, Any]:
        options: dict[str, Any] = {"temperature": self.config.temperature}
        if self.config.max_tokens is not None:
            options["max_tokens"] = self.config.max_tokens
        return options

    def _ask(
        self,
        messages: list[dict[str, Any]],
        response_model: type[ModelT],
        record: CallRecord,
        *,
        label: str,
        max_reasks: int | None = None,
    ) -> ModelT:
        """One structured call with instructor's re-asks, its attempts added to `record`:
        the transport records each request, each answer is recorded as it arrives, and
        each one that fails the schema is re-asked with instructor's own reask handler.

        The loop is instructor's retry loop (`retry_sync_v2`) without its per-call work:
        it walked the response model for async validators and deep-copied the usage on
        every call (`_prepared` walks the model once). The steps that shape the
        conversation, parsing the answer and building the re-ask, are instructor's
        registry handlers for the mode, as the retry loop calls them."""
        reaskable = _reaskable()
        reasks_left = self.config.retry.max_reasks if max_reasks is None else max_reasks
        try:
            prepared = _prepared(response_model)  # inside: a model it refuses fails the article
            send = self._transport.sender(record)
            request = self._request(messages, prepared)
            while True:
                response = send(**request)
                record.answered(getattr(response, "usage", None))
                try:
                    return self.parse(response, response_model)
                except reaskable as error:
                    record.reject_answer()
                    if reasks_left < 1:
                        raise
                    reasks_left -= 1
                    request = self._handlers.reask_handler(
                        kwargs=request, response=response, exception=error
                    )
        except Exception as error:
            record.reject_answer()  # an answer in hand was not accepted (cut off, say)
            raise self._classify(error, record, label) from error

    def _request(self, messages: list[dict[str, Any]], prepared: type[BaseModel]) -> dict[str, Any]:
        """The request instructor's patched `create` would hand its retry loop for
        `messages` (as `request_body` captures it), without its per-call work on the
        response model: `_prepared` has walked it for async validators and prepared it
        once; in tools mode the tool definitions come from a template built once."""
        kwargs: dict[str, Any] = {"model": self.config.model, "messages": messages}
        kwargs.update(self._options())
        if self._mode == self._instructor.Mode.TOOLS:
            request = dict(kwargs)
            request["messages"] = list(messages)
            request.update(_tool_template(prepared))
        else:  # these may add the schema to the messages: built per call, as instructor does
            _, request = self._handlers.request_handler(response_model=prepared, kwargs=kwargs)
        if self._handlers.message_converter is not None:
            request["messages"] = self._handlers.message_converter(
                request["messages"], autodetect_images=False
            )
        return request

    def _store(self, record: CallRecord, result: BaseModel) -> None:
        if self.cache is not None and record.cache_key is not None:
            stored = CachedAnswer(
                answer=result.model_dump(mode="json"),
                model=self.config.model,
                input_tokens=record.input_tokens,
                output_tokens=record.output_tokens,
            )
            self.cache.put(record.cache_key, stored)

    def key_for(self, messages: list[dict[str, Any]], response_model: type[BaseModel]) -> str:
        from summarize.cache import request_key

        return request_key(self.config.request_identity(messages, response_model))

    def _cached(self, record: CallRecord, response_model: type[ModelT]) -> ModelT | None:
        if self.cache is None or record.cache_key is None:
            return None
        hit = self.cache.get(record.cache_key)
        if hit is None:
            return None
        try:
            answer = response_model.model_validate(hit.answer)
        except ValueError:  # stored under an older schema with the same JSON: ask afresh
            return None
        record.from_cache(hit.input_tokens, hit.output_tokens)
        return answer

    def _classify(self, error: Exception, record: CallRecord, label: str) -> Exception:
        failure = classify(error, label=label, attempts=record.attempts, config=self.config)
        failure.input_tokens, failure.output_tokens = record.input_tokens, record.output_tokens
        return failure


def _reaskable() -> tuple[type[Exception], ...]:
    """The failures of an answer that a re-ask can mend (not JSON, not the schema, not
    parseable as the mode's shape): those instructor's retry loop re-asks."""
    from instructor.v2.core.errors import ResponseParsingError
    from pydantic import ValidationError

    return (ValidationError, json.JSONDecodeError, ResponseParsingError)


def _quiet_instructor_log() -> None:
    """instructor logs every failed attempt at ERROR; we report failures ourselves, and
    without a handler Python would print those records to the user's stderr. One handler,
    however many clients a process makes."""
    logger = logging.getLogger("instructor")
    if not any(isinstance(handler, logging.NullHandler) for handler in logger.handlers):
        logger.addHandler(logging.NullHandler())
    logger.propagate = False


@functools.cache
def _prepared(response_model: type[ModelT]) -> type[ModelT]:
    """`response_model` as instructor wants it, built once per model.

    Given a plain model, instructor builds a new pydantic class around it and its JSON
    schema again on every request: most of the per-article overhead at zero latency
    (benchmarks/bench_batch.py). Passing its wrapper, with the schema computed once, skips
    both. The wrapper keeps the model's name (the tool name the model sees) and is a
    subclass of it, so answers are still instances of `response_model`.
    """
    import instructor
    from instructor.v2.core.response_model import prepare_response_model

    wrapped: Any = instructor.openai_schema(response_model)
    schema = json.dumps(wrapped.model_json_schema())

    def model_json_schema(cls: type[BaseModel], *args: Any, **kwargs: Any) -> dict[str, Any]:
        if args or kwargs:
            return wrapped.model_json_schema(*args, **kwargs)  # type: ignore[no-any-return]
        return json.loads(schema)  # type: ignore[no-any-return]  # a copy: callers edit it

    prepared = type(
        response_model.__name__,
        (wrapped,),
        {
            "__doc__": response_model.__doc__,
            "__module__": response_model.__module__,
            "model_json_schema": classmethod(model_json_schema),
        },
    )
    # instructor's own preparation, which also refuses async validators; it hands a
    # ready model back unchanged, so `_ask` can pass this class straight to the retry loop.
    if prepare_response_model(prepared) is not prepared:
        raise TypeError(f"instructor re-prepares {response_model.__name__} on every call")
    return prepared


def _handlers(mode: Any) -> Any:
    """instructor's request and response handlers for `mode` with an OpenAI client,
    checked as `instructor.patch` checks them."""
    from instructor.v2.core.exceptions import RegistryValidationMixin
    from instructor.v2.core.providers import Provider
    from instructor.v2.core.registry import mode_registry

    RegistryValidationMixin.validate_mode_registration(Provider.OPENAI, mode)
    return mode_registry.get_handlers(Provider.OPENAI, mode)


@functools.cache
def _tool_template(prepared: type[BaseModel]) -> dict[str, Any]:
    """The tool definition and tool choice instructor's tools mode adds to every request
    for `prepared`: they do not depend on the messages, so they are built once."""
    import instructor

    _, request = _handlers(instructor.Mode.TOOLS).request_handler(
        response_model=prepared, kwargs={"messages": []}
    )
    return {name: value for name, value in request.items() if name != "messages"}
