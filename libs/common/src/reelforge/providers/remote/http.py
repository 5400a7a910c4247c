"""The HTTP layer every remote adapter shares.

- explicit timeouts; one `httpx.AsyncClient` per operation (`session()`), so no client
  outlives the event loop it was made on;
- retries with jittered exponential backoff (tenacity), honouring `retry-after-ms` and
  `Retry-After` (seconds or an HTTP date); a wait longer than `http_retry_after_max` gives up
  at once so the chain can move on instead of stalling the item;
- retried: 408, 409, 429, 5xx and transport errors; never other 4xx. Requests that are not
  safe to repeat (creating a paid task) are retried only when the server cannot have acted
  (429, 408, 409, 502-504, connection refused);
- auth and quota errors are raised once, as permanent `ProviderError`s carrying the provider's
  own message; content-policy rejections as `ContentPolicyError`;
- every message is passed through a `Redactor`; auth headers go only to the API's own origin.

Adapters built on a vendor's SDK (OpenAI, ElevenLabs) keep the SDK's own retries off and run
each SDK call through `ApiClient.sdk`, under the same policy: the adapter's `SdkErrors` reads
the SDK's exceptions back into an error answer (status, headers, body) or a transport error.
"""

from __future__ import annotations

import asyncio
import base64
import email.utils
import json
import random
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, Protocol, TypeVar

import httpx
import httpx2
import structlog
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt
from tenacity.wait import wait_random_exponential

from reelforge.providers.base import ContentPolicyError, ProviderError
from reelforge.providers.remote.downloads import (
    DownloadPolicy,
    DownloadTooLarge,
    UnsafeDownload,
    fetch_bounded,
)
from reelforge.providers.remote.redact import Redactor
from reelforge.settings import Settings

log = structlog.get_logger(__name__)
T = TypeVar("T")

USER_AGENT = "reelforge/0.1 (+https://github.com/reelforge)"
MAX_MESSAGE = 400
_TRACEBACK_LINE = re.compile(r'(?:\\n|\s)*(?:Traceback \(most recent call last\):|'
                             r'File "[^"]*", line \d+(?:, in \S+)?)')
"""A server's own traceback in its error text (llama-cpp-python sends one) is no message for
a person: its lines are dropped, the rest kept."""
SAFE_RETRY_STATUSES = frozenset({408, 409, 429, 502, 503, 504})
CONNECT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout,
                  httpx2.ConnectError, httpx2.ConnectTimeout, httpx2.PoolTimeout)
TRANSPORT_ERRORS = (httpx.TransportError, httpx2.TransportError)
"""httpx's and httpx2's (the OpenAI SDK's HTTP client since openai 3)."""
Outcome = Literal["retry", "permanent", "transient", "content_policy", "default"]


@dataclass(frozen=True)
class HttpPolicy:
    """Timeouts, retry and polling knobs (Settings.http_* / poll_*)."""

    connect_timeout: float = 10.0
    read_timeout: float = 180.0
    max_attempts: int = 4
    backoff_initial: float = 1.0
    backoff_max: float = 30.0
    retry_after_max: float = 120.0
    poll_interval: float = 2.0
    poll_interval_max: float = 15.0
    poll_timeout: float = 1200.0
    downloads: DownloadPolicy = field(default_factory=DownloadPolicy)

    @classmethod
    def from_settings(cls, s: Settings) -> HttpPolicy:
        return cls(
            connect_timeout=s.http_connect_timeout, read_timeout=s.http_read_timeout,
            max_attempts=s.http_max_attempts, backoff_initial=s.http_backoff_initial,
            backoff_max=s.http_backoff_max, retry_after_max=s.http_retry_after_max,
            poll_interval=s.poll_interval, poll_interval_max=s.poll_interval_max,
            poll_timeout=s.poll_timeout,
            downloads=DownloadPolicy(max_bytes=s.download_max_mb * 1024 * 1024,
                                     timeout=s.download_timeout,
                                     allow_private=s.allow_private_downloads),
        )

    def timeout(self, read: float | None = None) -> httpx.Timeout:
        return httpx.Timeout(**self.timeouts(read))

    def timeouts(self, read: float | None = None) -> dict[str, float]:
        return {"connect": self.connect_timeout, "read": read or self.read_timeout,
                "write": self.read_timeout, "pool": self.connect_timeout}


@dataclass(frozen=True)
class ErrorInfo:
    """What a provider said when it refused a request."""

    status: int
    message: str
    code: str | None = None


