"""Signers: one protocol for every way Crossbook signs a Safe transaction."""

from chain.signers.base import (
    AllowAll,
    RequestKind,
    SafeSignature,
    SignatureKind,
    Signer,
    SigningPolicy,
    SigningRefused,
    SigningRequest,
)
from chain.signers.calldata import (
    CalldataUndecodable,
    decode_calls,
    safe_tx_context,
    safe_tx_request,
)
from chain.signers.local import KeystoreError, LocalKeySigner
from chain.signers.policy import (
    AllOf,
    ApprovalRule,
    GuardPolicy,
    GuardRules,
    NoApprovals,
    RateLimit,
    RequireApprovals,
    SignerConfigError,
)
from chain.signers.quorum import (
    Outcome,
    OwnerOutcome,
    Quorum,
    QuorumNotReached,
    QuorumResult,
    recover_owner,
)
from chain.signers.remote import (
    Approver,
    RemoteSigner,
    RemoteSignerError,
    RemoteSignerUnreachable,
    SigningDeadlineExceeded,
    SigningService,
    serving,
)

__all__ = [
    "AllOf",
    "AllowAll",
    "ApprovalRule",
    "Approver",
    "CalldataUndecodable",
    "GuardPolicy",
    "GuardRules",
    "KeystoreError",
    "LocalKeySigner",
    "NoApprovals",
    "Outcome",
    "OwnerOutcome",
    "Quorum",
    "QuorumNotReached",
    "QuorumResult",
    "RateLimit",
    "RemoteSigner",
    "RemoteSignerError",
    "RemoteSignerUnreachable",
    "RequestKind",
    "RequireApprovals",
    "SafeSignature",
    "SignatureKind",
    "Signer",
    "SignerConfigError",
    "SigningDeadlineExceeded",
    "SigningPolicy",
    "SigningRefused",
    "SigningRequest",
    "SigningService",
    "decode_calls",
    "recover_owner",
    "safe_tx_context",
    "safe_tx_request",
    "serving",
]
