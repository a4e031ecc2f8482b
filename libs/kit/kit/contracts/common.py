"""Shared vocabulary of the contracts."""

from typing import Literal

Channel = Literal["email", "sms", "push", "messenger"]