@dataclass(frozen=True)
class ErrorAnswer:
    """A non-2xx answer, as an SDK's exception carries it."""

    status: int
    headers: Mapping[str, str]
    info: ErrorInfo


class ErrorResponse(Protocol):
    """What error parsing reads of a response (httpx's or httpx2's)."""

    @property
    def status_code(self) -> int: ...
    @property
    def text(self) -> str: ...
    @property
    def reason_phrase(self) -> str: ...
    def json(self) -> Any: ...


ErrorParser = Callable[[httpx.Response], ErrorInfo]
Classifier = Callable[[ErrorInfo], Outcome]
SdkErrors = Callable[[Exception], "ErrorAnswer | Exception | None"]
"""Reads a vendor SDK's exception: the error answer it carries, or the transport or decoding
error beneath it; None for an exception that is not the SDK's."""


class ApiError(ProviderError):
    """A provider answered with an error status (kept for callers that must tell them apart,
    e.g. a key check)."""

    def __init__(self, provider: str, message: str, *, status: int, permanent: bool) -> None:
        super().__init__(provider, message, permanent=permanent)
        self.status = status


class Unreachable(ProviderError):
    """Every attempt failed to connect: the server is down or the base URL is wrong (an
    adapter for a self-hosted server turns this into "start it or set X_BASE_URL")."""


