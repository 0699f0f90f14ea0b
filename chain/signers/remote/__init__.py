"""A remote signer: a reference signing service with a custody-style request lifecycle, and the
client that makes it a `Signer`."""

from chain.signers.remote.auth import AuthFailed, auth_headers
from chain.signers.remote.client import (
    Approver,
    RemoteSigner,
    RemoteSignerError,
    RemoteSignerUnreachable,
    SigningDeadlineExceeded,
)
from chain.signers.remote.lifecycle import (
    TRANSITIONS,
    InvalidTransition,
    RequestEvent,
    RequestStatus,
    SigningRecord,
)
from chain.signers.remote.service import ServiceRefusal, SigningService, serving

__all__ = [
    "TRANSITIONS",
    "Approver",
    "AuthFailed",
    "InvalidTransition",
    "RemoteSigner",
    "RemoteSignerError",
    "RemoteSignerUnreachable",
    "RequestEvent",
    "RequestStatus",
    "ServiceRefusal",
    "SigningDeadlineExceeded",
    "SigningRecord",
    "SigningService",
    "auth_headers",
    "serving",
]
