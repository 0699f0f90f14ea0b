"""Participants and coordinator over real loopback websockets, in this process: the DKG never
puts a share on the wire, the relaying coordinator can neither alter nor split the broadcast,
and a signer refuses by policy before its nonce is touched."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest
from frost_helpers import in_process_nodes, relay

from chain.signers.base import RequestKind, SigningRequest
from chain.signers.frost import core, keys, wire
from chain.signers.frost.coordinator import Coordinator, Endpoint, run_dkg
from chain.signers.frost.node import Node, policy_from_file


async def test_dkg_when_relayed_then_no_share_or_key_ever_crosses_the_wire(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    dealt: list[int] = []  # every f_i(j), observed where the participant computes it
    original = keys.dkg_round2

    def spy(*args: Any, **kwargs: Any) -> dict[int, int]:
        outgoing = original(*args, **kwargs)
        dealt.extend(outgoing.values())
        return outgoing

    monkeypatch.setattr(keys, "dkg_round2", spy)
    seen: list[str] = []
    async with in_process_nodes(tmp_path, [1, 2, 3]) as (nodes, endpoints), \
            AsyncExitStack() as stack:
        proxied = [Endpoint(e.identifier, await stack.enter_async_context(relay(e.url, seen)),
                            e.identity_key) for e in endpoints]
        group = await run_dkg(proxied, 2)
    assert len(dealt) == 6 and group.threshold == 2
    wire_text = "".join(seen)
    finals = [n.share.secret for n in nodes.values() if n.share is not None]
    assert len(finals) == 3
    lam = {i: core.derive_interpolating_value([1, 2], i) for i in (1, 2)}
    group_secret = (lam[1] * finals[0] + lam[2] * finals[1]) % core.N
    assert core.same(core.base_mult(group_secret), group.public_key)
    for secret in [*dealt, *finals, group_secret]:
        assert core.serialize_scalar(secret).hex() not in wire_text


async def test_dkg_when_coordinator_alters_a_broadcast_then_complaint_names_its_sender(
    tmp_path: Path,
) -> None:
    def bend(message: dict[str, Any]) -> dict[str, Any]:
        if message.get("op") == "dkg_round2":
            package = message["round1"]["2"]["body"]["package"]
            package["proof_mu"] = core.serialize_scalar(
                int(package["proof_mu"], 16) + 1).hex()
        return message

    async with in_process_nodes(tmp_path, [1, 2, 3]) as (_, endpoints):
        seen: list[str] = []
        async with relay(endpoints[0].url, seen, request_rewrite=bend) as url:
            tampered = [Endpoint(1, url, endpoints[0].identity_key), *endpoints[1:]]
            with pytest.raises(keys.DkgComplaint) as complaint:
                await run_dkg(tampered, 2)
    assert complaint.value.accused == 2
    assert "signature" in str(complaint.value)


def test_dkg_when_broadcast_split_between_participants_then_finish_refuses(
    tmp_path: Path,
) -> None:
    nodes = {i: Node(i, tmp_path, policy_from_file(None, False)) for i in (1, 2, 3)}
    roster = {str(i): n.identity.public_key.format().hex() for i, n in nodes.items()}
    start = {"op": "dkg_round1", "session": "s", "threshold": 2, "roster": roster}
    round1 = {str(i): n.handle(start)["ok"] for i, n in nodes.items()}
    # Participant 3 signs a second package; participant 1 is shown the first, the others the
    # second (an equivocating participant, helped by the relay).
    second = nodes[3].handle(start)["ok"]
    shown = {1: round1, 2: {**round1, "3": second}, 3: {**round1, "3": second}}
    round2 = {str(i): n.handle({"op": "dkg_round2", "session": "s",
                                "round1": shown[i]})["ok"] for i, n in nodes.items()}
    finish = nodes[2].handle({"op": "dkg_finish", "session": "s", "round2": round2})
    assert "different round-1 broadcast" in finish["error"]["detail"]
    assert nodes[2].share is None


def test_dkg_when_roster_names_another_key_then_refused(tmp_path: Path) -> None:
    node = Node(1, tmp_path, policy_from_file(None, False))
    reply = node.handle({"op": "dkg_round1", "session": "s", "threshold": 2,
                         "roster": {"1": "02" + "11" * 32, "2": "03" + "22" * 32}})
    assert "roster" in reply["error"]["detail"]


def _dealt_node(tmp_path: Path, allow_messages: bool) -> Node:
    share = keys.trusted_dealer_keygen(2, 3)[0]
    share.write(tmp_path / "share-1.json")
    return Node(1, tmp_path, policy_from_file(None, allow_messages))


def test_sign_when_policy_refuses_then_rule_named_and_nonce_untouched(tmp_path: Path) -> None:
    node = _dealt_node(tmp_path, allow_messages=False)
    committed = node.handle({"op": "commit", "request_id": "r"})["ok"]
    request = SigningRequest("r", RequestKind.MESSAGE, b"\x01" * 32)
    reply = node.handle({"op": "sign", "request": wire.request_to_json(request),
                         "nonce_id": committed["nonce_id"],
                         "commitments": [committed["commitment"]]})
    assert reply["error"] == {"type": "SigningRefused", "rule": "message_kind",
                              "detail": "this policy signs Safe transactions only"}
    assert node.nonces is not None and node.nonces.state(committed["nonce_id"]) == "issued"


def test_node_when_inspected_then_share_never_in_repr_or_errors(tmp_path: Path) -> None:
    node = _dealt_node(tmp_path, allow_messages=True)
    assert node.share is not None
    secret = core.serialize_scalar(node.share.secret).hex()
    replies = [node.handle({"op": "identity"}), node.handle({"op": "nope"}),
               node.handle({"op": "sign", "request": {"bad": 1}})]
    text = repr(node) + repr(node.share) + json.dumps(replies)
    assert secret not in text and str(node.share.secret) not in text
    assert replies[0]["ok"]["public_key"] == core.serialize_element(
        node.share.group.public_key).hex()
    assert replies[1]["error"]["type"] == "UnknownOp"
    assert replies[2]["error"]["type"] in ("FrostError", "BadRequest")
    missing = node.handle({"op": "sign"})
    assert missing["error"]["type"] == "BadRequest" and "request" in missing["error"]["detail"]


async def test_dkg_when_encrypted_share_altered_in_transit_then_receiver_names_sender(
    tmp_path: Path,
) -> None:
    def bend(message: dict[str, Any]) -> dict[str, Any]:
        if message.get("op") == "dkg_finish":
            sealed = message["round2"]["3"]["body"]["shares"]["1"]
            message["round2"]["3"]["body"]["shares"]["1"] = sealed[:-2] + (
                "00" if sealed[-2:] != "00" else "01")
        return message

    async with in_process_nodes(tmp_path, [1, 2, 3]) as (nodes, endpoints):
        seen: list[str] = []
        async with relay(endpoints[0].url, seen, request_rewrite=bend) as url:
            with pytest.raises(keys.DkgComplaint) as complaint:
                await run_dkg([Endpoint(1, url, endpoints[0].identity_key), *endpoints[1:]], 2)
    # The body changed, so the envelope of participant 3 no longer verifies: 3 is named.
    assert complaint.value.accused == 3
    assert nodes[1].share is None


async def test_coordinator_when_fewer_than_threshold_reachable_then_not_enough_signers(
    tmp_path: Path,
) -> None:
    shares = keys.trusted_dealer_keygen(2, 3)
    for share in shares:
        share.write(tmp_path / f"share-{share.identifier}.json")
    async with in_process_nodes(tmp_path, [1]) as (_, endpoints):
        dead = Endpoint(2, "ws://127.0.0.1:9", "")
        coordinator = Coordinator(shares[0].group, [*endpoints, dead], timeout_s=1.0)
        with pytest.raises(core.FrostError, match="1 of 2 signers reachable"):
            await coordinator.sign(SigningRequest("r", RequestKind.MESSAGE, b"\x02" * 32))


async def test_coordinator_when_message_request_then_signs_the_message_itself(
    tmp_path: Path,
) -> None:
    shares = keys.trusted_dealer_keygen(2, 3)
    for share in shares:
        share.write(tmp_path / f"share-{share.identifier}.json")
    async with in_process_nodes(tmp_path, [2, 3]) as (_, endpoints):
        coordinator = Coordinator(shares[0].group, endpoints)
        request = SigningRequest("m", RequestKind.MESSAGE, hashlib.sha256(b"test").digest(),
                                 {"message": b"test".hex()})
        signature = await coordinator.sign(request)
        assert core.verify(shares[0].group.public_key, b"test", signature)
        lying = SigningRequest("m2", RequestKind.MESSAGE, b"\x00" * 32,
                               {"message": b"test".hex()})
        with pytest.raises(core.FrostError, match="does not hash"):
            await coordinator.sign(lying)



async def test_coordinator_when_participant_drops_mid_session_then_restarts_without_it(
    tmp_path: Path,
) -> None:
    shares = keys.trusted_dealer_keygen(2, 3)
    for share in shares:
        share.write(tmp_path / f"share-{share.identifier}.json")

    def drop_on_sign(message: dict[str, Any]) -> dict[str, Any]:
        if message.get("op") == "sign":
            raise ConnectionError("participant 1 goes down after committing")
        return message

    seen: list[str] = []
    async with in_process_nodes(tmp_path, [1, 2, 3]) as (_, endpoints), \
            relay(endpoints[0].url, seen, request_rewrite=drop_on_sign) as flaky:
        coordinator = Coordinator(shares[0].group,
                                  [Endpoint(1, flaky), *endpoints[1:]], timeout_s=2.0)
        signature = await coordinator.sign(SigningRequest("r", RequestKind.MESSAGE,
                                                          b"\x03" * 32))
    assert core.verify(shares[0].group.public_key, b"\x03" * 32, signature)
    assert any('"op": "commit"' in m for m in seen)  # 1 was asked first, then left out


def test_node_process_when_no_auth_key_in_environment_then_refuses_to_start(
    tmp_path: Path,
) -> None:
    environment = {k: v for k, v in os.environ.items() if k != "CROSSBOOK_FROST_AUTH_KEY"}
    started = subprocess.run([sys.executable, "-m", "chain.signers.frost.node", "--id", "1",
                              "--dir", str(tmp_path)], env=environment, capture_output=True,
                             text=True, timeout=60, check=False)
    assert started.returncode == 2 and "refusing to serve unauthenticated" in started.stderr
    assert "READY" not in started.stdout
