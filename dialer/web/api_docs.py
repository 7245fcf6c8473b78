"""The REST API's documentation page, ``/api/v1/docs``: the OpenAPI document
(:mod:`dialer.web.openapi`) rendered on the server as one HTML page (operations by tag,
their parameters, request and answer schemas, then every schema's fields). Nothing is
loaded from another site and no script runs: the page obeys the strict CSP."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from dialer.web.service import web

REF_PREFIX = "#/components/schemas/"
METHOD_ORDER = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class Field:
    name: str
    kind: str
    required: bool
    description: str


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    summary: str
    roles: str
    parameters: list[Field]
    body: str | None
    answer: str | None
    anchor: str


def kind_of(schema: dict[str, Any]) -> str:
    """A schema in a few French words: ``entier``, ``Campaign``, ``liste de Team``..."""
    if "$ref" in schema:
        return str(schema["$ref"]).removeprefix(REF_PREFIX)
    if "anyOf" in schema:
        kinds = [kind_of(s) for s in schema["anyOf"] if s.get("type") != "null"]
        nullable = any(s.get("type") == "null" for s in schema["anyOf"])
        return " ou ".join(kinds) + (" ou null" if nullable else "")
    if "enum" in schema:
        return "une valeur parmi : " + ", ".join(str(v) for v in schema["enum"])
    names = {
        "integer": "entier",
        "number": "nombre",
        "string": "texte",
        "boolean": "booléen",
        "object": "objet",
        "null": "null",
    }
    kind = schema.get("type")
    if kind == "array":
        return "liste de " + kind_of(schema.get("items", {}))
    text = names.get(str(kind), "valeur")
    if schema.get("format") == "date-time":
        text = "date-heure ISO 8601"
    bounds = [
        f"{label} {schema[key]}"
        for key, label in (
            ("minimum", "≥"),
            ("maximum", "≤"),
            ("minLength", "longueur ≥"),
            ("maxLength", "longueur ≤"),
        )
        if key in schema
    ]
    return text + (f" ({', '.join(bounds)})" if bounds else "")


def _content_schema(part: dict[str, Any] | None) -> str | None:
    if not part:
        return None
    for media, content in part.get("content", {}).items():
        schema = content.get("schema", {})
        if media == "multipart/form-data":
            return "formulaire multipart : " + ", ".join(schema.get("properties", {}))
        return kind_of(schema) if schema else None
    return None


def operations(document: dict[str, Any]) -> dict[str, list[Operation]]:
    """The document's operations by tag, in the document's order."""
    by_tag: dict[str, list[Operation]] = {}
    for path, item in document["paths"].items():
        for method in METHOD_ORDER:
            operation = item.get(method)
            if operation is None:
                continue
            responses = operation.get("responses", {})
            success = responses.get("201") or responses.get("200")
            tag = (operation.get("tags") or ["autres"])[0]
            by_tag.setdefault(tag, []).append(
                Operation(
                    method=method.upper(),
                    path=path,
                    summary=operation.get("summary", ""),
                    roles=operation.get("description", ""),
                    parameters=[
                        Field(
                            f"{p['name']} ({p['in']})",
                            kind_of(p.get("schema", {})),
                            bool(p.get("required")),
                            p.get("description", ""),
                        )
                        for p in operation.get("parameters", [])
                    ],
                    body=_content_schema(operation.get("requestBody")),
                    answer=_content_schema(success),
                    anchor=str(operation.get("operationId", "")),
                )
            )
    return by_tag


def schemas(document: dict[str, Any]) -> dict[str, tuple[str, list[Field]]]:
    """Each component schema: its description and fields."""
    found: dict[str, tuple[str, list[Field]]] = {}
    for name, schema in sorted(document["components"]["schemas"].items()):
        required = set(schema.get("required", ()))
        found[name] = (
            str(schema.get("description", "")),
            [
                Field(key, kind_of(field), key in required, str(field.get("description", "")))
                for key, field in schema.get("properties", {}).items()
            ],
        )
    return found


async def docs_page(request: Request) -> Response:
    """La documentation de l'API : ses opérations, leurs paramètres et réponses."""
    from dialer.web.api import ENDPOINTS  # noqa: PLC0415 - api imports this module
    from dialer.web.openapi import document  # noqa: PLC0415 - openapi imports api

    described = document(request.app.routes, ENDPOINTS)
    return web(request).templates.TemplateResponse(
        request,
        "api_docs.html",
        {
            "user": None,
            "info": described["info"],
            "tags": operations(described),
            "schemas": schemas(described),
        },
    )
