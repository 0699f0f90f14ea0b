"""FROST(secp256k1, SHA-256) as RFC 9591 specifies it: pure functions over plain values.

Scalars are Python ints modulo the group order `N`; elements are coincurve `PublicKey`s
(libsecp256k1), with the identity element refused wherever the RFC refuses it (it has no
serialisation). Section numbers below are RFC 9591's.

- hashes (6.5): H1 `rho`, H2 `chal`, H3 `nonce` are hash_to_field over expand_message_xmd
  (RFC 9380 5.3.1, L = 48); H4 `msg` and H5 `com` are plain SHA-256, all prefixed with the
  suite's context string;
- round one (5.1): `nonce_generate`, `commit`;
- round two (5.2): `compute_binding_factors`, `compute_group_commitment`,
  `compute_challenge`, `derive_interpolating_value`, `sign_share`;
- aggregation (5.3, 5.4): `verify_signature_share` names the signer whose share is bad,
  `aggregate`, and `verify` (the plain Schnorr check of 6.5's `VerifySignature`).

Nothing here keeps state or logs; the secret inputs are the caller's to protect.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from coincurve import PublicKey

from chain.errors import TerminalChainError

# secp256k1 (SEC 2, 2.4.1): field prime and group order.
P = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F
N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
CONTEXT_STRING = b"FROST-secp256k1-SHA256-v1"
_HASH_TO_FIELD_L = 48  # ceil((ceil(log2(N)) + 128) / 8), RFC 9380 5.


class FrostError(TerminalChainError):
    """A FROST input or computation is invalid (the message names which and why)."""


class InvalidSignatureShare(FrostError):
    """A signature share failed verification: `identifier` is the participant who sent it."""

    def __init__(self, identifier: int) -> None:
        self.identifier = identifier
        super().__init__(f"signature share of participant {identifier} is invalid")


# ---------------------------------------------------------------------------------------------
# Scalars and elements (6.5: SerializeElement is SEC1 compressed, SerializeScalar 32 bytes BE)
# ---------------------------------------------------------------------------------------------

Element = PublicKey


def serialize_scalar(scalar: int) -> bytes:
    return (scalar % N).to_bytes(32, "big")


def deserialize_scalar(encoded: bytes) -> int:
    if len(encoded) != 32:
        raise FrostError(f"a scalar is 32 bytes, got {len(encoded)}")
    value = int.from_bytes(encoded, "big")
    if value >= N:
        raise FrostError("scalar is not below the group order")
    return value


def serialize_element(element: Element | None) -> bytes:
    if element is None:
        raise FrostError("the identity element cannot be serialised")
    encoded: bytes = element.format(compressed=True)
    return encoded


def deserialize_element(encoded: bytes) -> Element:
    if len(encoded) != 33 or encoded[0] not in (2, 3):
        raise FrostError("an element is a 33-byte compressed SEC1 point")
    try:
        return PublicKey(encoded)
    except ValueError:
        raise FrostError("the bytes are not a point on secp256k1") from None


def base_mult(scalar: int) -> Element | None:
    """scalar * G, None for the identity."""
    scalar %= N
    return PublicKey.from_valid_secret(scalar.to_bytes(32, "big")) if scalar else None


def mult(element: Element | None, scalar: int) -> Element | None:
    scalar %= N
    if element is None or scalar == 0:
        return None
    return element.multiply(scalar.to_bytes(32, "big"))


def add(*elements: Element | None) -> Element | None:
    present = [e for e in elements if e is not None]
    if not present:
        return None
    if len(present) == 1:
        return present[0]
    try:
        return PublicKey.combine_keys(present)
    except ValueError:  # libsecp256k1 refuses a sum that is the point at infinity
        return None


def negate(element: Element) -> Element:
    x, y = element.point()
    return PublicKey.from_point(x, P - y)


def same(a: Element | None, b: Element | None) -> bool:
    if a is None or b is None:
        return a is b
    return bool(a.format() == b.format())


# ---------------------------------------------------------------------------------------------
# Hashes (6.5; expand_message_xmd from RFC 9380 5.3.1)
# ---------------------------------------------------------------------------------------------


def expand_message_xmd(msg: bytes, dst: bytes, length: int) -> bytes:
    if len(dst) > 255 or length > 255 * 32:
        raise FrostError("expand_message_xmd: DST or output too long")
    ell = -(-length // 32)
    dst_prime = dst + bytes([len(dst)])
    b_0 = hashlib.sha256(bytes(64) + msg + length.to_bytes(2, "big") + b"\x00"
                         + dst_prime).digest()
    blocks = [hashlib.sha256(b_0 + b"\x01" + dst_prime).digest()]
    for i in range(2, ell + 1):
        mixed = bytes(x ^ y for x, y in zip(b_0, blocks[-1], strict=True))
        blocks.append(hashlib.sha256(mixed + bytes([i]) + dst_prime).digest())
    return b"".join(blocks)[:length]


def hash_to_field(msg: bytes, dst: bytes) -> int:
    return int.from_bytes(expand_message_xmd(msg, dst, _HASH_TO_FIELD_L), "big") % N


def h1(msg: bytes) -> int:
    return hash_to_field(msg, CONTEXT_STRING + b"rho")


def h2(msg: bytes) -> int:
    return hash_to_field(msg, CONTEXT_STRING + b"chal")


def h3(msg: bytes) -> int:
    return hash_to_field(msg, CONTEXT_STRING + b"nonce")


def h4(msg: bytes) -> bytes:
    return hashlib.sha256(CONTEXT_STRING + b"msg" + msg).digest()


def h5(msg: bytes) -> bytes:
    return hashlib.sha256(CONTEXT_STRING + b"com" + msg).digest()


def hdkg(msg: bytes) -> int:
    return hash_to_field(msg, CONTEXT_STRING + b"dkg")


# ---------------------------------------------------------------------------------------------
# Round one (5.1)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Commitment:
    """A participant's public nonce commitments for one signing session."""

    identifier: int
    hiding: Element
    binding: Element


