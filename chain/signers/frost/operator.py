"""Operator ceremonies over a key directory: key generation and one-off signing, each run with
one process per participant (`chain.signers.frost.node`) on loopback.

A key directory holds `group.json` (public: threshold, group key, verifying shares) and, per
participant, `share-<i>.json` (secret, mode 0600, written by that participant's own process
in a DKG) with its identity key and nonce ledger. Nothing is ever overwritten.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import uuid
from collections.abc import Sequence
from pathlib import Path

from chain.signers.base import RequestKind, SigningRequest
from chain.signers.frost.coordinator import Coordinator, run_dkg, running_nodes
from chain.signers.frost.core import FrostError
from chain.signers.frost.keys import GroupKey, trusted_dealer_keygen

GROUP_FILE = "group.json"


def _prepare(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    taken = sorted(p.name for p in directory.iterdir()
                   if p.name == GROUP_FILE or p.name.startswith(("share-", "identity-",
                                                                 "nonces-")))
    if taken:
        raise FrostError(f"{directory} already holds key material ({', '.join(taken[:3])}); "
                         f"key files are never overwritten: choose an empty directory")
    os.chmod(directory, 0o700)


def _write_group(directory: Path, group: GroupKey, method: str) -> None:
    (directory / GROUP_FILE).write_text(json.dumps({**group.to_json(), "method": method},
                                                   indent=2) + "\n")


def keygen(directory: Path, threshold: int, signers: int, dealer: bool = False) -> GroupKey:
    """Generate a `threshold`-of-`signers` key into `directory`: by DKG across one process
    per participant (no party ever holds the key), or with `dealer` by a trusted dealer in
    this process (tests and demonstrations only: the dealer sees the key)."""
    if not 2 <= threshold <= signers:
        raise FrostError(f"threshold must be between 2 and signers ({signers}), got "
                         f"{threshold}")
    _prepare(directory)
    if dealer:
        shares = trusted_dealer_keygen(threshold, signers)
        for share in shares:
            share.write(directory / f"share-{share.identifier}.json")
        group = shares[0].group
    else:
        with running_nodes(directory, range(1, signers + 1)) as nodes:
            group = asyncio.run(run_dkg([n.endpoint for n in nodes.values()], threshold))
    _write_group(directory, group, "dealer" if dealer else "dkg")
    return group


def load_group(directory: Path) -> GroupKey:
    path = directory / GROUP_FILE
    if not path.exists():
        raise FrostError(f"{path} does not exist: run `crossbook frost keygen` first")
    return GroupKey.from_json(json.loads(path.read_text()))


def sign_message(directory: Path, signer_ids: Sequence[int], message: bytes) -> bytes:
    """Sign `message` with the participants `signer_ids`, each in its own process reading its
    own share; the 65-byte signature (R compressed, z)."""
    group = load_group(directory)
    ids = sorted(set(signer_ids))
    unknown = [i for i in ids if i not in group.verifying_shares]
    if unknown:
        raise FrostError(f"signers {unknown} are not participants 1..{group.signers}")
    if len(ids) < group.threshold:
        raise FrostError(f"{len(ids)} signers for a threshold of {group.threshold}")
    missing = [i for i in ids if not (directory / f"share-{i}.json").exists()]
    if missing:
        raise FrostError(f"no share file for participants {missing} in {directory}")
    request = SigningRequest(str(uuid.uuid4()), RequestKind.MESSAGE,
                             hashlib.sha256(message).digest(), {"message": message.hex()})
    with running_nodes(directory, ids, allow_messages=True) as nodes:
        coordinator = Coordinator(group, [n.endpoint for n in nodes.values()])
        return asyncio.run(coordinator.sign(request))
