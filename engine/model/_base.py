"""The base of every domain value: frozen, closed to unknown fields, typed errors."""

from __future__ import annotations

from typing import Any, Self

from pydantic import BaseModel, ConfigDict, ValidationError

from engine.errors import InvalidValue


class DomainModel(BaseModel):
    """Frozen, strict about unknown fields, and raising `InvalidValue` naming the field.

    Validators of subclasses raise `InvalidValue` themselves when a rule spans fields, so the
    error names the field to change rather than the model.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as error:
            raise _invalid_value(error, type(self).__name__) from None

    @classmethod
    def from_json(cls, payload: str | bytes) -> Self:
        """The model a JSON payload describes; errors as `InvalidValue`."""
        try:
            return cls.model_validate_json(payload)
        except ValidationError as error:
            raise _invalid_value(error, cls.__name__) from None


def _invalid_value(error: ValidationError, model_name: str) -> InvalidValue:
    first = error.errors()[0]
    field = ".".join(str(part) for part in first["loc"]) or model_name
    return InvalidValue(field, first["msg"])