@dataclass(frozen=True, slots=True, repr=False)
class Nonces:
    """A participant's secret nonce pair; never printed."""

    hiding: int
    binding: int

    def __repr__(self) -> str:
        return "Nonces(<secret>)"


def nonce_generate(secret: int, random_bytes: bytes | None = None) -> int:
    """4.1: H3(random_bytes || SerializeScalar(secret)); `random_bytes` only for the vector."""
    if random_bytes is None:
        random_bytes = secrets.token_bytes(32)
    return h3(random_bytes + serialize_scalar(secret))


def commit(identifier: int, share: int) -> tuple[Nonces, Commitment]:
    """Round one: a fresh nonce pair for `share` and its public commitments."""
    nonces = Nonces(nonce_generate(share), nonce_generate(share))
    return nonces, commitment_of(identifier, nonces)


def commitment_of(identifier: int, nonces: Nonces) -> Commitment:
    hiding, binding = base_mult(nonces.hiding), base_mult(nonces.binding)
    if hiding is None or binding is None:
        raise FrostError("a nonce is zero")
    return Commitment(identifier, hiding, binding)


# ---------------------------------------------------------------------------------------------
# Round two and aggregation (4.3-4.6, 5.2-5.4)
# ---------------------------------------------------------------------------------------------


def _checked(commitments: Sequence[Commitment]) -> Sequence[Commitment]:
    ids = [c.identifier for c in commitments]
    if ids != sorted(set(ids)) or not all(0 < i < N for i in ids):
        raise FrostError(f"commitments must be sorted by distinct non-zero identifier: {ids}")
    return commitments


def encode_group_commitment_list(commitments: Sequence[Commitment]) -> bytes:
    return b"".join(serialize_scalar(c.identifier) + serialize_element(c.hiding)
                    + serialize_element(c.binding) for c in _checked(commitments))


def binding_factor_input(group_public_key: Element, commitments: Sequence[Commitment],
                         msg: bytes, identifier: int) -> bytes:
    prefix = (serialize_element(group_public_key) + h4(msg)
              + h5(encode_group_commitment_list(commitments)))
    return prefix + serialize_scalar(identifier)


def compute_binding_factors(group_public_key: Element, commitments: Sequence[Commitment],
                            msg: bytes) -> dict[int, int]:
    """4.4: one binding factor per participant, from the key, message and all commitments."""
    prefix = (serialize_element(group_public_key) + h4(msg)
              + h5(encode_group_commitment_list(commitments)))
    return {c.identifier: h1(prefix + serialize_scalar(c.identifier)) for c in commitments}


