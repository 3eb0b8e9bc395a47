"""A local HTTP server speaking the part of Primero's REST API v2 vessel-risk uses.

Primero itself (a Rails application with PostgreSQL and Solr) cannot run in the tests;
this stub follows its API documentation (primeroIMS/primero,
``app/controllers/api/README.md`` and ``v2/docs``):

- ``POST /api/v2/tokens`` with ``{"user": {"user_name", "password"}}``: 200, the JWT in
  the ``Authorization: Bearer <token>`` response header; 401 for a wrong password;
- ``POST /api/v2/cases`` with ``{"data": {...}}``: a client-made ``data.id`` answers
  204 No Content when created and 409 Conflict when that case exists; without an id,
  201 with the stored case;
- ``GET /api/v2/cases``: 200 ``{"data": [...], "metadata": {"total", "per", "page"}}``;
- ``GET /api/v2/cases/<id>``: 200 ``{"data": {...}}`` or 404;
- ``PATCH /api/v2/cases/<id>`` with ``{"data": {...}}``: merges the fields, 200 with
  the case, 404 when absent;
- every endpoint but the token one needs ``Authorization: Bearer <token>`` (401 else).

Cases are kept in memory (``stub.cases``) for assertions; ``stub.requests`` lists
``(method, path)`` of every request. ``fail_next`` makes the next case requests answer
a given status (e.g. 503) to exercise retries.

Use as a context manager::

    with PrimeroStub() as stub:
        stub.url  # http://127.0.0.1:<port>
"""

from __future__ import annotations

import json
import uuid
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.receivers import LocalHttpServer


class PrimeroStub(LocalHttpServer):
    """A Primero v2 stub server in a thread (see the module docstring)."""

    def __init__(self, user_name: str = "vr-bot", password: str = "s3cret") -> None:
        self.user_name = user_name
        self.password = password
        self.tokens: set[str] = set()
        self.cases: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, str]] = []
        self.fail_next: list[int] = []
        super().__init__()

    @property
    def url(self) -> str:
        """The base URL (an agency's ``endpoint_url``)."""
        return self.origin

    @property
    def credentials(self) -> dict[str, str]:
        """The agency's ``secrets[0]`` for this stub."""
        return {"user_name": self.user_name, "password": self.password}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def _send(
                self, status: int, body: Any = None, headers: dict[str, str] | None = None
            ) -> None:
                data = b"" if body is None else json.dumps(body).encode()
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                if body is not None:
                    self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _json(self) -> Any:
                n = int(self.headers.get("content-length") or 0)
                try:
                    return json.loads(self.rfile.read(n) or b"null")
                except json.JSONDecodeError:
                    return None

            def _error(self, status: int, message: str) -> None:
                self._send(
                    status,
                    {"errors": [{"code": status, "resource": self.path, "message": message}]},
                )

            def _authorised(self) -> bool:
                auth = self.headers.get("authorization", "")
                token = auth.split(" ", 1)[1] if auth.lower().startswith("bearer ") else ""
                with stub.lock:
                    ok = token in stub.tokens
                if not ok:
                    self._error(401, "Unauthorized")
                return ok

            def _failing(self) -> bool:
                with stub.lock:
                    status = stub.fail_next.pop(0) if stub.fail_next else None
                if status is not None:
                    self._error(status, "Service Unavailable")
                return status is not None

            def do_POST(self) -> None:
                with stub.lock:
                    stub.requests.append(("POST", self.path))
                body = self._json()
                if self.path == "/api/v2/tokens":
                    user = (body or {}).get("user") or {}
                    if (user.get("user_name"), user.get("password")) != (
                        stub.user_name,
                        stub.password,
                    ):
                        self._error(401, "Unauthorized")
                        return
                    token = uuid.uuid4().hex
                    with stub.lock:
                        stub.tokens.add(token)
                    self._send(
                        200,
                        {"id": 1, "user_name": stub.user_name},
                        {"Authorization": f"Bearer {token}"},
                    )
                    return
                if self.path != "/api/v2/cases":
                    self._error(404, "Not Found")
                    return
                if not self._authorised() or self._failing():
                    return
                data = (body or {}).get("data")
                if not isinstance(data, dict):
                    self._error(422, "data is required")
                    return
                with stub.lock:
                    if data.get("id") in stub.cases:
                        self._error(409, "Conflict")
                        return
                    given = data.get("id")
                    case_id = given or str(uuid.uuid4())
                    stub.cases[case_id] = {**data, "id": case_id}
                if given:
                    self._send(204)
                else:
                    self._send(200, {"data": stub.cases[case_id]})

            def do_GET(self) -> None:
                with stub.lock:
                    stub.requests.append(("GET", self.path))
                if not self._authorised():
                    return
                path = self.path.split("?", 1)[0]
                with stub.lock:
                    if path == "/api/v2/cases":
                        cases = list(stub.cases.values())
                        meta = {"total": len(cases), "per": max(len(cases), 20), "page": 1}
                        self._send(200, {"data": cases, "metadata": meta})
                        return
                    case = stub.cases.get(path.removeprefix("/api/v2/cases/"))
                if case is None:
                    self._error(404, "Not Found")
                else:
                    self._send(200, {"data": case})

            def do_PATCH(self) -> None:
                with stub.lock:
                    stub.requests.append(("PATCH", self.path))
                if not self.path.startswith("/api/v2/cases/"):
                    self._error(404, "Not Found")
                    return
                if not self._authorised() or self._failing():
                    return
                data = (self._json() or {}).get("data")
                case_id = self.path.removeprefix("/api/v2/cases/")
                with stub.lock:
                    case = stub.cases.get(case_id)
                    if case is not None and isinstance(data, dict):
                        case.update(data)
                if case is None:
                    self._error(404, "Not Found")
                elif not isinstance(data, dict):
                    self._error(422, "data is required")
                else:
                    self._send(200, {"data": case})

        return Handler
