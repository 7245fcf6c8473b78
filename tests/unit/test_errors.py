from __future__ import annotations

import pytest

from dialer import errors


@pytest.mark.parametrize(
    ("error", "code", "status"),
    [
        (errors.NotFoundError("x"), 66, 404),
        (errors.InputError("x"), 65, 422),
        (errors.ConfigurationError("x"), 78, 500),
        (errors.ConflictError("x"), 75, 409),
        (errors.TooManyAttemptsError("x", retry_after_s=3), 75, 429),
        (errors.AmiTimeoutError("x"), 69, 503),
        (errors.ProvisioningError("x"), 70, 500),
        (errors.StorageError("x"), 74, 503),
        (errors.DialerError("x"), 1, 500),
    ],
)
def test_each_error_maps_to_one_exit_code_and_http_status(
    error: errors.DialerError, code: int, status: int
) -> None:
    assert errors.exit_code(error) == code
    assert errors.http_status(error) == status


def test_the_tree_drawn_in_the_docstring_names_every_error_class() -> None:
    doc = errors.__doc__ or ""
    classes = [
        value
        for value in vars(errors).values()
        if isinstance(value, type) and issubclass(value, errors.DialerError)
    ]
    assert len(classes) >= 10
    for cls in classes:
        assert cls.__name__ in doc
