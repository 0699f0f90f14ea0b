"""FROST as a Safe owner on the devnet, end to end with real processes.

A 3-of-5 DKG runs across five participant processes (websockets on loopback, a coordinator
relaying sealed messages). The group key becomes a FrostOwner contract, an owner of a Safe
made by `deploy_safe`, and the Safe swaps USDC for WETH through our SwapExecutor, signed by
different sets of three participants. With two participants down it still signs; a share
altered on the wire is caught and its sender named; a nonce is never used twice; and every
participant refuses, by its own GuardPolicy, a transaction outside the rules.
"""

from __future__ import annotations

import asyncio
import json
import os
import stat
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_abi.abi import encode as abi_encode
from web3 import Web3
from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, serve

from chain.signers import LocalKeySigner, SigningRefused, SigningRequest
from chain.signers.calldata import selector_of
from chain.signers.frost import core, wire
from chain.signers.frost.coordinator import (
    Coordinator,
    Endpoint,
    NodeProcess,
    run_dkg,
    start_node,
)
from chain.signers.frost.keys import GroupKey
from chain.signers.frost.owner import FrostSigner, deploy_frost_owner
from chain.wallet import (
    Call,
    HopKind,
    Route,
    SafeWallet,
    deploy_safe,
    fills_from_receipt,
    single_hop_legs,
    swap_calls,
)
from connectors.amm.venue import amm_venues_from_manifest

pytestmark = pytest.mark.integration

USDC = 10**6
SWAP_IN = 50_000 * USDC
CAP = 100_000 * USDC
EXECUTE = selector_of("execute((address,address,((uint8,address)[],bool,uint256)[],uint256,"
                      "uint256,uint256))")


@dataclass
class Cluster:
    directory: Path
    policy: Path
    nodes: dict[int, NodeProcess]
    group: GroupKey

    def endpoints(self, *ids: int) -> list[Endpoint]:
        return [self.nodes[i].endpoint for i in (ids or sorted(self.nodes))]

    def restart(self, identifier: int) -> None:
        self.nodes[identifier].stop()
        self.nodes[identifier] = start_node(identifier, self.directory, self.policy)


