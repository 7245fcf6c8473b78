"""The settings' validation errors as one line for the operator, in their language: each
problem names the setting (``web.port``, ``[web] prot``) and what it takes."""

from __future__ import annotations

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from dialer.core.operator_messages import say, validation_problem


def validation_problems(error: ValidationError, settings: type[BaseModel]) -> str:
    """Every problem of ``error`` (raised validating ``settings``), on one line."""
    return say("settings.separator").join(_problem(problem, settings) for problem in error.errors())


def _problem(details: ErrorDetails, settings: type[BaseModel]) -> str:
    location = details["loc"]
    where = ".".join(str(part) for part in location)
    if details["type"] != "extra_forbidden":
        problem = validation_problem(
            details["type"], details["msg"], details.get("ctx") or {}, details.get("input")
        )
        if problem.startswith(f"{where}."):  # a section's check names its settings itself
            return problem
        return say("settings.problem", where=where, problem=problem)
    model = settings
    for part in location[:-1]:
        annotation = model.model_fields[str(part)].annotation
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            break
        model = annotation
    section = (
        say("settings.section", name=".".join(str(part) for part in location[:-1]))
        if len(location) > 1
        else say("settings.top_level")
    )
    fields = ", ".join(model.model_fields)
    return say("settings.unknown_setting", where=where, section=section, fields=fields)
