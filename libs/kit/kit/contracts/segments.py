"""Events segments publishes."""

from kit.events import Event

EVENTS: tuple[type[Event], ...] = ()
