"""The service's OpenAPI 3 description, served at /openapi.json.

PYTEST_DONT_REWRITE (see code_interpreter.__init__)."""

from __future__ import annotations

from typing import Any

from .. import __version__
from ._settings import ServerSettings

__all__ = ["openapi_document"]

_ERROR = {"$ref": "#/components/schemas/Failure"}


def _responses(*statuses: int, ok: dict[str, Any] | None = None) -> dict[str, Any]:
    texts = {
        400: "Bad input, a JavaScript error, a limit or a security refusal",
        401: "No API key, or a wrong one",
        403: "Not a loopback client, and the service has no API keys",
        404: "No such sandbox",
        408: "The body took too long to arrive",
        413: "The body is too large",
        429: "Rate limit reached (see Retry-After)",
        503: "Every sandbox is busy (see Retry-After)",
    }
    responses: dict[str, Any] = {}
    if ok is not None:
        responses["200"] = {"description": "OK", "content": {"application/json": {"schema": ok}}}
    for status in statuses:
        responses[str(status)] = {
            "description": texts[status],
            "content": {"application/json": {"schema": _ERROR}},
        }
    return responses


def openapi_document(settings: ServerSettings) -> dict[str, Any]:
    keyed = bool(settings.api_keys or settings.admin_keys)
    secured: list[dict[str, list[str]]] = [{"bearer": []}] if keyed else []
    auth = (401,) if keyed else (403,)
    return {
        "openapi": "3.0.3",
        "info": {"title": "code-interpreter", "version": __version__},
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "ExecuteRequest": {
                    "type": "object",
                    "required": ["code"],
                    "properties": {
                        "code": {"type": "string", "minLength": 1},
                        "userId": {"type": "string", "pattern": "^[A-Za-z0-9_@.+-]{1,128}$"},
                        "context": {"type": "object", "nullable": True},
                        "timeout": {"type": "number", "exclusiveMinimum": True, "minimum": 0},
                    },
                },
                "Success": {
                    "type": "object",
                    "required": ["success", "result", "executionTime", "timestamp", "console"],
                    "properties": {
                        "success": {"type": "boolean", "enum": [True]},
                        "result": {"nullable": True},
                        "executionTime": {"type": "number"},
                        "timestamp": {"type": "string"},
                        "console": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "level": {"type": "string"},
                                    "text": {"type": "string"},
                                },
                            },
                        },
                    },
                },
                "Failure": {
                    "type": "object",
                    "required": ["success", "error", "errorType", "timestamp"],
                    "properties": {
                        "success": {"type": "boolean", "enum": [False]},
                        "error": {"type": "string"},
                        "errorType": {"type": "string"},
                        "timestamp": {"type": "string"},
                    },
                },
            },
        },
        "paths": {
            "/api/execute": {
                "post": {
                    "summary": "Run JavaScript in the caller's sandbox",
                    "security": secured,
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/ExecuteRequest"}
                            }
                        },
                    },
                    "responses": _responses(
                        400, *auth, 408, 413, 429, 503, ok={"$ref": "#/components/schemas/Success"}
                    ),
                }
            },
            "/api/sandbox/{userId}/status": {
                "get": {
                    "summary": "Status of the caller's sandbox for userId",
                    "security": secured,
                    "parameters": [
                        {
                            "name": "userId",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        }
                    ],
                    "responses": _responses(*auth, 404, ok={"type": "object"}),
                }
            },
            "/api/health": {
                "get": {
                    "summary": "Liveness and load",
                    "responses": _responses(ok={"type": "object"}),
                }
            },
        },
    }
