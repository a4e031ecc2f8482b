"""Events segments publishes: membership changes, only on real change."""

from typing import Literal

from kit.events import Event, Payload


class SegmentMembershipPayload(Payload):
    segment_id: str
    segment_version: int
    segment_name: str


class SegmentEntered(Event):
    source = "segments"
    type: Literal["segment.entered"] = "segment.entered"
    version: Literal[1] = 1
    payload: SegmentMembershipPayload


class SegmentExited(Event):
    source = "segments"
    type: Literal["segment.exited"] = "segment.exited"
    version: Literal[1] = 1
    payload: SegmentMembershipPayload


EVENTS: tuple[type[Event], ...] = (SegmentEntered, SegmentExited)