@pytest.fixture(scope="module")
def cluster(devnet: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """Five participant processes after a 3-of-5 DKG; each reviews with the guard's rules."""
    directory = tmp_path_factory.mktemp("frost")
    usdc = devnet["tokens"]["USDC"]["address"]
    executor = devnet["execution"]["swap_executor"]
    policy = directory / "policy.json"
    policy.write_text(json.dumps({
        "allowed_calls": {executor: [EXECUTE], usdc: [selector_of("approve(address,uint256)"),
                                                      selector_of("transfer(address,uint256)")]},
        "spenders": [executor],
        "token_caps": {usdc: CAP}, "multisend": devnet["safe"]["multi_send_call_only"],
        "chain_ids": [Web3(Web3.HTTPProvider(devnet["rpc_url"])).eth.chain_id],
    }))
    nodes: dict[int, NodeProcess] = {}
    try:
        for i in range(1, 6):
            nodes[i] = start_node(i, directory, policy)
        group = asyncio.run(run_dkg([n.endpoint for n in nodes.values()], 3))
        yield Cluster(directory, policy, nodes, group)
    finally:
        for node in nodes.values():
            node.stop()


@dataclass
class Desk:
    w3: Web3
    devnet: dict[str, Any]
    wallet: SafeWallet
    frost_owner: str
    ecdsa: LocalKeySigner
    relayer: str

    def token(self, symbol: str) -> Any:
        return self.w3.eth.contract(address=self.devnet["tokens"][symbol]["address"],
                                    abi=self.devnet["abis"]["TestERC20"])

    def signer(self, cluster: Cluster, *ids: int) -> FrostSigner:
        # Offline participants refuse connections at once; the timeout only bounds a slow
        # answer (a loaded CI machine fsyncing the nonce ledger), so it is generous.
        return FrostSigner("frost", self.frost_owner,
                           Coordinator(cluster.group, cluster.endpoints(*ids), timeout_s=20.0))

    def swap(self) -> list[Call]:
        venues = amm_venues_from_manifest(self.w3, self.devnet)
        pool = venues.by_name("uniswap_v3:WETH/USDC:500").spec.address
        route = Route(self.token("USDC").address, self.token("WETH").address,
                      single_hop_legs([(HopKind.UNISWAP_V3, pool, SWAP_IN)], True),
                      min_amount_out=1, max_amount_in=SWAP_IN, deadline=2**32 - 1)
        executor = Web3.to_checksum_address(self.devnet["execution"]["swap_executor"])
        return swap_calls(self.w3, executor, route)

    def transfer(self, to: str, amount: int) -> list[Call]:
        data = bytes.fromhex(selector_of("transfer(address,uint256)")[2:]) + abi_encode(
            ["address", "uint256"], [to, amount])
        return [Call(to=self.token("USDC").address, data=data)]

    async def execute(self, calls: list[Call], frost: FrostSigner) -> Any:
        tx = self.wallet.build(calls)
        request = self.wallet.request(tx)
        signatures = await self.wallet.collect(request, [frost, self.ecdsa])
        return self.wallet.execute(tx, signatures, self.relayer)


@pytest.fixture
def desk(w3: Web3, devnet: dict[str, Any], cluster: Cluster) -> Desk:
    """A 2-of-2 Safe: the FrostOwner of the group and one ECDSA key; 200k USDC in it."""
    public_key = core.serialize_element(cluster.group.public_key)
    frost_owner = deploy_frost_owner(w3, public_key, w3.eth.accounts[0])
    ecdsa = LocalKeySigner.from_key(Web3.keccak(text="crossbook-frost-test-ecdsa"), "ecdsa")
    safe = deploy_safe(w3, devnet["safe"], [frost_owner, ecdsa.address], 2,
                       w3.eth.accounts[0], 8)
    desk = Desk(w3, devnet, SafeWallet(w3, safe, devnet["safe"]["multi_send_call_only"]),
                frost_owner, ecdsa, list(w3.eth.accounts)[1])
    desk.token("USDC").functions.transfer(safe, 200_000 * USDC).transact(
        {"from": w3.eth.accounts[0]})
    return desk


def test_dkg_across_five_processes_when_done_then_each_holds_only_its_own_share(
    cluster: Cluster,
) -> None:
    pids = {n.process.pid for n in cluster.nodes.values()}
    assert len(pids) == 5 and os.getpid() not in pids
    assert cluster.group.threshold == 3 and cluster.group.signers == 5
    for i in range(1, 6):
        path = cluster.directory / f"share-{i}.json"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        document = json.loads(path.read_text())
        assert document["group"] == cluster.group.to_json()  # every process agrees on the key


async def test_safe_swap_when_signed_by_any_three_of_five_then_executes(
    desk: Desk, cluster: Cluster,
) -> None:
    weth, usdc = desk.token("WETH"), desk.token("USDC")
    for ids in ((1, 2, 3), (2, 4, 5), (1, 3, 5)):
        nonce = desk.wallet.nonce()
        before = usdc.functions.balanceOf(desk.wallet.address).call()
        receipt = await desk.execute(desk.swap(), desk.signer(cluster, *ids))
        fills = fills_from_receipt(desk.w3, desk.devnet["execution"]["swap_executor"], receipt)
        assert len(fills) == 1 and fills[0].amount_in == SWAP_IN and fills[0].amount_out > 0
        assert before - usdc.functions.balanceOf(desk.wallet.address).call() == SWAP_IN
        assert desk.wallet.nonce() == nonce + 1
    assert weth.functions.balanceOf(desk.wallet.address).call() > 0


async def test_safe_swap_when_two_signers_offline_then_remaining_three_sign(
    desk: Desk, cluster: Cluster,
) -> None:
    cluster.nodes[2].stop()
    cluster.nodes[4].stop()
    try:
        frost = desk.signer(cluster)  # all five endpoints; two refuse connections
        receipt = await desk.execute(desk.swap(), frost)
        assert receipt["status"] == 1 and desk.wallet.nonce() == 1
    finally:
        cluster.restart(2)
        cluster.restart(4)
    # Restarted participants reload their share and sign again.
    receipt = await desk.execute(desk.swap(), desk.signer(cluster, 2, 3, 4))
    assert receipt["status"] == 1


@asynccontextmanager
async def tampering_proxy(upstream: str) -> AsyncIterator[str]:
    """A man in the middle on the loopback wire: relays to `upstream` and adds 1 to every
    signature share in a reply (an attacker on the network; nothing is mocked)."""

    async def relay(client: ServerConnection) -> None:
        async with connect(upstream) as server:
            async for message in client:
                await server.send(message)
                reply = json.loads(await server.recv())
                share = reply.get("ok", {}).get("share")
                if share is not None:
                    bent = (int(share, 16) + 1) % core.N
                    reply["ok"]["share"] = bent.to_bytes(32, "big").hex()
                await client.send(json.dumps(reply))

    async with serve(relay, "127.0.0.1", 0) as server:
        yield f"ws://127.0.0.1:{next(iter(server.sockets)).getsockname()[1]}"


async def test_share_when_tampered_in_transit_then_detected_and_sender_named(
    desk: Desk, cluster: Cluster,
) -> None:
    endpoints = cluster.endpoints(1, 3, 5)
    async with tampering_proxy(cluster.nodes[3].endpoint.url) as proxied:
        endpoints[1] = Endpoint(3, proxied, auth_key=cluster.nodes[3].endpoint.auth_key)
        coordinator = Coordinator(cluster.group, endpoints)
        tx = desk.wallet.build(desk.swap())
        with pytest.raises(core.InvalidSignatureShare) as caught:
            await coordinator.sign(desk.wallet.request(tx))
    assert caught.value.identifier == 3
    assert "participant 3" in str(caught.value)


def _request(desk: Desk) -> dict[str, Any]:
    calls = desk.swap()
    request = desk.wallet.request(desk.wallet.build(calls))
    return {"request_id": request.request_id, "kind": request.kind.value,
            "digest": request.digest.hex(), "context": dict(request.context)}


async def _ask(endpoint: Endpoint, message: dict[str, Any],
               authenticated: bool = True) -> dict[str, Any]:
    async with connect(endpoint.url) as connection:
        if authenticated:
            message = wire.with_auth(message, endpoint.auth_key)
        await connection.send(json.dumps(message))
        reply: dict[str, Any] = json.loads(await connection.recv())
        return reply


async def test_nonce_when_requested_twice_then_second_refused_and_lost_after_restart(
    desk: Desk, cluster: Cluster,
) -> None:
    endpoint = cluster.nodes[1].endpoint
    request = _request(desk)
    committed = (await _ask(endpoint, {"op": "commit", "request_id": "r"}))["ok"]
    sign = {"op": "sign", "request": request, "nonce_id": committed["nonce_id"],
            "commitments": [committed["commitment"]]}
    first = await _ask(endpoint, sign)
    assert "share" in first["ok"]
    again = await _ask(endpoint, sign)
    assert again["error"]["type"] == "NonceReused" and "already used" in again["error"]["detail"]
    # A nonce issued before a restart can never sign: its secret died with the process.
    pending = (await _ask(endpoint, {"op": "commit", "request_id": "r2"}))["ok"]
    cluster.restart(1)
    endpoint = cluster.nodes[1].endpoint
    after = await _ask(endpoint, {**sign, "nonce_id": pending["nonce_id"],
                                  "commitments": [pending["commitment"]]})
    assert after["error"]["type"] == "NonceReused" and "restart" in after["error"]["detail"]


async def test_transaction_when_policy_forbids_then_signer_refuses_by_rule(
    desk: Desk, cluster: Cluster,
) -> None:
    foreign = Web3.to_checksum_address("0x" + "f0" * 20)
    calls = desk.transfer(foreign, 1_000 * USDC)
    request: SigningRequest = desk.wallet.request(desk.wallet.build(calls))
    with pytest.raises(SigningRefused) as refused:
        await desk.signer(cluster, 1, 2, 3).sign(request)
    assert refused.value.rule == "recipient_allowed"
    assert refused.value.signer.startswith("frost-")
    assert desk.wallet.nonce() == 0
    # Too much for the cap: refused by the token cap rule even though the shape is allowed.
    big = desk.swap()
    over = [Call(to=big[0].to, data=big[0].data[:36] + (CAP + 1).to_bytes(32, "big")), *big[1:]]
    with pytest.raises(SigningRefused) as capped:
        await desk.signer(cluster, 3, 4, 5).sign(desk.wallet.request(desk.wallet.build(over)))
    assert capped.value.rule == "token_cap"


async def test_participant_when_request_not_from_its_coordinator_then_auth_failed(
    cluster: Cluster,
) -> None:
    endpoint = cluster.nodes[5].endpoint
    bare = await _ask(endpoint, {"op": "commit", "request_id": "x"}, authenticated=False)
    assert bare["error"]["type"] == "AuthFailed"
    forged = wire.with_auth({"op": "commit", "request_id": "x"}, b"\x00" * 32)
    assert (await _ask(endpoint, forged, authenticated=False))["error"]["type"] == "AuthFailed"
    assert "ok" in await _ask(endpoint, {"op": "commit", "request_id": "x"})