def compute_group_commitment(commitments: Sequence[Commitment],
                             binding_factors: dict[int, int]) -> Element:
    """4.5: R = sum(D_i + rho_i * E_i); the identity is refused (it cannot be serialised)."""
    terms: list[Element | None] = []
    for c in commitments:
        terms += [c.hiding, mult(c.binding, binding_factors[c.identifier])]
    group_commitment = add(*terms)
    if group_commitment is None:
        raise FrostError("the group commitment is the identity element")
    return group_commitment


def compute_challenge(group_commitment: Element, group_public_key: Element, msg: bytes) -> int:
    """4.6: c = H2(R || PK || msg)."""
    return h2(serialize_element(group_commitment) + serialize_element(group_public_key) + msg)


def derive_interpolating_value(participants: Sequence[int], x_i: int) -> int:
    """4.2: the Lagrange coefficient of `x_i` at 0 over `participants`."""
    if x_i not in participants or len(set(participants)) != len(participants):
        raise FrostError("identifiers must be distinct and include the one interpolated")
    numerator = denominator = 1
    for x_j in participants:
        if x_j != x_i:
            numerator = numerator * x_j % N
            denominator = denominator * (x_j - x_i) % N
    return numerator * pow(denominator, -1, N) % N


@dataclass(frozen=True, slots=True)
class SigningContext:
    """What every round-two computation derives from the public inputs."""

    group_public_key: Element
    msg: bytes
    commitments: tuple[Commitment, ...]
    binding_factors: dict[int, int]
    group_commitment: Element
    challenge: int

    @classmethod
    def derive(cls, group_public_key: Element, commitments: Sequence[Commitment],
               msg: bytes) -> SigningContext:
        factors = compute_binding_factors(group_public_key, commitments, msg)
        group_commitment = compute_group_commitment(commitments, factors)
        return cls(group_public_key, msg, tuple(commitments), factors, group_commitment,
                   compute_challenge(group_commitment, group_public_key, msg))

    @property
    def participants(self) -> list[int]:
        return [c.identifier for c in self.commitments]


def sign_share(identifier: int, share: int, nonces: Nonces, ctx: SigningContext) -> int:
    """5.2: z_i = d_i + e_i * rho_i + lambda_i * s_i * c."""
    own = next((c for c in ctx.commitments if c.identifier == identifier), None)
    if own is None or not same(own.hiding, base_mult(nonces.hiding)) \
            or not same(own.binding, base_mult(nonces.binding)):
        raise FrostError(f"participant {identifier}'s commitment is not in the list, or not "
                         f"the one its nonces make")
    lam = derive_interpolating_value(ctx.participants, identifier)
    return (nonces.hiding + nonces.binding * ctx.binding_factors[identifier]
            + lam * share * ctx.challenge) % N


def verify_signature_share(identifier: int, verifying_share: Element, sig_share: int,
                           ctx: SigningContext) -> None:
    """5.4: z_i * G == D_i + rho_i * E_i + (c * lambda_i) * PK_i, else name the signer."""
    own = next((c for c in ctx.commitments if c.identifier == identifier), None)
    if own is None:
        raise InvalidSignatureShare(identifier)
    comm_share = add(own.hiding, mult(own.binding, ctx.binding_factors[identifier]))
    lam = derive_interpolating_value(ctx.participants, identifier)
    expected = add(comm_share, mult(verifying_share, ctx.challenge * lam))
    if not same(base_mult(sig_share), expected):
        raise InvalidSignatureShare(identifier)


def aggregate(ctx: SigningContext, sig_shares: dict[int, int]) -> bytes:
    """5.3: (R, z = sum z_i), encoded SerializeElement(R) || SerializeScalar(z) (65 bytes)."""
    if sorted(sig_shares) != ctx.participants:
        raise FrostError(f"shares from {sorted(sig_shares)} but commitments from "
                         f"{ctx.participants}")
    z = sum(sig_shares.values()) % N
    return serialize_element(ctx.group_commitment) + serialize_scalar(z)


def verify(group_public_key: Element, msg: bytes, signature: bytes) -> bool:
    """The Schnorr verification of 6.5 (cofactor 1): z * G == R + c * PK."""
    if len(signature) != 65:
        return False
    try:
        r_point = deserialize_element(signature[:33])
        z = deserialize_scalar(signature[33:])
    except FrostError:
        return False
    c = compute_challenge(r_point, group_public_key, msg)
    return same(base_mult(z), add(r_point, mult(group_public_key, c)))
