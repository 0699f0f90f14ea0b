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

__all__ = [
    "AllowAll",
    "RequestKind",
    "SafeSignature",
    "SignatureKind",
    "Signer",
    "SigningPolicy",
    "SigningRefused",
    "SigningRequest",
]
