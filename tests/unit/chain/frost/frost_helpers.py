"""Participants served in-process over real loopback websockets, and a relay that records or
rewrites what passes between the coordinator and a participant (an observer on the wire)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, serve

from chain.signers.frost.coordinator import Endpoint
from chain.signers.frost.node import Node, policy_from_file, serving_node

Rewrite = Callable[[dict[str, Any]], dict[str, Any]]


@asynccontextmanager
async def relay(upstream: str, seen: list[str], request_rewrite: Rewrite | None = None,
                reply_rewrite: Rewrite | None = None) -> AsyncIterator[str]:
    async def forward(client: ServerConnection) -> None:
        async with connect(upstream, max_size=2**22) as server:
            async for raw in client:
                message = json.loads(raw)
                if request_rewrite is not None:
                    message = request_rewrite(message)
                seen.append(json.dumps(message))
                await server.send(json.dumps(message))
                reply = json.loads(await server.recv())
                if reply_rewrite is not None:
                    reply = reply_rewrite(reply)
                seen.append(json.dumps(reply))
                await client.send(json.dumps(reply))

    async with serve(forward, "127.0.0.1", 0, max_size=2**22) as proxy:
        yield f"ws://127.0.0.1:{next(iter(proxy.sockets)).getsockname()[1]}"


@asynccontextmanager
async def in_process_nodes(directory: Path, ids: Sequence[int], policy: Path | None = None,
                           allow_messages: bool = True,
                           ) -> AsyncIterator[tuple[dict[int, Node], list[Endpoint]]]:
    directory.mkdir(parents=True, exist_ok=True)
    nodes = {i: Node(i, directory, policy_from_file(policy, allow_messages)) for i in ids}
    async with AsyncExitStack() as stack:
        endpoints = [Endpoint(i, await stack.enter_async_context(serving_node(n)),
                              n.identity.public_key.format().hex()) for i, n in nodes.items()]
        yield nodes, endpoints
