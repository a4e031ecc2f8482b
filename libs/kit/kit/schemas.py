"""`StrictModel`: the base of every request body the platform accepts.

JSON is taken as written: a number only where the schema says integer or number (`"1000"` is
not a price), a boolean only as `true`/`false` (`0` is not a consent), a string only as a
string; unknown fields are refused; and no number beyond JSON's safe integers (2^53 - 1) gets
in, whatever the field. Types that JSON can only carry as strings (dates, times, UUIDs,
decimals, enums) are still read from their strings: pydantic's strict mode would refuse them,
since FastAPI validates the parsed body rather than its JSON text.
"""

import typing
from datetime import date, time, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    FutureDate,
    FutureDatetime,
    NaiveDatetime,
    PastDate,
    PastDatetime,
    model_validator,
)
from pydantic.types import Strict

MAX_SAFE_INTEGER = 2**53 - 1
# Carried in JSON as strings; read leniently from them (see the module's docstring).
FROM_STRINGS: tuple[type, ...] = (
    date,  # and datetime, its subclass
    time,
    timedelta,
    UUID,
    Decimal,
    Enum,
    AwareDatetime,
    NaiveDatetime,
    PastDate,
    FutureDate,
    PastDatetime,
    FutureDatetime,
)


def _read_from_strings(annotation: object) -> bool:
    if isinstance(annotation, type) and issubclass(annotation, FROM_STRINGS):
        return True
    return any(_read_from_strings(arg) for arg in typing.get_args(annotation))


def _too_large(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return abs(value) > MAX_SAFE_INTEGER
    if isinstance(value, dict):
        return any(_too_large(item) for item in value.values())
    if isinstance(value, list):
        return any(_too_large(item) for item in value)
    return False


class StrictModel(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        lenient = [
            field
            for field in cls.model_fields.values()
            if _read_from_strings(field.annotation)
            and not any(isinstance(rule, Strict) for rule in field.metadata)
        ]
        for field in lenient:
            field.metadata.append(Strict(False))
        if lenient:
            cls.model_rebuild(force=True)

    @model_validator(mode="before")
    @classmethod
    def _safe_numbers(cls, data: Any) -> Any:
        if _too_large(data):
            raise ValueError(f"numbers must lie within ±{MAX_SAFE_INTEGER} (2^53 - 1)")
        return data
