"""What an operation of the versioned API is (:class:`Endpoint`): its route, rule and
handler, and what the OpenAPI document says of it; :class:`Area` gives the operations under
one tag their rules; :func:`answering` checks each answer against its documented model.
The operations themselves: :data:`dialer.web.api.ENDPOINTS`."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response

from dialer.web.access import Rule
from dialer.web.api_models import PageQuery

Handler = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True)
class Endpoint:
    """One operation: its route, rule and handler, and what the OpenAPI document says of it
    (summary, tag; the request body's, query's and answer's models)."""

    method: str
    path: str
    handler: Handler
    summary: str
    action: Rule
    tag: str
    response: type[BaseModel]
    body: type[BaseModel] | None = None
    upload: bool = False
    #: the body is a CSV file: multipart (field ``file``) or ``text/csv``
    csv_upload: bool = False
    query: type[BaseModel] | None = None
    created: bool = False
    #: a PUT that adds (201, ``created``) or replaces (200) what its path names
    replaces: bool = False


@dataclass(frozen=True)
class Area:
    """The operations under one tag of the document: reading needs ``read``, changing
    needs ``change`` (unless an operation names its own rule)."""

    tag: str
    read: Rule
    change: Rule

    def __call__(
        self,
        method: str,
        path: str,
        handler: Handler,
        summary: str,
        response: type[BaseModel],
        *,
        body: type[BaseModel] | None = None,
        rule: Rule | None = None,
        created: bool = False,
        replaces: bool = False,
        csv_upload: bool = False,
    ) -> Endpoint:
        default = self.read if method == "GET" else self.change
        return Endpoint(
            method, path, handler, summary, rule or default, self.tag, response, body=body,
            created=created, replaces=replaces, csv_upload=csv_upload,
        )  # fmt: skip

    def listing(
        self,
        path: str,
        handler: Handler,
        summary: str,
        page: type[BaseModel],
        query: type[BaseModel] = PageQuery,
    ) -> Endpoint:
        """A list, in pages (:class:`~dialer.web.api_responses.Page`)."""
        return Endpoint("GET", path, handler, summary, self.read, self.tag, page, query=query)


#: answers longer than this are checked in a worker thread: checking a page of 1,000 audit
#: entries took about 5 ms, 100 entries (about 16 KB) 0.5 ms
INLINE_CHECK_BYTES = 16_384


def answering(endpoint: Endpoint) -> Handler:
    """The endpoint's handler, its successful answer checked against the endpoint's model
    first: the document shows that model, so an answer that strays from it is a bug (an
    error 500), never a silent change of the API."""

    @functools.wraps(endpoint.handler)
    async def answer(request: Request) -> Response:
        response = await endpoint.handler(request)
        if 200 <= response.status_code < 300:
            body = bytes(response.body)
            if len(body) > INLINE_CHECK_BYTES:  # a long page: off the event loop
                await asyncio.to_thread(endpoint.response.model_validate_json, body)
            else:
                endpoint.response.model_validate_json(body)
        return response

    return answer
