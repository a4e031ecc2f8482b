import pytest

from notifier.templates import (
    MessageTemplate,
    TemplateInvalid,
    TemplateVariableMissing,
    check_names,
    render,
)


def test_a_template_using_an_unknown_name_is_refused_at_save_time() -> None:
    check_names(["Hi {{ name }}, {{ balance }} points until {{ expiring_date }}"], [])
    check_names(["Your code: {{ code }}"], ["code"])
    with pytest.raises(TemplateVariableMissing) as refused:
        check_names(["Hi {{ name }}, {{ coupon }}"], [])
    assert refused.value.extra["variables"] == ["coupon"]
    with pytest.raises(TemplateInvalid):
        check_names(["Hi {{ name "], [])


def test_rendering_is_sandboxed_and_strict() -> None:
    template = MessageTemplate("sms", None, "{{ name }}: {{ balance }}")
    assert render(template, {"name": "Anna", "balance": 120}).body == "Anna: 120"
    with pytest.raises(TemplateVariableMissing):
        render(template, {"name": "Anna"})
    unsafe = MessageTemplate("sms", None, "{{ name.__class__.__mro__ }}")
    with pytest.raises((TemplateInvalid, TemplateVariableMissing)):
        render(unsafe, {"name": "Anna"})
