"""The REST API's OpenAPI 3.1 document, generated from the application's route table (every
``/api/v1`` route), described by the endpoint table (:data:`dialer.web.api.ENDPOINTS`:
summary, roles) and the pydantic models it names: the request body's, the query's (each
field a typed, bounded parameter) and the answer's (:mod:`dialer.web.api_responses`), as
their JSON schemas. A ``/api/v1`` route of another module, absent from the table, is
documented from its handler's docstring (its first paragraph is the summary).

Why no generator library: spectree (Starlette and pydantic) wants its decorator on every
handler and validates with its own error answers; apispec builds from marshmallow schemas
or docstrings; FastAPI is another framework. Here pydantic (a dependency already) validates
the bodies and queries with the French messages of :mod:`dialer.web.api_models`, and this
module only assembles the schemas pydantic generates from those same models: one source
for validation and documentation."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema
from starlette.routing import BaseRoute, Route

from dialer.web.access import MAX_ID_DIGITS, roles_of
from dialer.web.api_models import BODIES

if TYPE_CHECKING:
    from dialer.web.api_endpoints import Endpoint

PREFIX = "/api/v1/"

REF = "#/components/schemas/{model}"
PATH_PARAMETER = re.compile(r"\{(\w+)(?::(\w+))?\}")
ERRORS = {
    "401": "Non authentifié (jeton ou session absent, invalide ou expiré)",
    "403": "Rôle insuffisant, ou jeton CSRF absent (session)",
    "404": "Introuvable",
    "409": "Contraire à l'état actuel (ex. une autre campagne est en cours)",
    "422": "Données invalides : le message nomme le champ",
}


H = TypeVar("H", bound=Callable[..., Any])


def described_by(
    answer: type[BaseModel],
    query: type[BaseModel] | None = None,
    body: type[BaseModel] | None = None,
) -> Callable[[H], H]:
    """Give the document the answer's (and the query's, the request body's) model of a
    ``/api/v1`` handler of another module than :mod:`dialer.web.api` (its docstring stays
    its summary)."""

    def mark(handler: H) -> H:
        setattr(handler, "openapi_answer", answer)  # noqa: B010 - a function's attribute
        setattr(handler, "openapi_query", query)  # noqa: B010
        setattr(handler, "openapi_body", body)  # noqa: B010
        return handler

    return mark


def described_file(media_type: str, query: type[BaseModel] | None = None) -> Callable[[H], H]:
    """Give the document a ``/api/v1`` handler that answers a file (CSV, XLSX) of
    ``media_type`` rather than JSON, and its query's model."""

    def mark(handler: H) -> H:
        setattr(handler, "openapi_file", media_type)  # noqa: B010 - a function's attribute
        setattr(handler, "openapi_query", query)  # noqa: B010
        return handler

    return mark


def openapi_path(path: str) -> str:
    """Starlette's ``/x/{id:id}`` as OpenAPI's ``/x/{id}``."""
    return PATH_PARAMETER.sub(lambda m: "{" + m.group(1) + "}", path)


class AnswerSchema(GenerateJsonSchema):
    """pydantic's JSON schemas, but a duration as the seconds the answers give."""

    def timedelta_schema(self, schema: core_schema.TimedeltaSchema) -> JsonSchemaValue:
        return {"type": "number", "description": "secondes"}


def _schemas(models: Sequence[type[BaseModel]]) -> dict[str, Any]:
    schemas: dict[str, Any] = {
        "Error": {
            "type": "object",
            "properties": {"erreur": {"type": "string"}},
            "required": ["erreur"],
        }
    }
    for model in (*BODIES, *models):
        schema = model.model_json_schema(ref_template=REF, schema_generator=AnswerSchema)
        for name, part in (*schema.pop("$defs", {}).items(), (model.__name__, schema)):
            if schemas.setdefault(name, part) != part:
                raise ValueError(f"two schemas named {name} in the OpenAPI document")
    return schemas


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    """Each field of the query's model, a parameter with its type and bounds."""
    schema = model.model_json_schema(ref_template=REF)
    required = set(schema.get("required", ()))
    parameters = []
    for name, declared in schema["properties"].items():
        field = {k: v for k, v in declared.items() if k not in ("title", "description")}
        description = declared.get("description")
        parameter: dict[str, Any] = {
            "name": name,
            "in": "query",
            "required": name in required,
            "schema": field,
        }
        if description:
            parameter["description"] = description
        parameters.append(parameter)
    return parameters


def summary_of(doc: str | None) -> str:
    """A docstring's first paragraph on one line (a summary never stops mid-sentence)."""
    paragraph = (doc or "").strip().split("\n\n")[0]
    return " ".join(paragraph.split())


def _parameter_schema(kind: str | None) -> dict[str, Any]:
    if kind == "id":
        return {"type": "integer", "minimum": 0, "maximum": 10**MAX_ID_DIGITS - 1}
    return {"type": "string"}


