"""Temporal client factory with the pydantic data converter and, when on, tracing."""

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from kit.tracing import temporal_interceptors


async def connect_temporal(address: str, namespace: str = "default") -> Client:
    return await Client.connect(
        address,
        namespace=namespace,
        data_converter=pydantic_data_converter,
        # Workers made from this client take the interceptor too: one setting covers both.
        interceptors=temporal_interceptors(),
    )
