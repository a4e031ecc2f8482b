"""Message templates, rendered in a sandbox where a missing variable is an error."""

from dataclasses import dataclass
from typing import Any

from jinja2 import StrictUndefined, UndefinedError
from jinja2.sandbox import SandboxedEnvironment

from kit.errors import DomainError, NotFound

_env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)


@dataclass(frozen=True)
class EmailTemplate:
    subject: str
    text: str


BUILT_IN: dict[str, EmailTemplate] = {
    "welcome": EmailTemplate(
        subject="Welcome, {{ name }}!",
        text="Hello {{ name }},\n\nwelcome to our rewards programme. "
        "Every purchase now earns you bonus points.\n",
    ),
    "welcome_reminder": EmailTemplate(
        subject="{{ name }}, your first purchase earns double",
        text="Hello {{ name }},\n\nyour rewards are waiting: your first purchase earns points.\n",
    ),
}


class TemplateNotFound(NotFound):
    code = "template_not_found"
    title = "No template with this name"


class TemplateVariableMissing(DomainError):
    code = "template_variable_missing"
    status = 422
    title = "A variable the template needs is missing"


def render_email(name: str, variables: dict[str, Any]) -> EmailTemplate:
    template = BUILT_IN.get(name)
    if template is None:
        raise TemplateNotFound(f"unknown template {name!r}")
    try:
        return EmailTemplate(
            subject=_env.from_string(template.subject).render(variables),
            text=_env.from_string(template.text).render(variables),
        )
    except UndefinedError as exc:
        raise TemplateVariableMissing(str(exc)) from exc
