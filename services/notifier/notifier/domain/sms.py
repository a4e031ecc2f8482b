"""SMS length rules: GSM-7 (160 alone, 153 per part) or UCS-2 (70 alone, 67 per part)."""

import math
from dataclasses import dataclass

_GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Characters of the extension table take two septets (escape + character).
_GSM_EXTENSION = "^{}\\[~]|€\f"


@dataclass(frozen=True)
class SmsLength:
    encoding: str  # "gsm7" or "ucs2"
    units: int  # septets for GSM-7, UTF-16 code units for UCS-2
    segments: int

    def cost(self, per_segment: int) -> int:
        return self.segments * per_segment

    @property
    def warning(self) -> str | None:
        if self.segments > 1:
            return f"the text takes {self.segments} SMS segments and costs as many messages"
        return None


def measure(text: str) -> SmsLength:
    if all(ch in _GSM_BASIC or ch in _GSM_EXTENSION for ch in text):
        units = sum(2 if ch in _GSM_EXTENSION else 1 for ch in text)
        return SmsLength("gsm7", units, _segments(units, single=160, part=153))
    units = len(text.encode("utf-16-le")) // 2
    return SmsLength("ucs2", units, _segments(units, single=70, part=67))


def _segments(units: int, single: int, part: int) -> int:
    if units <= single:
        return 1
    return math.ceil(units / part)
