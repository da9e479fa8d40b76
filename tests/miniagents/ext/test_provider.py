"""`Provider.aconnect`: the shared client, made once per context in a worker thread."""

import asyncio
import threading

import pytest

from miniagents import LLMConfigError, MiniAgents
from miniagents.ext.llm.provider import Provider

PROVIDER = Provider("Test", "TEST_API_KEY", "TEST_BASE_URL", "json")


class _Client:
    def __init__(self) -> None:
        self.closed = 0

    async def close(self) -> None:
        self.closed += 1


class _SlowMaker:
    """Makes clients in the worker thread, holding each until `release` is set."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.release = threading.Event()
        self.made: list[_Client] = []
        self.threads: set[int] = set()

    def __call__(self, key: str, base_url: str | None) -> _Client:
        self.threads.add(threading.get_ident())
        self.started.set()
        self.release.wait()
        self.made.append(_Client())
        return self.made[-1]


async def _connect(make: _SlowMaker) -> object:
    client, _ = await PROVIDER.aconnect(api_key="k", base_url=None, client=None, params={}, create=make)
    return client


async def test_calls_that_start_together_share_one_client_made_off_the_event_loop():
    make = _SlowMaker()
    async with MiniAgents() as context:
        first, *others = [context.start_soon(_connect(make)) for _ in range(4)]
        await asyncio.to_thread(make.started.wait)
        first.cancel()  # a caller that gives up while the client is being made ...
        make.release.set()
        clients = await asyncio.gather(*others)
        assert await _connect(make) is clients[0]
    assert first.cancelled()
    assert len(make.made) == 1 and all(client is make.made[0] for client in clients)  # ... stops nothing
    assert threading.get_ident() not in make.threads
    assert make.made[0].closed == 1  # the context's exit closed it


async def test_a_client_that_could_not_be_made_is_tried_again():
    calls = []

    def make(key: str, base_url: str | None) -> _Client:
        calls.append(key)
        if len(calls) == 1:
            raise ValueError("bad base URL")
        return _Client()

    async with MiniAgents():
        with pytest.raises(ValueError, match="bad base URL"):
            await PROVIDER.aconnect(api_key="k", base_url=None, client=None, params={}, create=make)
        client, _ = await PROVIDER.aconnect(api_key="k", base_url=None, client=None, params={}, create=make)
    assert isinstance(client, _Client) and client.closed == 1 and len(calls) == 2


async def test_no_key_is_a_config_error_that_names_the_variable():
    async with MiniAgents():
        with pytest.raises(LLMConfigError, match="Set TEST_API_KEY"):
            await PROVIDER.aconnect(api_key=None, base_url=None, client=None, params={}, create=_SlowMaker())
