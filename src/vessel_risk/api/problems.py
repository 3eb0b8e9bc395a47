"""Errors as RFC 9457 problem details (``application/problem+json``).

Routes raise :class:`fastapi.HTTPException` (or :class:`RateLimited`); the handlers
here turn those and request-validation errors into one problem shape.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_MEDIA_TYPE = "application/problem+json"


class Problem(BaseModel):
    """An RFC 9457 problem details object."""

    type: str = Field(default="about:blank", description="URI reference of the problem type.")
    title: str = Field(description="Short summary of the problem type.")
    status: int = Field(ge=100, le=599, description="HTTP status code.")
    detail: str | None = Field(default=None, description="This occurrence, in words.")
    instance: str | None = Field(default=None, description="The request path.")
    errors: list[dict[str, Any]] | None = Field(
        default=None, description="Validation errors (422 only): location, message, type."
    )


def problem_response(
    request: Request,
    status: int,
    detail: str | None,
    *,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """A ``application/problem+json`` response for ``status``."""
    body = Problem(
        title=HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        instance=request.url.path,
        errors=errors,
    )
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


def install(app: FastAPI) -> None:
    """Register the problem-details exception handlers on ``app``."""

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        detail = exc.detail if isinstance(exc.detail, str) else None
        return problem_response(
            request, exc.status_code, detail, headers=getattr(exc, "headers", None)
        )

    async def validation_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = [
            {
                "loc": [str(p) for p in e.get("loc", ())],
                "msg": str(e.get("msg", "")),
                "type": str(e.get("type", "")),
            }
            for e in jsonable_encoder(exc.errors())
        ]
        return problem_response(
            request, 422, "The request does not match the API's schema.", errors=errors
        )

    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)


def _problem_ref() -> dict[str, Any]:
    return {"schema": {"$ref": "#/components/schemas/Problem"}}


def problem_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for ``codes``, each a problem document."""
    return {
        code: {"description": HTTPStatus(code).phrase, "model": Problem} for code in sorted(codes)
    }


def problems_in_openapi(schema: dict[str, Any]) -> dict[str, Any]:
    """Move every 4xx/5xx response's JSON body to ``application/problem+json``.

    FastAPI documents extra responses under the route's media type; the handlers
    answer with ``application/problem+json``, so the document says that.
    """
    for path in schema.get("paths", {}).values():
        for op in path.values():
            if not isinstance(op, dict):
                continue
            for code, response in op.get("responses", {}).items():
                if str(code)[0] not in "45":
                    continue
                content = response.get("content", {})
                body = content.pop("application/json", None)
                content[PROBLEM_MEDIA_TYPE] = body or _problem_ref()
                response["content"] = content
    schema.setdefault("components", {}).setdefault("schemas", {})
    if "Problem" not in schema["components"]["schemas"]:
        schema["components"]["schemas"]["Problem"] = Problem.model_json_schema()
    schema["components"]["schemas"].pop("HTTPValidationError", None)
    schema["components"]["schemas"].pop("ValidationError", None)
    return schema
