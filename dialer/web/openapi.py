"""The REST API's OpenAPI 3.1 document, generated from the application's route table (every
``/api/v1`` route), described by the endpoint table (:data:`dialer.web.api.ENDPOINTS`:
summary, roles, body) and the request bodies' pydantic JSON schemas. A ``/api/v1`` route
of another module, absent from the table, is documented from its handler's docstring."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from starlette.routing import BaseRoute, Route

from dialer.web.access import MAX_ID_DIGITS, roles_of
from dialer.web.api_models import BODIES

if TYPE_CHECKING:
    from dialer.web.api import Endpoint

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


def openapi_path(path: str) -> str:
    """Starlette's ``/x/{id:id}`` as OpenAPI's ``/x/{id}``."""
    return PATH_PARAMETER.sub(lambda m: "{" + m.group(1) + "}", path)


def _schemas() -> dict[str, Any]:
    schemas: dict[str, Any] = {
        "Error": {
            "type": "object",
            "properties": {"erreur": {"type": "string"}},
            "required": ["erreur"],
        }
    }
    for model in BODIES:
        schema = model.model_json_schema(ref_template=REF)
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    return schemas


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
    for query in endpoint.query:
        schema: dict[str, Any] = {"type": "string"}
        if query.format:
            schema["format"] = query.format
        parameters.append(
            {"name": query.name, "in": "query", "required": False, "schema": schema,
             "description": query.description}
        )  # fmt: skip
    success = "201" if endpoint.created else "200"
    operation: dict[str, Any] = {
        "operationId": endpoint.handler.__name__,
        "summary": endpoint.summary,
        "tags": [endpoint.tag],
        "description": "Rôles : " + ", ".join(role.value for role in roles_of(endpoint.action)),
        "responses": {
            success: {
                "description": "Réussi",
                "content": {"application/json": {"schema": {}}},
            },
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
            "content": {"application/json": {"schema": {}}},
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
        operation["requestBody"] = {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "file": {
                                "type": "string",
                                "contentMediaType": "application/octet-stream",
                            },
                            "mapping": {"type": "string", "contentMediaType": "application/toml"},
                            "dry_run": {"type": "boolean"},
                        },
                        "required": ["file"],
                    }
                }
            },
        }
    return operation


def _undescribed(route: Route, method: str) -> dict[str, Any]:
    doc = (getattr(route.endpoint, "__doc__", None) or "").strip()
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
        "summary": doc.splitlines()[0] if doc else route.path,
        "responses": {
            "200": {"description": "Réussi", "content": {"application/json": {"schema": {}}}},
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
    if parameters:
        operation["parameters"] = parameters
    return operation


def document(routes: Sequence[BaseRoute], endpoints: Sequence[Endpoint]) -> dict[str, Any]:
    """The document of every ``/api/v1`` route of ``routes`` (but the document's own)."""
    described = {(e.method, e.path): e for e in endpoints}
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        if not isinstance(route, Route) or not route.path.startswith(PREFIX):
            continue
        if route.path.endswith("/openapi.json"):
            continue
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
            "schemas": _schemas(),
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
