"""What loyalty publishes (through its outbox); it consumes nothing."""

from kit.contracts import MemberRegistered

PUBLISHES = (MemberRegistered,)
