"""Message templates per channel, rendered in a sandbox where a missing variable is an error.

A template may use the personalization vocabulary below plus the variables it declares; any
other name is refused when the template is saved, so nothing renders blank at send time.
"""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError, meta
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from kit.errors import DomainError, NotFound
from notifier.default_templates import CHANNELS, DEFAULT_LANGUAGE, MESSAGES, parts


def _date(value: str | datetime | date, pattern: str = "%d %b %Y") -> str:
    """An ISO date or time (as events carry them) shown as a date."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.strftime(pattern)


def _money(minor_units: int) -> str:
    """Minor units as a decimal amount: 123450 -> 1234.50."""
    units, cents = divmod(int(minor_units), 100)
    return f"{units}.{cents:02d}"


_env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
_env.filters["date"] = _date
_env.filters["money"] = _money

# Filled by the notifier for every message; the caller supplies the rest in `variables`.
PROVIDED = frozenset({"name", "click_url", "unsubscribe_url"})
# What chains and campaigns usually pass: balance, expiring points and date, offer, links.
VOCABULARY = PROVIDED | {"balance", "expiring_points", "expiring_date", "offer", "link"}


@dataclass(frozen=True)
class MessageTemplate:
    channel: str
    subject: str | None  # the email subject or the push title
    body: str
    category: str = "marketing"  # transactional messages bypass the communication policy
    variables: tuple[str, ...] = ()  # what the caller must pass beyond the vocabulary


@dataclass(frozen=True)
class Rendered:
    subject: str | None
    body: str


def default_template(name: str, channel: str, language: str) -> MessageTemplate | None:
    """The shipped default in the customer's language (else English), or None."""
    message = MESSAGES.get(name)
    if message is None or channel not in CHANNELS:
        return None
    wording = message.wording.get(language) or message.wording[DEFAULT_LANGUAGE]
    subject, body = parts(wording, channel)
    return MessageTemplate(channel, subject, body, message.category, message.variables)


class TemplateNotFound(NotFound):
    code = "template_not_found"
    title = "No template with this name for this channel"


class TemplateVariableMissing(DomainError):
    code = "template_variable_missing"
    status = 422
    title = "A variable the template needs is missing"


class TemplateInvalid(DomainError):
    code = "template_invalid"
    status = 422
    title = "The template cannot be parsed"


def undeclared_names(source: str) -> set[str]:
    try:
        return set(meta.find_undeclared_variables(_env.parse(source)))
    except TemplateSyntaxError as exc:
        raise TemplateInvalid(f"line {exc.lineno}: {exc.message}") from exc


def check_names(parts: list[str], declared: list[str]) -> None:
    """At save time: every name used is known, else the template is refused."""
    used = set().union(*(undeclared_names(part) for part in parts))
    unknown = sorted(used - VOCABULARY - set(declared))
    if unknown:
        raise TemplateVariableMissing(f"unknown variables: {', '.join(unknown)}", variables=unknown)


def render(template: MessageTemplate, variables: dict[str, Any]) -> Rendered:
    try:
        subject = _env.from_string(template.subject).render(variables) if template.subject else None
        return Rendered(subject, _env.from_string(template.body).render(variables))
    except UndefinedError as exc:
        raise TemplateVariableMissing(str(exc)) from exc
    except (TypeError, ValueError) as exc:  # a filter given the wrong kind of value
        raise TemplateVariableMissing(f"a variable has the wrong type: {exc}") from exc
    except SecurityError as exc:
        raise TemplateInvalid(str(exc)) from exc
