"""The REST + WebSocket API over an Engine on PaperVenues (engine.oms, in memory), through a
real aiohttp server on loopback and a real HTTP client."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from engine.api import ApiKeys, hash_key

from oms_support import api_stack

ORDER = {"request_id": "r-1", "venue": "paper", "symbol": "WETH/USDC", "side": "buy",
         "qty": "1.5"}


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[tuple[Any, aiohttp.ClientSession]]:
    server, key = await api_stack(tmp_path)
    async with aiohttp.ClientSession(server.url, headers={"X-API-Key": key}) as session:
        yield server, session
    await server.stop()


async def test_submit_when_valid_then_filled_and_idempotent_on_request_id(
        api: tuple[Any, aiohttp.ClientSession]) -> None:
    _, session = api
    async with session.post("/v1/orders", json=ORDER) as response:
        assert response.status == 201
        order = await response.json()
    assert order["status"] == "filled" and order["filled_qty"] == "1.5"
    async with session.post("/v1/orders", json=ORDER) as again:
        assert again.status == 200
        assert (await again.json())["client_order_id"] == order["client_order_id"]
    async with session.get(f"/v1/orders/{order['client_order_id']}") as status:
        assert (await status.json())["status"] == "filled"
    async with session.get("/v1/positions") as positions:
        assert (await positions.json())["total"] == {"WETH/USDC": "1.5"}


@pytest.mark.parametrize(("change", "field"), [
    ({"qty": 1.5}, "body"),  # a float for money
    ({"qty": "-1"}, "qty"),
    ({"side": "long"}, "side"),
    ({"order_type": "limit"}, "body"),  # limit without a price
    ({"surprise": 1}, "surprise"),
    ({"request_id": "has space"}, "request_id"),
    ({"venue": "nowhere"}, "venue"),
])
async def test_submit_when_payload_breaks_a_rule_then_422_naming_the_field_and_nothing_written(
        api: tuple[Any, aiohttp.ClientSession], change: dict[str, object], field: str) -> None:
    server, session = api
    async with session.post("/v1/orders", json={**ORDER, **change}) as response:
        assert response.status == 422
        error = (await response.json())["error"]
    assert error["field"] == field and error["rule"]
    assert server.engine.oms.journal.events() == []


async def test_request_when_key_missing_or_wrong_then_401(
        api: tuple[Any, aiohttp.ClientSession]) -> None:
    server, _ = api
    async with aiohttp.ClientSession(server.url) as anonymous:
        async with anonymous.post("/v1/orders", json=ORDER) as response:
            assert response.status == 401
        async with anonymous.get("/v1/orders", headers={"X-API-Key": "cbk_guess"}) as wrong:
            assert wrong.status == 401


async def test_events_when_subscribed_then_every_order_event_arrives(
        api: tuple[Any, aiohttp.ClientSession]) -> None:
    _, session = api
    async with session.ws_connect("/v1/events") as socket:
        async with session.post("/v1/orders", json=ORDER) as response:
            assert response.status == 201
        kinds, status = [], ""
        while status != "filled":
            message = await asyncio.wait_for(socket.receive_json(), 5)
            kinds.append(message["event"]["kind"])
            status = message["order"]["status"]
    assert kinds[0] == "created" and "filled" in kinds


async def test_algo_when_started_over_rest_then_progress_and_pause(
        api: tuple[Any, aiohttp.ClientSession]) -> None:
    server, session = api
    params = {"symbol": "WETH/USDC", "side": "buy", "qty": "1", "duration_ns": 10**12,
              "slices": 10}
    async with session.post("/v1/algos/twap", json={"parent_id": "t-1",
                                                    "params": params}) as response:
        assert response.status == 202
    async with session.post("/v1/algos/t-1/pause") as paused:
        assert (await paused.json())["state"] == "paused"
    async with session.get("/v1/algos/t-1") as progress:
        assert (await progress.json())["filled"] == "0.1"  # the first slice went at once
    async with session.post("/v1/algos/twap", json={"parent_id": "t-1",
                                                    "params": params}) as again:
        assert again.status == 422
    async with session.delete("/v1/orders/t-1") as canceled:
        assert (await canceled.json())["state"] == "canceled"
    async with session.post("/v1/algos/twap", json={"parent_id": "t-2", "params": {
            **params, "slices": 0}}) as bad:
        assert bad.status == 422 and (await bad.json())["error"]["field"] == "slices"
    await server.engine.close()


def test_api_keys_when_saved_then_only_hashes_on_disk(tmp_path: Path) -> None:
    keys = ApiKeys()
    key = keys.issue("desk")
    keys.save(tmp_path / "keys.json")
    text = (tmp_path / "keys.json").read_text()
    assert key not in text and hash_key(key) in text
    loaded = ApiKeys.load(tmp_path / "keys.json")
    assert loaded.who(key) == "desk" and loaded.who(key + "x") is None
    assert key not in repr(loaded)
