"""Fuzzed order-entry payloads against the real API server (over an Engine on an in-memory
PaperVenue): every payload is either accepted whole or refused cleanly, naming a field and a
rule, and a refused payload writes nothing to the journal."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oms_support import api_stack, paper

VALID = {"request_id": "fuzz-1", "venue": "paper", "symbol": "WETH/USDC", "side": "buy",
         "qty": "0.01", "order_type": "limit", "limit_price": "3001",
         "time_in_force": "ioc"}
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-10**30, 10**30)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=40)
    | st.sampled_from(["0", "-1", "1e400", "NaN", "Infinity", "0.0000001", "3000",
                       "buy", "sell", "market", "limit", "limit_maker", "gtc", "ioc", "fok",
                       "gtd", "paper", "WETH/USDC", "WETH/", "x" * 70]),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=10), children, max_size=3),
    max_leaves=6)


@st.composite
def payloads(draw: st.DrawFn) -> object:
    """Mostly near-valid objects (a few fields replaced, dropped or added), sometimes any
    JSON value at all."""
    if draw(st.integers(0, 9)) == 0:
        return draw(JSON_VALUES)
    body: dict[str, Any] = dict(VALID)
    body["request_id"] = f"fuzz-{draw(st.integers(0, 10**6))}"
    for key in draw(st.lists(st.sampled_from(sorted(VALID)), max_size=3, unique=True)):
        if draw(st.booleans()):
            body[key] = draw(JSON_VALUES)
        else:
            body.pop(key)
    if draw(st.integers(0, 4)) == 0:
        body[draw(st.text(min_size=1, max_size=8))] = draw(JSON_VALUES)
    return body


class _Stack:
    def __init__(self, folder: Path) -> None:
        self.runner = asyncio.Runner()
        self.server, key = self.runner.run(api_stack(folder, [paper(size="1000000")]))
        self.session = self.runner.run(self._session(key))

    async def _session(self, key: str) -> aiohttp.ClientSession:
        return aiohttp.ClientSession(self.server.url, headers={"X-API-Key": key})

    async def post(self, raw: bytes) -> tuple[int, Any]:
        async with self.session.post("/v1/orders", data=raw,
                                     headers={"Content-Type": "application/json"}) as response:
            return response.status, await response.json()

    def close(self) -> None:
        self.runner.run(self.session.close())
        self.runner.run(self.server.stop())
        self.runner.close()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Stack]:
    built = _Stack(tmp_path_factory.mktemp("api-fuzz"))
    yield built
    built.close()


@settings(derandomize=True, max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=payloads())
def test_submit_when_payload_fuzzed_then_accepted_whole_or_refused_with_nothing_written(
        stack: _Stack, body: object) -> None:
    journal = stack.server.engine.oms.journal
    before = len(journal.events())
    status, answer = stack.runner.run(stack.post(json.dumps(body).encode()))
    after = journal.events()
    if status in (400, 422):
        assert set(answer["error"]) == {"field", "rule"} and answer["error"]["rule"]
        assert len(after) == before  # nothing half-written
        return
    assert status in (200, 201), answer
    assert isinstance(body, dict) and answer["client_order_id"]
    if status == 201:
        created = [e for _, e in after[before:] if getattr(e, "kind", "") == "created"]
        assert len(created) == 1
        assert created[0].order.qty == Decimal(str(body["qty"]))
        assert created[0].order.client_order_id == answer["client_order_id"]
    assert journal.projections() == journal.replay()


@settings(derandomize=True, max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=64))
def test_submit_when_body_is_not_json_then_400_and_nothing_written(
        stack: _Stack, raw: bytes) -> None:
    journal = stack.server.engine.oms.journal
    before = len(journal.events())
    status, answer = stack.runner.run(stack.post(raw))
    assert status in (400, 422) and answer["error"]["field"] == "body"
    assert len(journal.events()) == before
