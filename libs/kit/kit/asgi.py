"""Small pieces shared by the platform's ASGI middlewares."""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from starlette.types import Message, Send


class StatusNoting:
    """An ASGI ``send`` that passes every message on and notes the status the answer started
    with; ``status`` is ``unanswered`` until then (the app raised, or has not answered yet)."""

    __slots__ = ("_send", "status")

    def __init__(self, send: "Send", unanswered: int) -> None:
        self._send = send
        self.status = unanswered

    async def __call__(self, message: "Message") -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
        await self._send(message)
