"""Key generation for FROST(secp256k1, SHA-256): a trusted dealer (RFC 9591 Appendix C, for
tests) and a Pedersen distributed key generation with proofs of possession (the DKG of the
FROST paper, Komlo and Goldberg 2020, Figure 1), in which no party ever holds the group key.

The DKG is three pure steps per participant; the transport (`chain.signers.frost.dkg`) moves
their outputs over an authenticated broadcast channel and private channels:

1. `dkg_round1`: a random polynomial f_i of degree t-1, its coefficient commitments
   C_ik = a_ik * G (broadcast), and a Schnorr proof of knowledge of a_i0 (the proof of
   possession: c = HDKG(id || C_i0 || R), mu = k + a_i0 * c), which stops rogue-key attacks;
2. `dkg_round2`: after checking every other proof, f_i(j) for each participant j (sent to j
   privately);
3. `dkg_finish`: j checks each f_i(j) * G against i's commitments (a bad share names its
   sender, `DkgComplaint`), then s_j = sum_i f_i(j), PK = sum_i C_i0, and every participant's
   verifying share sum_i sum_k C_ik * j^k.

Secret scalars are in objects whose repr says `<secret>`.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chain.signers.frost.core import (
    Element,
    FrostError,
    N,
    add,
    base_mult,
    deserialize_element,
    deserialize_scalar,
    hdkg,
    mult,
    same,
    serialize_element,
    serialize_scalar,
)


class DkgComplaint(FrostError):
    """A DKG participant sent something invalid: `accused` is who, `reason` what."""

    def __init__(self, accused: int, reason: str) -> None:
        self.accused = accused
        self.reason = reason
        super().__init__(f"DKG participant {accused}: {reason}")


def _random_scalar() -> int:
    return 1 + secrets.randbelow(N - 1)


def polynomial_evaluate(x: int, coefficients: Sequence[int]) -> int:
    """Horner's rule, constant term first (RFC 9591 Appendix C.1)."""
    value = 0
    for coefficient in reversed(coefficients):
        value = (value * x + coefficient) % N
    return value


def vss_evaluate(commitments: Sequence[Element], x: int) -> Element:
    """sum_k C_k * x^k: the public image of the polynomial at x."""
    terms = [mult(c, pow(x, k, N)) for k, c in enumerate(commitments)]
    image = add(*terms)
    if image is None:
        raise FrostError(f"the commitment evaluates to the identity at {x}")
    return image


@dataclass(frozen=True)
class GroupKey:
    """The public side of a FROST key: threshold, group key, every verifying share."""

    threshold: int
    public_key: Element
    verifying_shares: Mapping[int, Element]

    @property
    def signers(self) -> int:
        return len(self.verifying_shares)

    def to_json(self) -> dict[str, Any]:
        return {"threshold": self.threshold, "signers": self.signers,
                "public_key": serialize_element(self.public_key).hex(),
                "verifying_shares": {str(i): serialize_element(v).hex()
                                     for i, v in sorted(self.verifying_shares.items())}}

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> GroupKey:
        try:
            return cls(int(document["threshold"]),
                       deserialize_element(bytes.fromhex(document["public_key"])),
                       {int(i): deserialize_element(bytes.fromhex(v))
                        for i, v in document["verifying_shares"].items()})
        except (KeyError, TypeError, ValueError) as bad:
            raise FrostError(f"group key document is malformed: {type(bad).__name__} "
                             f"{bad}") from None


@dataclass(frozen=True, repr=False)
class KeyShare:
    """One participant's signing share with the group's public key material."""

    identifier: int
    group: GroupKey
    _secret: int = field(compare=False)

    @property
    def secret(self) -> int:
        return self._secret

    def __repr__(self) -> str:
        return f"KeyShare(identifier={self.identifier}, secret=<secret>)"

    __str__ = __repr__

    def __post_init__(self) -> None:
        if not same(base_mult(self._secret), self.group.verifying_shares.get(self.identifier)):
            raise FrostError(f"participant {self.identifier}'s share does not match its "
                             f"verifying share")

    def write(self, path: Path) -> Path:
        """Write to `path`, readable by the owner only (mode 0600), flushed to disk."""
        document = {"identifier": self.identifier, "group": self.group.to_json(),
                    "secret_share": serialize_scalar(self._secret).hex()}
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as out:
            json.dump(document, out)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(path, 0o600)
        return path

    @classmethod
    def read(cls, path: Path) -> KeyShare:
        try:
            document = json.loads(Path(path).read_text())
            secret = deserialize_scalar(bytes.fromhex(document["secret_share"]))
            return cls(int(document["identifier"]), GroupKey.from_json(document["group"]),
                       secret)
        except (OSError, KeyError, TypeError, ValueError) as bad:
            # never quote the file: it holds the share
            raise FrostError(f"key share file {path} cannot be read: "
                             f"{type(bad).__name__}") from None


def _group_from_commitments(threshold: int, commitment_sets: Sequence[Sequence[Element]],
                            identifiers: Sequence[int]) -> GroupKey:
    summed = [add(*(cs[k] for cs in commitment_sets)) for k in range(threshold)]
    if any(s is None for s in summed):
        raise FrostError("a summed commitment is the identity")
    combined = [s for s in summed if s is not None]
    return GroupKey(threshold, combined[0], {i: vss_evaluate(combined, i) for i in identifiers})


def _check_sizes(threshold: int, signers: int) -> None:
    if not 2 <= threshold <= signers:
        raise FrostError(f"threshold must be between 2 and the {signers} signers, got "
                         f"{threshold}")