class _Retry(Exception):
    """Internal: this attempt failed in a way worth repeating."""

    def __init__(self, reason: str, retry_after: float | None = None,
                 status: int | None = None, *, unreachable: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.status = status
        self.unreachable = unreachable


RetryObserver = Callable[[str, int | None], None]
RETRY_OBSERVER: ContextVar[RetryObserver | None] = ContextVar("retry_observer", default=None)
"""Told (provider, HTTP status or None) before every retry: the worker counts retries and
429s in its metrics through it, without the adapters knowing about metrics."""


def retry_after_seconds(headers: Mapping[str, str], now: datetime | None = None) -> float | None:
    """`retry-after-ms` (OpenAI/ElevenLabs SDKs), else `Retry-After` as seconds or HTTP date."""
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def default_error_info(resp: ErrorResponse) -> ErrorInfo:
    """Best effort over the usual envelopes: {"error":{"message","code"}}, {"detail":...},
    RFC 7807 {"title","detail"}, or plain text."""
    try:
        body = resp.json()
    except ValueError:
        body = resp.text
    return error_info_of(resp.status_code, body, resp.reason_phrase)


def error_info_of(status: int, body: Any, reason: str = "") -> ErrorInfo:
    """`default_error_info` of a body already decoded (JSON, or the text when it is not)."""
    if isinstance(body, str):
        return ErrorInfo(status, body.strip()[:MAX_MESSAGE] or reason)
    code: str | None = None
    message: Any = body
    if isinstance(body, dict):
        err = body.get("error")
        detail = body.get("detail")
        if isinstance(err, dict):
            code = _str(err.get("code")) or _str(err.get("type"))
            message = err.get("message") or err
        elif isinstance(err, str):
            message = err
        elif isinstance(detail, dict):
            code = _str(detail.get("status")) or _str(detail.get("code"))
            message = detail.get("message") or detail
        elif isinstance(detail, list):
            message = "; ".join(_validation_item(d) for d in detail)
            code = next((_str(d.get("type")) for d in detail if isinstance(d, dict)), None)
        elif detail is not None:
            message = detail
            code = _str(body.get("title"))
    return ErrorInfo(status, _text(message), code)


def _validation_item(item: Any) -> str:
    if isinstance(item, dict):
        loc = ".".join(str(p) for p in item.get("loc", []))
        return f"{loc}: {item.get('msg', item)}" if loc else str(item.get("msg", item))
    return str(item)


def _str(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def same_origin(a: str | httpx.URL, b: str | httpx.URL) -> bool:
    ua, ub = httpx.URL(str(a)), httpx.URL(str(b))
    return (ua.scheme, ua.host, ua.port) == (ub.scheme, ub.host, ub.port)


class ApiClient:
    """One provider's endpoint: base URL, auth headers, error envelope and redaction."""

    def __init__(
        self,
        provider: str,
        base_url: str,
        *,
        policy: HttpPolicy,
        auth_headers: dict[str, str] | None = None,
        secrets: tuple[str | None, ...] = (),
        error_info: ErrorParser = default_error_info,
        classify: Classifier | None = None,
        sdk_errors: SdkErrors | None = None,
    ) -> None:
        self.provider = provider
        self.base_url = base_url.rstrip("/")
        self.policy = policy
        self._auth = dict(auth_headers or {})
        self.redact = Redactor((*secrets, *self._auth.values()))
        self._error_info = error_info
        self._classify = classify
        self._sdk_errors = sdk_errors

    def error(self, message: str, *, permanent: bool) -> ProviderError:
        return ProviderError(self.provider, self._clip(message), permanent=permanent)

    def content_policy(self, message: str) -> ContentPolicyError:
        return ContentPolicyError(self.provider, self._clip(message))

    def _clip(self, message: str) -> str:
        message = " ".join(_TRACEBACK_LINE.sub(" ", self.redact(message)).split())
        return message if len(message) <= MAX_MESSAGE else message[: MAX_MESSAGE - 1] + "…"

    def is_ours(self, url: str) -> bool:
        return same_origin(url, self.base_url)

    def auth_for(self, url: str) -> dict[str, str]:
        """Auth headers for `url`: only ever sent to the API's own origin."""
        return dict(self._auth) if self.is_ours(url) else {}

    @asynccontextmanager
    async def session(self) -> AsyncIterator[ApiSession]:
        async with httpx.AsyncClient(
            timeout=self.policy.timeout(), headers={"user-agent": USER_AGENT}
        ) as client:
            yield ApiSession(self, client)

    def failure(self, resp: httpx.Response, safe_to_repeat: bool) -> Exception:
        """The exception for a non-2xx response: `_Retry` or a `ProviderError`."""
        answer = ErrorAnswer(resp.status_code, resp.headers, self._error_info(resp))
        return self.refusal(answer, safe_to_repeat)

    def refusal(self, answer: ErrorAnswer, safe_to_repeat: bool) -> Exception:
        """The exception for an error answer: `_Retry` or a `ProviderError`."""
        info, status, headers = answer.info, answer.status, answer.headers
        outcome = self._classify(info) if self._classify else "default"
        what = f"HTTP {status}" + (f" {info.code}" if info.code else "") + f": {info.message}"
        if outcome == "content_policy":
            return self.content_policy(f"rejected on content grounds ({what})")
        if outcome == "permanent":
            return ApiError(self.provider, self._clip(what), status=status, permanent=True)
        if outcome == "transient":
            return ApiError(self.provider, self._clip(what), status=status, permanent=False)
        should = headers.get("x-should-retry")
        retryable = status in SAFE_RETRY_STATUSES or (safe_to_repeat and status >= 500)
        if outcome == "retry" or should == "true" or (retryable and should != "false"):
            wait = retry_after_seconds(headers)
            cap = self.policy.retry_after_max
            if wait is not None and wait > cap:
                return ApiError(self.provider, self._clip(
                    f"{what} (asked to wait {wait:.0f}s, more than the {cap:.0f}s allowed by "
                    "REELFORGE_HTTP_RETRY_AFTER_MAX)"), status=status, permanent=False)
            return _Retry(self.redact(what), wait, status)
        if status in (401, 403):
            message = f"authentication failed ({what}); check the API key"
            return ApiError(self.provider, self._clip(message), status=status, permanent=True)
        return ApiError(self.provider, self._clip(what), status=status, permanent=status < 500)

    def broken(self, exc: BaseException, safe_to_repeat: bool) -> Exception:
        """The exception for a request that got no answer: `_Retry` or a `ProviderError`."""
        if isinstance(exc, CONNECT_ERRORS):
            return _Retry(f"cannot connect: {type(exc).__name__}", unreachable=True)
        reason = f"{type(exc).__name__}: {self.redact(str(exc)) or 'no detail'}"
        if safe_to_repeat:
            return _Retry(reason)
        return self.error(f"{reason} on a request that is not safe to repeat", permanent=False)

    async def sdk(self, what: str, call: Callable[[], Awaitable[T]], *,
                  safe_to_repeat: bool = True) -> T:
        """The result of `call()`, one request through a vendor SDK with its own retries off,
        under this layer's retry policy. `what` names the request in logs ("POST /path")."""

        async def once() -> T:
            try:
                return await call()
            except Exception as exc:
                failure = self._sdk_failure(exc, safe_to_repeat)
                if failure is None:
                    raise
                raise failure from exc

        return await self.with_retries(once, what)

    def _sdk_failure(self, exc: Exception, safe: bool) -> Exception | None:
        """What `exc` from an SDK call stands for here; None: not the SDK's, raised as is."""
        found = self._sdk_errors(exc) if self._sdk_errors else None
        if isinstance(found, ErrorAnswer):
            if found.status < 300:  # the SDK could not decode a 2xx body
                return self.malformed_answer(f"undecodable {found.status} body "
                                             f"({found.info.message[:80]!r})", safe)
            return self.refusal(found, safe)
        cause = found if found is not None else exc
        if isinstance(cause, json.JSONDecodeError):  # a 2xx body the SDK could not decode
            return self.malformed_answer(f"not JSON ({cause})", safe)
        if isinstance(cause, TRANSPORT_ERRORS) or found is not None:
            return self.broken(cause, safe)
        return None

    async def capped(self, chunks: AsyncIterator[bytes], what: str) -> bytes:
        """A streamed answer (an SDK's audio), within the download byte cap."""
        limit = self.policy.downloads.max_bytes
        data = bytearray()
        async for chunk in chunks:
            data += chunk
            if len(data) > limit:
                raise self.error(f"the {what} is over the {limit:,} bytes allowed "
                                 "(REELFORGE_DOWNLOAD_MAX_MB)", permanent=True)
        return bytes(data)

    def malformed_answer(self, reason: str, safe: bool) -> Exception:
        """The exception for a 2xx body that breaks the contract: retried when safe."""
        if safe:
            return _Retry(f"malformed response: {reason}")
        return self.error(f"malformed response: {reason}", permanent=False)

    async def with_retries(self, once: Callable[[], Awaitable[T]], what: str) -> T:
        """`once()` until it succeeds or raises something other than `_Retry`, within the
        policy's attempts, waiting as a `_Retry` asks (Retry-After) or with backoff."""
        policy = self.policy
        backoff = wait_random_exponential(multiplier=policy.backoff_initial, max=policy.backoff_max)

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            if isinstance(exc, _Retry) and exc.retry_after is not None:
                return exc.retry_after + random.uniform(0, min(1.0, exc.retry_after * 0.1))
            return float(backoff(state))

        def before_sleep(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            observer = RETRY_OBSERVER.get()
            if observer is not None:
                observer(self.provider, exc.status if isinstance(exc, _Retry) else None)
            log.info(
                "provider_retry", provider=self.provider, request=what,
                attempt=state.attempt_number, reason=str(exc),
                wait=round(state.next_action.sleep, 3) if state.next_action else None,
            )

        retrying = AsyncRetrying(
            stop=stop_after_attempt(policy.max_attempts), wait=wait, reraise=True,
            retry=retry_if_exception_type(_Retry), before_sleep=before_sleep,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await once()
        except _Retry as exc:
            message = f"gave up after {policy.max_attempts} attempts: {exc.reason}"
            if exc.unreachable:
                raise Unreachable(self.provider, self._clip(message)) from None
            raise self.error(message, permanent=False) from None
        raise AssertionError("unreachable")  # pragma: no cover


class ApiSession:
    """Requests through one AsyncClient, with the retry policy applied."""

    def __init__(self, api: ApiClient, client: httpx.AsyncClient) -> None:
        self.api = api
        self.client = client

    def url(self, path_or_url: str) -> str:
        if path_or_url.startswith(("http://", "https://")):
            return path_or_url
        return f"{self.api.base_url}/{path_or_url.lstrip('/')}"

    async def request(self, method: str, path_or_url: str, **opts: Any) -> httpx.Response:
        """A 2xx response, after retries (options as in `call`)."""
        return await self.call(method, path_or_url, _response, **opts)

    async def json(self, method: str, path_or_url: str, **opts: Any) -> Any:
        """The decoded JSON body of a 2xx response (a malformed body counts as a failed
        attempt, retried when the request is safe to repeat)."""
        return await self.call(method, path_or_url, _json_body, **opts)

    async def download(self, url: str, *, what: str = "output") -> bytes:
        """Bytes of a result URL, within the download policy (see `downloads.py`): outside
        the API's own origin only https to public addresses, every redirect checked; a byte
        cap and one deadline everywhere. Auth is sent only to the API's own origin."""
        policy = self.api.policy.downloads
        if url.startswith("data:"):
            return decode_data_url(url, self.api, policy.max_bytes)

        async def once() -> bytes:
            try:
                resp = await fetch_bounded(
                    self.client, url, policy,
                    trusted=lambda target: self.api.is_ours(str(target)),
                    headers_for=lambda target: self.api.auth_for(str(target)),
                )
            except UnsafeDownload as exc:
                raise self.api.error(f"{what} URL refused: {exc}", permanent=True) from None
            except DownloadTooLarge as exc:
                raise self.api.error(f"{what} too large: {exc} (REELFORGE_DOWNLOAD_MAX_MB)",
                                     permanent=True) from None
            except TimeoutError:
                raise self.api.error(f"{what} download took longer than {policy.timeout:.0f}s "
                                     "(REELFORGE_DOWNLOAD_TIMEOUT)", permanent=False) from None
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                raise _Retry(f"{type(exc).__name__} while downloading the {what}") from exc
            if not resp.is_success:
                raise self.api.failure(resp, safe_to_repeat=True)
            if not resp.content:
                raise _Retry(f"malformed response: empty {what}")
            return resp.content

        return await self.api.with_retries(once, f"GET {httpx.URL(url).path}")

    async def call(
        self,
        method: str,
        path_or_url: str,
        parse: Callable[[httpx.Response], T],
        *,
        json: Any = None,
        data: dict[str, Any] | None = None,
        files: Any = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        read_timeout: float | None = None,
        safe_to_repeat: bool | None = None,
    ) -> T:
        """`parse` of a 2xx response, after retries. `parse` runs inside the retry loop and
        raises `malformed(...)` for a body that breaks the contract. `safe_to_repeat`
        (default: not for POST) allows retrying after timeouts, 500s and malformed bodies."""
        url = self.url(path_or_url)
        safe = method.upper() != "POST" if safe_to_repeat is None else safe_to_repeat
        send_headers = {**self.api.auth_for(url), **(headers or {})}

        async def once() -> T:
            resp = await self._send(method, url, safe, json=json, data=data, files=files,
                                    params=params, headers=send_headers,
                                    timeout=self.api.policy.timeout(read_timeout))
            try:
                return parse(resp)
            except _Malformed as exc:
                raise self.api.malformed_answer(str(exc), safe) from exc

        return await self.api.with_retries(once, f"{method} {httpx.URL(url).path}")

    async def _send(self, method: str, url: str, safe: bool, **kwargs: Any) -> httpx.Response:
        try:
            resp = await self.client.request(method, url, follow_redirects=method == "GET",
                                             **kwargs)
        except httpx.TransportError as exc:
            raise self.api.broken(exc, safe) from exc
        if resp.is_success:
            return resp
        raise self.api.failure(resp, safe)

    async def poll(
        self, fetch: Callable[[], Awaitable[T]], done: Callable[[T], bool], what: str, *,
        timeout: float | None = None, timeout_setting: str = "REELFORGE_POLL_TIMEOUT",
    ) -> T:
        """Call `fetch` until `done`, with growing jittered intervals, up to `timeout`
        (default poll_timeout; `timeout_setting` is the variable the message names)."""
        policy = self.api.policy
        interval = policy.poll_interval
        limit = policy.poll_timeout if timeout is None else timeout
        deadline = time.monotonic() + limit
        while True:
            state = await fetch()
            if done(state):
                return state
            if time.monotonic() + interval > deadline:
                raise self.api.error(
                    f"{what} did not finish within {limit:.0f}s ({timeout_setting})",
                    permanent=False,
                )
            await asyncio.sleep(interval * random.uniform(0.8, 1.2))
            interval = min(interval * 1.5, policy.poll_interval_max)


class _Malformed(ValueError):
    """A 2xx body that is not what the contract promises."""


def malformed(message: str) -> _Malformed:
    return _Malformed(message)


def _response(resp: httpx.Response) -> httpx.Response:
    return resp


def _json_body(resp: httpx.Response) -> Any:
    try:
        return resp.json()
    except ValueError as exc:
        snippet = resp.text[:80].replace("\n", " ")
        raise _Malformed(f"not JSON ({snippet!r})") from exc


def decode_data_url(url: str, api: ApiClient, max_bytes: int) -> bytes:
    head, _, payload = url.partition(",")
    if not head.endswith(";base64") or not payload:
        raise api.error("unsupported data URL in output", permanent=False)
    if len(payload) * 3 // 4 > max_bytes:
        raise api.error(f"a data URL output over the {max_bytes:,} bytes allowed "
                        "(REELFORGE_DOWNLOAD_MAX_MB)", permanent=True)
    try:
        return base64.b64decode(payload, validate=True)
    except ValueError as exc:
        raise api.error("bad base64 in a data URL output", permanent=False) from exc
