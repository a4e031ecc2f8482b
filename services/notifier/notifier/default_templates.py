# Russian texts are Cyrillic on purpose: letters that look Latin are not a mistake here.
# ruff: noqa: RUF001
"""The default templates: every message of every built-in chain, on every channel, in English
and Russian.

They live in code and are what the notifier renders until a marketer saves a template of the
same name and channel: a saved template replaces the default, and nothing here ever overwrites
a marketer's edit (upgrades change only the defaults nobody replaced).

Each message is worded three ways: a subject (the email subject and the push title), a short
text (push, SMS, messenger) and a long text (the email body). The variables a chain passes:
`points` and `points_expire_at` after a `grant_bonus` step, `amount` and `expires_at` from a
`bonus.expiring` trigger, `cart` (the items) and `total` from a `cart.updated` trigger.
"""

from dataclasses import dataclass

LANGUAGES = ("en", "ru")
DEFAULT_LANGUAGE = "en"
CHANNELS = ("email", "push", "sms", "messenger")


@dataclass(frozen=True)
class Wording:
    subject: str
    short: str
    long: str


@dataclass(frozen=True)
class DefaultMessage:
    wording: dict[str, Wording]  # by language
    variables: tuple[str, ...] = ()
    category: str = "marketing"


_CART_EN = (
    "{% for item in cart %}- {{ item.quantity }} x {{ item.sku }}: "
    "{{ (item.price * item.quantity) | money }}\n{% endfor %}Total: {{ total | money }}\n"
)
_CART_RU = (
    "{% for item in cart %}- {{ item.quantity }} x {{ item.sku }}: "
    "{{ (item.price * item.quantity) | money }}\n{% endfor %}Итого: {{ total | money }}\n"
)
_LINK_EN = "\nOpen: {{ click_url }}\n\nUnsubscribe: {{ unsubscribe_url }}\n"
_LINK_RU = "\nОткрыть: {{ click_url }}\n\nОтписаться: {{ unsubscribe_url }}\n"
_POINTS = ("points", "points_expire_at")


def _ru_date(variable: str) -> str:
    """Russian texts show dates as 11.12.2026."""
    return "{{ " + variable + " | date('%d.%m.%Y') }}"


_EXPIRE_RU = _ru_date("points_expire_at")


def _en(subject: str, short: str, long: str) -> Wording:
    return Wording(subject, short, f"Hello {{{{ name }}}},\n\n{long}\n{_LINK_EN}")


def _ru(subject: str, short: str, long: str) -> Wording:
    return Wording(subject, short, f"Здравствуйте, {{{{ name }}}}!\n\n{long}\n{_LINK_RU}")


def _message(
    en: Wording, ru: Wording, *variables: str, category: str = "marketing"
) -> DefaultMessage:
    return DefaultMessage({"en": en, "ru": ru}, variables, category)


