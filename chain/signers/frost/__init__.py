"""FROST(secp256k1, SHA-256) threshold signing (RFC 9591) for a Safe owner.

- `core`: the RFC's pure arithmetic (hashes, rounds, share verification, aggregation);
- `keys`: trusted dealer (tests) and a DKG with proofs of possession;
- `nonces`: the per-signer ledger that makes every nonce single-use;
- `node` / `coordinator`: participants as processes over loopback websockets, the coordinator
  that runs DKG and signing sessions against them;
- `owner`: the FrostOwner contract (EIP-1271) and `FrostSigner`, the Signer protocol over it;
- `operator`: key directories, keygen and one-off signing for the CLI.
"""

from chain.signers.frost.coordinator import (
    Coordinator,
    Endpoint,
    NotEnoughSigners,
    ParticipantError,
    run_dkg,
    running_nodes,
    start_node,
)
from chain.signers.frost.core import FrostError, InvalidSignatureShare, verify
from chain.signers.frost.keys import (
    DkgComplaint,
    GroupKey,
    KeyShare,
    trusted_dealer_keygen,
)
from chain.signers.frost.nonces import NonceReused, NonceStore
from chain.signers.frost.operator import keygen, load_group, sign_message
from chain.signers.frost.owner import (
    FrostSigner,
    deploy_frost_owner,
    frost_owner_contract,
    with_y_hint,
)

__all__ = [
    "Coordinator",
    "DkgComplaint",
    "Endpoint",
    "FrostError",
    "FrostSigner",
    "GroupKey",
    "InvalidSignatureShare",
    "KeyShare",
    "NonceReused",
    "NonceStore",
    "NotEnoughSigners",
    "ParticipantError",
    "deploy_frost_owner",
    "frost_owner_contract",
    "keygen",
    "load_group",
    "run_dkg",
    "running_nodes",
    "sign_message",
    "start_node",
    "trusted_dealer_keygen",
    "verify",
    "with_y_hint",
]