def _operation(endpoint: Endpoint) -> dict[str, Any]:
    parameters: list[dict[str, Any]] = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": _parameter_schema(kind),
        }
        for name, kind in PATH_PARAMETER.findall(endpoint.path)
    ]
    if endpoint.query is not None:
        parameters += _query_parameters(endpoint.query)
    success = "201" if endpoint.created else "200"
    answer = {"schema": {"$ref": REF.format(model=endpoint.response.__name__)}}
    operation: dict[str, Any] = {
        "operationId": endpoint.handler.__name__,
        "summary": endpoint.summary,
        "tags": [endpoint.tag],
        "description": "Rôles : " + ", ".join(role.value for role in roles_of(endpoint.action)),
        "responses": {
            success: {"description": "Réussi", "content": {"application/json": answer}},
            **{
                status: {
                    "description": text,
                    "content": {
                        "application/json": {"schema": {"$ref": REF.format(model="Error")}}
                    },
                }
                for status, text in ERRORS.items()
            },
        },
    }
    if endpoint.upload:
        operation["responses"]["200"] = {
            "description": "Simulation (dry_run) : rien n'est enregistré",
            "content": {"application/json": answer},
        }
    if endpoint.replaces:
        operation["responses"]["200"] = {
            "description": "Remplacé (existait déjà), ou inchangé",
            "content": {"application/json": answer},
        }
    if parameters:
        operation["parameters"] = parameters
    if endpoint.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": REF.format(model=endpoint.body.__name__)}}
            },
        }
    if endpoint.upload:
        operation["requestBody"] = _multipart(
            {
                "file": {"type": "string", "contentMediaType": "application/octet-stream"},
                "mapping": {"type": "string", "contentMediaType": "application/toml"},
                "dry_run": {"type": "boolean"},
            }
        )
    if endpoint.csv_upload:
        file = {"type": "string", "contentMediaType": "text/csv"}
        operation["requestBody"] = _multipart({"file": file})
        operation["requestBody"]["content"]["text/csv"] = {"schema": file}
    return operation


def _multipart(properties: dict[str, Any]) -> dict[str, Any]:
    """A multipart request body of these fields, ``file`` required."""
    schema = {"type": "object", "properties": properties, "required": ["file"]}
    return {"required": True, "content": {"multipart/form-data": {"schema": schema}}}


def _undescribed(route: Route, method: str) -> dict[str, Any]:
    doc = summary_of(getattr(route.endpoint, "__doc__", None))
    parameters = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": _parameter_schema(kind),
        }
        for name, kind in PATH_PARAMETER.findall(route.path)
    ]
    operation: dict[str, Any] = {
        "operationId": f"{getattr(route.endpoint, '__name__', 'operation')}_{method.lower()}",
        "summary": doc or route.path,
        "responses": {
            "200": {
                "description": "Réussi",
                "content": {"application/json": {"schema": {"type": "object"}}},
            },
            **{
                status: {
                    "description": text,
                    "content": {
                        "application/json": {"schema": {"$ref": REF.format(model="Error")}}
                    },
                }
                for status, text in ERRORS.items()
                if status in ("401", "403")
            },
        },
    }
    answer: type[BaseModel] | None = getattr(route.endpoint, "openapi_answer", None)
    if answer is not None:
        operation["responses"]["200"]["content"]["application/json"]["schema"] = {
            "$ref": REF.format(model=answer.__name__)
        }
    media_type: str | None = getattr(route.endpoint, "openapi_file", None)
    if media_type is not None:
        operation["responses"]["200"]["content"] = {
            media_type: {"schema": {"type": "string", "contentMediaType": media_type}}
        }
    query: type[BaseModel] | None = getattr(route.endpoint, "openapi_query", None)
    if query is not None:
        parameters += _query_parameters(query)
    if parameters:
        operation["parameters"] = parameters
    body: type[BaseModel] | None = getattr(route.endpoint, "openapi_body", None)
    if body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": REF.format(model=body.__name__)}}},
        }
    return operation


def _answers(routes: Sequence[BaseRoute]) -> list[type[BaseModel]]:
    """The answers' (and request bodies') models of the routes outside the endpoint table."""
    found = (
        getattr(getattr(r, "endpoint", None), attribute, None)
        for r in routes
        for attribute in ("openapi_answer", "openapi_body")
    )
    return [model for model in found if model is not None]


def document(routes: Sequence[BaseRoute], endpoints: Sequence[Endpoint]) -> dict[str, Any]:
    """The document of every ``/api/v1`` route of ``routes`` (but the document's own)."""
    described = {(e.method, e.path): e for e in endpoints}
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        if not isinstance(route, Route) or not route.path.startswith(PREFIX):
            continue
        if route.path in (PREFIX + "openapi.json", PREFIX + "docs"):
            continue  # the document itself and its page
        for method in sorted((route.methods or set()) - {"HEAD"}):
            endpoint = described.get((method, route.path))
            paths.setdefault(openapi_path(route.path), {})[method.lower()] = (
                _operation(endpoint) if endpoint is not None else _undescribed(route, method)
            )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Dialer — API de pilotage",
            "version": "1",
            "description": (
                "Piloter les campagnes d'appels, le registre, les agents et les équipes "
                "d'intervention. Chaque modification est inscrite au journal."
            ),
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": _schemas(
                [
                    *(e.body for e in endpoints if e.body is not None),
                    *(e.response for e in endpoints),
                    *_answers(routes),
                ]
            ),
            "securitySchemes": {
                "jeton": {"type": "http", "scheme": "bearer"},
                "session": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "dialer_session",
                    "description": "avec l'en-tête X-CSRF-Token pour toute modification",
                },
            },
        },
        "security": [{"jeton": []}, {"session": []}],
    }