MESSAGES: dict[str, DefaultMessage] = {
    "welcome": _message(
        _en(
            "Welcome, {{ name }}!",
            "Welcome, {{ name }}! Every purchase now earns you points.",
            "welcome to our rewards programme. Every purchase now earns you bonus points.",
        ),
        _ru(
            "Добро пожаловать, {{ name }}!",
            "{{ name }}, добро пожаловать! Теперь каждая покупка приносит баллы.",
            "добро пожаловать в программу лояльности. Теперь каждая покупка приносит баллы.",
        ),
        category="transactional",
    ),
    "welcome_reminder": _message(
        _en(
            "{{ name }}, your first purchase earns points",
            "{{ name }}, your rewards are waiting: your first purchase earns points.",
            "your rewards are waiting: your first purchase earns bonus points.",
        ),
        _ru(
            "{{ name }}, первая покупка принесёт баллы",
            "{{ name }}, первая покупка принесёт вам баллы.",
            "бонусы ждут вас: первая покупка принесёт баллы на ваш счёт.",
        ),
    ),
    "second_purchase_thanks": _message(
        _en(
            "Thank you for your purchase",
            "Thank you, {{ name }}! Your purchase earned you bonus points.",
            "thank you for your purchase. It earned you bonus points for the next one.",
        ),
        _ru(
            "Спасибо за покупку",
            "Спасибо, {{ name }}! Покупка принесла вам баллы.",
            "спасибо за покупку. Она принесла вам бонусные баллы на следующую.",
        ),
    ),
    "second_purchase_usage": _message(
        _en(
            "Getting the most from your purchase",
            "{{ name }}, a few tips to get the most from your purchase.",
            "here are a few tips to get the most from your purchase.",
        ),
        _ru(
            "Как пользоваться покупкой",
            "{{ name }}, несколько советов, как пользоваться покупкой.",
            "вот несколько советов, как получить от покупки максимум.",
        ),
    ),
    "second_purchase_bonus_reminder": _message(
        _en(
            "Your points are waiting",
            "{{ name }}, your points are waiting for your next purchase.",
            "the points from your purchase are waiting: pay part of your next purchase with them.",
        ),
        _ru(
            "Ваши баллы ждут",
            "{{ name }}, ваши баллы ждут следующей покупки.",
            "баллы за покупку ждут вас: оплатите ими часть следующей.",
        ),
    ),
    "second_purchase_recommendations": _message(
        _en(
            "Picked for you",
            "{{ name }}, we picked a few things you may like.",
            "we picked a few things that go well with your purchase.",
        ),
        _ru(
            "Подобрали для вас",
            "{{ name }}, мы подобрали для вас несколько товаров.",
            "мы подобрали товары, которые хорошо дополнят вашу покупку.",
        ),
    ),
    "purchase_return_care": _message(
        _en(
            "Sorry it did not work out",
            "{{ name }}, sorry the purchase did not suit you. We are here to help.",
            "we are sorry the purchase did not suit you. Tell us what went wrong and we will "
            "help you find a better fit.",
        ),
        _ru(
            "Жаль, что не подошло",
            "{{ name }}, жаль, что покупка не подошла. Мы готовы помочь.",
            "жаль, что покупка не подошла. Расскажите, что не так, и мы поможем подобрать лучше.",
        ),
    ),
    "reactivation_offer": _message(
        _en(
            "{{ points }} points for you",
            "{{ name }}, we miss you! {{ points }} bonus points are yours until "
            "{{ points_expire_at | date }}.",
            "we miss you! We added {{ points }} bonus points to your account. Spend them by "
            "{{ points_expire_at | date }}.",
        ),
        _ru(
            "{{ points }} баллов для вас",
            f"{{{{ name }}}}, {{{{ points }}}} баллов ваши до {_EXPIRE_RU}.",
            "мы скучаем! Мы начислили вам {{ points }} бонусных баллов. Потратьте их до "
            f"{_EXPIRE_RU}.",
        ),
        *_POINTS,
    ),
    "reactivation_reminder": _message(
        _en(
            "Your {{ points }} points are waiting",
            "{{ name }}, your {{ points }} points burn on {{ points_expire_at | date }}.",
            "a reminder: your {{ points }} bonus points burn on {{ points_expire_at | date }}.",
        ),
        _ru(
            "Ваши {{ points }} баллов ждут",
            f"{{{{ name }}}}, {{{{ points }}}} баллов сгорят {_EXPIRE_RU}.",
            f"напоминаем: ваши {{{{ points }}}} бонусных баллов сгорят {_EXPIRE_RU}.",
        ),
        *_POINTS,
    ),
    "reactivation_final": _message(
        _en(
            "Last days for your {{ points }} points",
            "{{ name }}, last days to spend your {{ points }} points.",
            "these are the last days to spend your {{ points }} bonus points.",
        ),
        _ru(
            "Последние дни для ваших {{ points }} баллов",
            "{{ name }}, последние дни, чтобы потратить {{ points }} баллов.",
            "остались последние дни, чтобы потратить ваши {{ points }} бонусных баллов.",
        ),
        "points",
    ),
    "cart_reminder": _message(
        _en(
            "You left something in your cart",
            "{{ name }}, your cart is waiting: {{ total | money }}.",
            "you left these in your cart:\n\n" + _CART_EN,
        ),
        _ru(
            "Вы оставили товары в корзине",
            "{{ name }}, корзина ждёт: {{ total | money }}.",
            "вы оставили в корзине:\n\n" + _CART_RU,
        ),
        "cart",
        "total",
    ),
    "cart_push": _message(
        _en(
            "Your cart is waiting",
            "{{ name }}, {{ cart | length }} item(s) are still in your cart.",
            "{{ cart | length }} item(s) are still in your cart.\n\n" + _CART_EN,
        ),
        _ru(
            "Корзина ждёт",
            "{{ name }}, в корзине ещё товаров: {{ cart | length }}.",
            "в корзине ещё товаров: {{ cart | length }}.\n\n" + _CART_RU,
        ),
        "cart",
        "total",
    ),
    "cart_personal_offer": _message(
        _en(
            "A personal offer on your cart",
            "{{ name }}, a personal offer on your cart of {{ total | money }}.",
            "we have a personal offer on your cart:\n\n" + _CART_EN,
        ),
        _ru(
            "Персональное предложение на вашу корзину",
            "{{ name }}, персональное предложение на корзину {{ total | money }}.",
            "у нас есть персональное предложение на вашу корзину:\n\n" + _CART_RU,
        ),
        "cart",
        "total",
    ),
    "cart_last_call": _message(
        _en(
            "Last call for your cart",
            "{{ name }}, last call: your cart of {{ total | money }} is about to expire.",
            "last call: your cart is about to expire.\n\n" + _CART_EN,
        ),
        _ru(
            "Корзина скоро очистится",
            "{{ name }}, корзина на {{ total | money }} скоро очистится.",
            "корзина скоро очистится.\n\n" + _CART_RU,
        ),
        "cart",
        "total",
    ),
    "birthday_offer": _message(
        _en(
            "A birthday gift: {{ points }} points",
            "{{ name }}, your birthday is coming: {{ points }} points until "
            "{{ points_expire_at | date }}.",
            "your birthday is coming! We added {{ points }} bonus points, yours until "
            "{{ points_expire_at | date }}.",
        ),
        _ru(
            "Подарок ко дню рождения: {{ points }} баллов",
            f"{{{{ name }}}}, к дню рождения {{{{ points }}}} баллов до {_EXPIRE_RU}.",
            "скоро ваш день рождения! Мы начислили {{ points }} бонусных баллов, они ваши до "
            f"{_EXPIRE_RU}.",
        ),
        *_POINTS,
    ),
    "birthday_reminder": _message(
        _en(
            "Your birthday points are waiting",
            "{{ name }}, your {{ points }} birthday points are waiting.",
            "a reminder: your {{ points }} birthday points are waiting for you.",
        ),
        _ru(
            "Баллы ко дню рождения ждут",
            "{{ name }}, ваши {{ points }} баллов ко дню рождения ждут.",
            "напоминаем: ваши {{ points }} баллов ко дню рождения ждут вас.",
        ),
        "points",
    ),
    "birthday_greeting": _message(
        _en(
            "Happy birthday, {{ name }}!",
            "Happy birthday, {{ name }}!",
            "happy birthday! Thank you for being with us.",
        ),
        _ru(
            "С днём рождения, {{ name }}!",
            "{{ name }}, с днём рождения!",
            "с днём рождения! Спасибо, что вы с нами.",
        ),
    ),
    "quarterly_bonus": _message(
        _en(
            "{{ points }} points for a loyal customer",
            "{{ name }}, {{ points }} points are yours until {{ points_expire_at | date }}.",
            "thank you for shopping with us last quarter: {{ points }} bonus points are yours "
            "until {{ points_expire_at | date }}.",
        ),
        _ru(
            "{{ points }} баллов постоянному покупателю",
            f"{{{{ name }}}}, {{{{ points }}}} баллов ваши до {_EXPIRE_RU}.",
            "спасибо за покупки в прошлом квартале: {{ points }} бонусных баллов ваши до "
            f"{_EXPIRE_RU}.",
        ),
        *_POINTS,
    ),
    "quarterly_bonus_burning": _message(
        _en(
            "Your {{ points }} points burn soon",
            "{{ name }}, your {{ points }} points burn on {{ points_expire_at | date }}.",
            "your {{ points }} quarterly bonus points burn on {{ points_expire_at | date }}. "
            "Spend them before then.",
        ),
        _ru(
            "Ваши {{ points }} баллов скоро сгорят",
            f"{{{{ name }}}}, {{{{ points }}}} баллов сгорят {_EXPIRE_RU}.",
            f"ваши {{{{ points }}}} квартальных баллов сгорят {_EXPIRE_RU}. Успейте потратить.",
        ),
        *_POINTS,
    ),
    "points_expiring": _message(
        _en(
            "{{ amount }} points burn on {{ expires_at | date }}",
            "{{ name }}, {{ amount }} of your points burn on {{ expires_at | date }}.",
            "{{ amount }} of your bonus points burn on {{ expires_at | date }}. Spend them "
            "before then.",
        ),
        _ru(
            f"{{{{ amount }}}} баллов сгорят {_ru_date('expires_at')}",
            f"{{{{ name }}}}, {{{{ amount }}}} баллов сгорят {_ru_date('expires_at')}.",
            f"{{{{ amount }}}} ваших бонусных баллов сгорят {_ru_date('expires_at')}. "
            "Успейте потратить.",
        ),
        "amount",
        "expires_at",
    ),
}


def parts(wording: Wording, channel: str) -> tuple[str | None, str]:
    """The subject and body a channel shows: email the long text, the others the short one."""
    if channel == "email":
        return wording.subject, wording.long
    if channel == "push":
        return wording.subject, wording.short
    return None, wording.short
