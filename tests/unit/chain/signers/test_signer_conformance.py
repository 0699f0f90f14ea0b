"""What every `Signer` promises, run against each implementation (the FROST signer of issue 8
joins this list): its public key is its address, its signature is its owner's over the digest
itself, and a refusal by its policy is a `SigningRefused` naming the rule, with no signature."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from eth_keys.datatypes import PublicKey
from signer_fixtures import DIGEST, local_signer

from chain.signers import (
    RequestKind,
    Signer,
    SigningPolicy,
    SigningRefused,
    SigningRequest,
    recover_owner,
)
from chain.signers.base import SignatureKind
from chain.signers.remote import RemoteSigner, SigningService, serving

SECRET = b"conformance-secret"
Factory = Callable[[SigningPolicy | None], Awaitable[Signer]]


class _RefuseAll:
    def review(self, signer: str, request: SigningRequest) -> None:
        raise SigningRefused(signer, "conformance_rule", "refuses everything")


@pytest.fixture(params=["local", "remote"])
async def make_signer(request: pytest.FixtureRequest) -> AsyncIterator[Factory]:
    opened: list[RemoteSigner] = []
    stops: list[Callable[[], Awaitable[object]]] = []

    async def local(policy: SigningPolicy | None) -> Signer:
        return local_signer("conformance", policy=policy)

    async def remote(policy: SigningPolicy | None) -> Signer:
        service = SigningService(local_signer("conformance"), clients={"c": SECRET},
                                 policy=policy)
        serving_cm = serving(service)
        url = await serving_cm.__aenter__()
        stops.append(lambda: serving_cm.__aexit__(None, None, None))
        signer = await RemoteSigner.connect(url, "c", SECRET)
        opened.append(signer)
        return signer

    yield {"local": local, "remote": remote}[request.param]
    for signer in opened:
        await signer.aclose()
    for stop in stops:
        await stop()


async def test_signer_when_asked_who_it_is_then_public_key_derives_its_address(
    make_signer: Factory,
) -> None:
    signer = await make_signer(None)
    assert isinstance(signer, Signer) and signer.name
    assert signer.public_key is not None
    derived = PublicKey.from_compressed_bytes(signer.public_key).to_checksum_address()
    assert derived == signer.address


@pytest.mark.parametrize("kind", list(RequestKind))
async def test_signer_when_signing_then_owner_signature_over_the_digest_itself(
    make_signer: Factory, kind: RequestKind,
) -> None:
    signer = await make_signer(None)
    signature = await signer.sign(SigningRequest(f"conf-{kind.value}", kind, DIGEST, {}))
    assert signature.owner == signer.address and signature.kind is SignatureKind.ECDSA
    assert recover_owner(DIGEST, signature.data) == signer.address


async def test_signer_when_policy_refuses_then_signing_refused_naming_the_rule(
    make_signer: Factory,
) -> None:
    signer = await make_signer(_RefuseAll())
    with pytest.raises(SigningRefused) as refused:
        await signer.sign(SigningRequest("conf-refused", RequestKind.MESSAGE, DIGEST, {}))
    assert refused.value.rule == "conformance_rule"
