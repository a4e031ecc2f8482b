"""Events the gateway (app events) publishes."""

from kit.events import Event

EVENTS: tuple[type[Event], ...] = ()