def trusted_dealer_keygen(threshold: int, signers: int, secret: int | None = None,
                          coefficients: Sequence[int] | None = None) -> list[KeyShare]:
    """RFC 9591 Appendix C: one dealer splits `secret` (random if None) with Shamir sharing.
    The dealer sees the key: tests and the RFC vector only."""
    _check_sizes(threshold, signers)
    secret = _random_scalar() if secret is None else secret
    coefficients = ([_random_scalar() for _ in range(threshold - 1)]
                    if coefficients is None else list(coefficients))
    if len(coefficients) != threshold - 1:
        raise FrostError(f"{threshold - 1} coefficients needed, got {len(coefficients)}")
    polynomial = [secret, *coefficients]
    commitments = [base_mult(a) for a in polynomial]
    if any(c is None for c in commitments):
        raise FrostError("a polynomial coefficient is zero")
    ids = list(range(1, signers + 1))
    group = _group_from_commitments(threshold, [[c for c in commitments if c is not None]], ids)
    return [KeyShare(i, group, polynomial_evaluate(i, polynomial)) for i in ids]


# ---------------------------------------------------------------------------------------------
# DKG with proofs of possession
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Round1Package:
    """What participant `identifier` broadcasts: its commitments and proof of possession."""

    identifier: int
    commitments: tuple[Element, ...]
    proof_r: Element
    proof_mu: int

    def to_json(self) -> dict[str, Any]:
        return {"identifier": self.identifier,
                "commitments": [serialize_element(c).hex() for c in self.commitments],
                "proof_r": serialize_element(self.proof_r).hex(),
                "proof_mu": serialize_scalar(self.proof_mu).hex()}

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> Round1Package:
        try:
            return cls(int(document["identifier"]),
                       tuple(deserialize_element(bytes.fromhex(c))
                             for c in document["commitments"]),
                       deserialize_element(bytes.fromhex(document["proof_r"])),
                       deserialize_scalar(bytes.fromhex(document["proof_mu"])))
        except (KeyError, TypeError, ValueError) as bad:
            raise FrostError(f"round-1 package is malformed: {type(bad).__name__}") from None


@dataclass(frozen=True, repr=False)
class DkgSecret:
    """A participant's secret polynomial between the rounds; never printed."""

    identifier: int
    threshold: int
    polynomial: tuple[int, ...]

    def __repr__(self) -> str:
        return f"DkgSecret(identifier={self.identifier}, <secret>)"


def _pop_challenge(identifier: int, commitment0: Element, proof_r: Element) -> int:
    return hdkg(serialize_scalar(identifier) + serialize_element(commitment0)
                + serialize_element(proof_r))


def dkg_round1(identifier: int, threshold: int, signers: int) -> tuple[DkgSecret, Round1Package]:
    """Participant `identifier`'s polynomial, commitments and proof of possession."""
    _check_sizes(threshold, signers)
    if not 1 <= identifier <= signers:
        raise FrostError(f"identifier must be 1..{signers}, got {identifier}")
    polynomial = tuple(_random_scalar() for _ in range(threshold))
    commitments = tuple(e for e in map(base_mult, polynomial) if e is not None)
    k = _random_scalar()
    proof_r = base_mult(k)
    assert proof_r is not None  # k is non-zero
    mu = (k + polynomial[0] * _pop_challenge(identifier, commitments[0], proof_r)) % N
    return (DkgSecret(identifier, threshold, polynomial),
            Round1Package(identifier, commitments, proof_r, mu))


def verify_round1(package: Round1Package, threshold: int) -> None:
    """Check a broadcast package's shape and proof of possession; complain naming its sender."""
    if len(package.commitments) != threshold:
        raise DkgComplaint(package.identifier,
                           f"{len(package.commitments)} commitments for threshold {threshold}")
    c = _pop_challenge(package.identifier, package.commitments[0], package.proof_r)
    expected = add(base_mult(package.proof_mu), mult(package.commitments[0], N - c))
    if not same(expected, package.proof_r):
        raise DkgComplaint(package.identifier, "proof of possession does not verify")


def dkg_round2(secret: DkgSecret, packages: Mapping[int, Round1Package],
               signers: int) -> dict[int, int]:
    """After checking every package, the share f_i(j) for each other participant j."""
    if sorted(packages) != list(range(1, signers + 1)):
        raise FrostError(f"round-1 packages from {sorted(packages)}, expected 1..{signers}")
    for package in packages.values():
        verify_round1(package, secret.threshold)
    return {j: polynomial_evaluate(j, secret.polynomial)
            for j in range(1, signers + 1) if j != secret.identifier}


def dkg_finish(secret: DkgSecret, packages: Mapping[int, Round1Package],
               received: Mapping[int, int]) -> KeyShare:
    """Check every received f_i(j) against i's commitments, then the final key share."""
    me = secret.identifier
    for sender, share in sorted(received.items()):
        if not same(base_mult(share), vss_evaluate(packages[sender].commitments, me)):
            raise DkgComplaint(sender, f"its share for participant {me} does not match its "
                                       f"commitments")
    if sorted([*received, me]) != sorted(packages):
        raise FrostError(f"shares from {sorted(received)}, expected every other participant")
    own = polynomial_evaluate(me, secret.polynomial)
    signing_share = (own + sum(received.values())) % N
    ids = sorted(packages)
    group = _group_from_commitments(secret.threshold,
                                    [packages[i].commitments for i in ids], ids)
    return KeyShare(me, group, signing_share)
