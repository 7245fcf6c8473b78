"""The OpenAPI document leaves nothing untyped: every successful answer of every
``/api/v1`` operation has a schema with declared fields, every query parameter a handler
reads is a declared, typed parameter of its operation, and every request body a handler
reads is declared with its model."""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pydantic import BaseModel
from starlette.requests import Request
from starlette.routing import Route

from dialer.web import api_models
from dialer.web.api_models import PageQuery
from dialer.web.api_responses import page_of
from dialer.web.openapi import PREFIX, openapi_path
from tests.web.steering_support import SteerRig, steer

__all__ = ["steer"]

REF = "#/components/schemas/"


def untyped(schema: dict[str, Any], schemas: dict[str, Any]) -> bool:
    """No schema, a bare object, or a reference to a model without fields."""
    if not schema:
        return True
    if "$ref" in schema:
        return untyped(schemas[schema["$ref"].removeprefix(REF)], schemas)
    if schema.get("type") == "object":
        return not schema.get("properties") and not schema.get("additionalProperties")
    return False


def _functions(module_tree: ast.Module) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
    return {
        node.name: node
        for node in module_tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }


def _reached(handler: Callable[..., Any]) -> Iterator[ast.AST]:
    """The handler's body and the bodies of its module's functions it calls (transitively)."""
    handler = inspect.unwrap(handler)
    module = inspect.getmodule(handler)
    assert module is not None
    functions = _functions(ast.parse(inspect.getsource(module)))
    own = ast.parse(textwrap.dedent(inspect.getsource(handler)))
    seen: set[str] = set()
    todo: list[ast.AST] = [own]
    while todo:
        tree = todo.pop()
        for node in ast.walk(tree):
            yield node
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                name = node.func.id
                if name in functions and name not in seen:
                    seen.add(name)
                    todo.append(functions[name])


def _fields(model: type[BaseModel]) -> set[str]:
    return {info.alias or name for name, info in model.model_fields.items()}


def read_query_parameters(handler: Callable[..., Any]) -> set[str]:
    """The query parameters a handler reads: ``query_params.get("x")``,
    ``query_params["x"]``, a page (``page_of``) or a query model (``parse_query``); any
    other use of ``query_params`` fails (the scan could not tell what it reads)."""
    names: set[str] = set()
    uses, followed = 0, 0
    for node in _reached(handler):
        if isinstance(node, ast.Attribute) and node.attr == "query_params":
            uses += 1
        key: ast.expr | None = None
        target: ast.expr | None = None
        if isinstance(node, ast.Subscript):
            target, key = node.value, node.slice
        elif not isinstance(node, ast.Call):
            continue
        elif isinstance(node.func, ast.Attribute) and node.func.attr == "get":
            target, key = node.func.value, (node.args[0] if node.args else None)
        elif isinstance(node.func, ast.Name) and node.func.id == "page_of":
            names |= _fields(PageQuery)
        elif isinstance(node.func, ast.Name) and node.func.id == "parse_query":
            model, params = node.args
            assert isinstance(model, ast.Name), ast.unparse(node)
            names |= _fields(getattr(api_models, model.id))
            followed += isinstance(params, ast.Attribute) and params.attr == "query_params"
        if isinstance(target, ast.Attribute) and target.attr == "query_params":
            assert isinstance(key, ast.Constant), f"read by a computed name: {ast.unparse(node)}"
            names.add(str(key.value))
            followed += 1
    assert uses == followed, f"{handler.__name__}: query_params used in a way the scan misses"
    return names


#: what reads a request's body: the typed readers, and Starlette's own
BODY_READERS = frozenset({"request_body", "parse_body", "read_json"})
BODY_METHODS = frozenset({"body", "json", "form", "stream"})


def reads_body(handler: Callable[..., Any]) -> bool:
    for node in _reached(handler):
        if not isinstance(node, ast.Call):
            continue
        if isinstance(node.func, ast.Name) and node.func.id in BODY_READERS:
            return True
        if isinstance(node.func, ast.Attribute) and node.func.attr in BODY_METHODS:
            owner = node.func.value
            if isinstance(owner, ast.Name) and owner.id == "request":
                return True
    return False


def body_declared(operation: dict[str, Any], schemas: dict[str, Any]) -> bool:
    """The operation declares its request body: a model with fields, or a file upload."""
    content = operation.get("requestBody", {}).get("content", {})
    return any(
        media == "multipart/form-data" or not untyped(c.get("schema", {}), schemas)
        for media, c in content.items()
    )


def _sample_helper(request: Request) -> str | None:
    return request.query_params.get("cycle")


async def _sample_handler(request: Request) -> str:
    page_of(request)
    _sample_helper(request)
    return request.query_params["q"]


def _sample_opaque(request: Request) -> dict[str, str]:
    return dict(request.query_params)


def test_the_scan_finds_what_a_handler_reads() -> None:
    """The scan itself: direct reads, reads in a called helper, pages; an opaque use fails."""
    assert read_query_parameters(_sample_handler) == {"q", "cycle", "limit", "offset"}
    with pytest.raises(AssertionError, match="the scan misses"):
        read_query_parameters(_sample_opaque)
    assert reads_body(_sample_body_reader)
    assert not reads_body(_sample_handler)


async def _sample_body_reader(request: Request) -> bytes:
    return await request.body()


@pytest.mark.asyncio
async def test_no_answer_is_untyped_and_no_query_parameter_undeclared(steer: SteerRig) -> None:
    document = (await steer.http.get("/api/v1/openapi.json")).json()
    schemas = document["components"]["schemas"]
    untyped_answers = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, answer in operation["responses"].items():
                if not status.startswith("2"):
                    continue
                for media, content in answer.get("content", {}).items():
                    if media == "application/json" and untyped(content.get("schema", {}), schemas):
                        untyped_answers.append(f"{method.upper()} {path} {status}")
    undeclared = []
    bodies = []
    for route in steer.app.routes:
        if not isinstance(route, Route) or not route.path.startswith(PREFIX):
            continue
        operations = document["paths"].get(openapi_path(route.path), {})
        for method in (route.methods or set()) - {"HEAD"}:
            operation = operations.get(method.lower())
            if operation is None:
                continue  # the document and its page
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
            for p in operation.get("parameters", []):
                assert p["schema"].get("type") or p["schema"].get("anyOf"), (route.path, p)
            read = read_query_parameters(route.endpoint)
            undeclared += [f"{method} {route.path} ?{name}" for name in sorted(read - declared)]
            if reads_body(route.endpoint) and not body_declared(operation, schemas):
                bodies.append(f"{method} {route.path}")
    assert untyped_answers == [], untyped_answers
    assert undeclared == [], undeclared
    assert bodies == [], bodies
