"""A small async JSON-RPC client over aiohttp: the exact node calls the manager needs, with the
node's error object kept whole (revert data and codes matter here).

Transport failures raise `RpcUnreachable` (retryable); a JSON-RPC error answer raises `RpcError`
carrying `code`, `message` and `data` so callers can decide what it means.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

import aiohttp

from chain.errors import RpcUnreachable, TerminalChainError

BlockTag = str | int


class RpcError(TerminalChainError):
    """The node answered with a JSON-RPC error object."""

    def __init__(self, method: str, error: Mapping[str, Any]) -> None:
        self.method = method
        self.code = int(error.get("code", 0))
        self.node_message = str(error.get("message", ""))
        self.error = dict(error)
        super().__init__(f"{method}: {self.node_message} (code {self.code})")


def _tag(block: BlockTag) -> str:
    return hex(block) if isinstance(block, int) else block


class JsonRpc:
    """Async JSON-RPC over HTTP to one node; close it (or use `async with`) when done."""

    def __init__(self, url: str, timeout_s: float = 30.0) -> None:
        self.url = url
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: aiohttp.ClientSession | None = None
        self._ids = itertools.count(1)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> JsonRpc:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    async def request(self, method: str, params: list[Any]) -> Any:
        """The `result` of `method`; raises RpcError on an error answer."""
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        body = {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": params}
        try:
            async with self._session.post(self.url, json=body) as response:
                answer = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise RpcUnreachable(self.url, f"{method}: {exc}") from exc
        if "error" in answer:
            raise RpcError(method, answer["error"])
        return answer.get("result")

    async def chain_id(self) -> int:
        return int(await self.request("eth_chainId", []), 16)

    async def block_number(self) -> int:
        return int(await self.request("eth_blockNumber", []), 16)

    async def nonce(self, address: str, block: BlockTag) -> int:
        return int(await self.request("eth_getTransactionCount", [address, _tag(block)]), 16)

    async def fee_history(self, blocks: int, percentile: int) -> dict[str, Any]:
        history: dict[str, Any] = await self.request(
            "eth_feeHistory", [hex(blocks), "latest", [percentile]])
        return history

    async def gas_price(self) -> int:
        return int(await self.request("eth_gasPrice", []), 16)

    async def call(self, call: Mapping[str, Any], block: BlockTag) -> bytes:
        result: str = await self.request("eth_call", [dict(call), _tag(block)])
        return bytes.fromhex(result[2:])

    async def estimate_gas(self, call: Mapping[str, Any], block: BlockTag) -> int:
        return int(await self.request("eth_estimateGas", [dict(call), _tag(block)]), 16)

    async def send_raw(self, raw: bytes) -> str:
        tx_hash: str = await self.request("eth_sendRawTransaction", ["0x" + raw.hex()])
        return tx_hash

    async def receipt(self, tx_hash: str) -> dict[str, Any] | None:
        receipt: dict[str, Any] | None = await self.request(
            "eth_getTransactionReceipt", [tx_hash])
        return receipt

    async def transaction(self, tx_hash: str) -> dict[str, Any] | None:
        found: dict[str, Any] | None = await self.request("eth_getTransactionByHash", [tx_hash])
        return found

    async def block_hash(self, number: int) -> str | None:
        block = await self.request("eth_getBlockByNumber", [hex(number), False])
        return None if block is None else str(block["hash"])
