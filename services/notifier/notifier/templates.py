"""Message templates per channel, rendered in a sandbox where a missing variable is an error.

A template may use the personalization vocabulary below plus the variables it declares; any
other name is refused when the template is saved, so nothing renders blank at send time.
"""

from dataclasses import dataclass
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError, meta
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from kit.errors import DomainError, NotFound

_env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)

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


@dataclass(frozen=True)
class Rendered:
    subject: str | None
    body: str


_WELCOME = "Hello {{ name }},\n\nwelcome to our rewards programme. "
_WELCOME += "Every purchase now earns you bonus points.\n"
_REMINDER = "Hello {{ name }},\n\nyour rewards are waiting: your first purchase earns points.\n"

BUILT_IN: dict[tuple[str, str], MessageTemplate] = {
    # A welcome answers the customer's own registration: transactional.
    ("welcome", "email"): MessageTemplate(
        "email", "Welcome, {{ name }}!", _WELCOME, "transactional"
    ),
    ("welcome", "push"): MessageTemplate(
        "push", "Welcome!", "Welcome, {{ name }}!", "transactional"
    ),
    ("welcome", "sms"): MessageTemplate("sms", None, "Welcome, {{ name }}!", "transactional"),
    ("welcome_reminder", "email"): MessageTemplate(
        "email", "{{ name }}, your first purchase earns double", _REMINDER
    ),
    ("welcome_reminder", "push"): MessageTemplate(
        "push", "Your rewards are waiting", "{{ name }}, your first purchase earns points."
    ),
    ("welcome_reminder", "sms"): MessageTemplate(
        "sms", None, "{{ name }}, your first purchase earns points."
    ),
}


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
    except SecurityError as exc:
        raise TemplateInvalid(str(exc)) from exc
