"""A request-body size limit applied before anything else reads the request (authentication included).

A declared ``Content-Length`` above the limit is refused at once; a body without one (chunked) is read up to
the limit + 1 byte and refused when it goes over — never read whole. Request bodies of this API are small
(a comment, a close reason, an assignee): 64 KiB by default (``MSA_MAX_BODY_BYTES``). The refusal is an RFC
9457 problem, 413.

A NUL character in the path, the query or a JSON body is refused too (400): no value of this API may hold one,
and PostgreSQL refuses it in text (it would otherwise be a server error deep inside a query)."""

from __future__ import annotations

import re

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.api.problems import PROBLEM_TYPE_BASE

__all__ = ["BodyLimitMiddleware", "has_nul"]

_NUL_PERCENT = re.compile(rb"%00")
_NUL_JSON = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000", re.IGNORECASE)  # \u0000 not itself escaped


def has_nul(raw: bytes, *, json_body: bool = False) -> bool:
    """Whether a raw path/query (percent-encoded) or JSON body carries a NUL character."""
    if b"\x00" in raw:
        return True
    return bool(_NUL_JSON.search(raw)) if json_body else bool(_NUL_PERCENT.search(raw))


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def _refuse(self, send: Send, status: int = 413) -> None:
        if status == 413:
            doc = {"type": PROBLEM_TYPE_BASE + "payload-too-large", "title": "Content Too Large", "status": 413,
                   "detail": f"request body larger than {self.max_bytes} bytes"}
        else:
            doc = {"type": PROBLEM_TYPE_BASE + "bad-request", "title": "Bad Request", "status": 400,
                   "detail": "the request holds a NUL character, which no value of this API may contain"}
        body = orjson.dumps(doc)
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/problem+json"),
                                (b"content-length", str(len(body)).encode()), (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if has_nul(scope.get("raw_path") or b"") or has_nul(scope.get("query_string") or b""):
            await self._refuse(send, 400)
            return
        if scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers") or ():
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = self.max_bytes + 1
                if declared > self.max_bytes:
                    await self._refuse(send)
                    return
        chunks: list[bytes] = []
        size = 0
        while True:  # at most max_bytes + 1 bytes are ever held
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._refuse(send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if has_nul(body, json_body=True):
            await self._refuse(send, 400)
            return
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)
