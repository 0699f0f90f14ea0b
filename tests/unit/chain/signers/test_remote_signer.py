"""The reference signing service and its clients over loopback HTTP (a real aiohttp server in
this process): lifecycle, approvals, idempotency by request id, authentication, expiry."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from signer_fixtures import (
    RECIPIENT,
    SAFE,
    SANCTIONED,
    TOKEN,
    TRANSFER,
    erc20,
    local_signer,
    request_for,
)

from chain.signers import (
    Approver,
    GuardPolicy,
    GuardRules,
    RemoteSigner,
    RemoteSignerError,
    RemoteSignerUnreachable,
    RequireApprovals,
    SafeSignature,
    SigningDeadlineExceeded,
    SigningRefused,
    SigningRequest,
    SigningService,
    recover_owner,
    serving,
)
from chain.signers.remote import (
    TRANSITIONS,
    InvalidTransition,
    RequestEvent,
    RequestStatus,
    auth_headers,
)
from chain.signers.remote.lifecycle import SigningRecord

CLIENT, APPROVER_A, APPROVER_B = "desk", "ops-a", "ops-b"
SECRETS = {CLIENT: b"client-secret-for-tests", APPROVER_A: b"approver-a-secret",
           APPROVER_B: b"approver-b-secret"}
RULES = GuardRules(allowed_calls={TOKEN: {TRANSFER}}, recipients={RECIPIENT},
                   token_caps={TOKEN: 10**6}, blocked={SANCTIONED})


def _service(approvals: int = 0, **kwargs: object) -> SigningService:
    return SigningService(
        local_signer("custody"), clients={CLIENT: SECRETS[CLIENT]},
        approvers={k: SECRETS[k] for k in (APPROVER_A, APPROVER_B)},
        policy=GuardPolicy(RULES), approval=RequireApprovals(approvals) if approvals else None,
        **kwargs)  # type: ignore[arg-type]


def _transfer(request_id: str, amount: int = 5, to: str = RECIPIENT) -> SigningRequest:
    return request_for(TOKEN, erc20("transfer", to, amount), request_id=request_id)


@pytest.fixture
async def plain() -> AsyncIterator[tuple[SigningService, str]]:
    service = _service()
    async with serving(service) as url:
        yield service, url


@pytest.fixture
async def two_approvals() -> AsyncIterator[tuple[SigningService, str]]:
    service = _service(approvals=2)
    async with serving(service) as url:
        yield service, url


async def test_sign_when_policy_passes_then_signature_of_the_service_key_and_full_history(
    plain: tuple[SigningService, str],
) -> None:
    service, url = plain
    async with await RemoteSigner.connect(url, CLIENT, SECRETS[CLIENT],
                                          expected_address=service.signer.address) as remote:
        request = _transfer("t-1")
        signature = await remote.sign(request)
        assert remote.address == service.signer.address and remote.public_key is not None
        assert recover_owner(request.digest, signature.data) == service.signer.address
        record = await remote.status("t-1")
    assert [h["status"] for h in record["history"]] == [
        "submitted", "policy_checked", "approved", "signed"]


async def test_sign_when_same_request_id_then_same_signature_and_other_digest_refused(
    plain: tuple[SigningService, str],
) -> None:
    _, url = plain
    async with await RemoteSigner.connect(url, CLIENT, SECRETS[CLIENT]) as remote:
        first = await remote.sign(_transfer("t-2"))
        again = await remote.sign(_transfer("t-2"))
        assert again == first
        with pytest.raises(SigningRefused) as reused:
            await remote.sign(_transfer("t-2", amount=6))
    assert reused.value.rule == "request_id_reused"


async def test_sign_when_policy_refuses_then_rejected_with_rule_and_no_signature(
    plain: tuple[SigningService, str],
) -> None:
    service, url = plain
    async with await RemoteSigner.connect(url, CLIENT, SECRETS[CLIENT]) as remote:
        with pytest.raises(SigningRefused) as refused:
            await remote.sign(_transfer("t-3", to=SANCTIONED))
    assert refused.value.rule == "blocked_address"
    record = service.status("t-3")
    assert record.status is RequestStatus.REJECTED and record.signature is None


async def test_sign_when_two_approvals_needed_then_pending_until_two_distinct_approvers(
    two_approvals: tuple[SigningService, str],
) -> None:
    service, url = two_approvals
    async with (await RemoteSigner.connect(url, CLIENT, SECRETS[CLIENT]) as remote,
                Approver(url, APPROVER_A, SECRETS[APPROVER_A]) as ops_a,
                Approver(url, APPROVER_B, SECRETS[APPROVER_B]) as ops_b):
        signing = asyncio.create_task(remote.sign(_transfer("t-4")))
        while "t-4" not in service._records:
            await asyncio.sleep(0.01)
        assert (await ops_a.status("t-4"))["status"] == "pending_approval"
        await ops_a.approve("t-4")
        second = await ops_a.approve("t-4")  # the same approver twice counts once
        assert second["status"] == "pending_approval" and second["approvals"] == [APPROVER_A]
        assert not signing.done()
        final = await ops_b.approve("t-4")
        signature = await asyncio.wait_for(signing, 10)
    assert final["status"] == "signed" and final["approvals"] == [APPROVER_A, APPROVER_B]
    assert signature.owner == service.signer.address
    assert "pending_approval" in [h["status"] for h in final["history"]]


async def test_approve_when_client_key_or_request_not_pending_then_refused(
    two_approvals: tuple[SigningService, str],
) -> None:
    _, url = two_approvals
    async with (Approver(url, CLIENT, SECRETS[CLIENT]) as client_as_approver,
                Approver(url, APPROVER_A, SECRETS[APPROVER_A]) as ops_a,
                await RemoteSigner.connect(url, CLIENT, SECRETS[CLIENT], deadline_s=0.2,
                                           poll_s=0.1) as remote):
        with pytest.raises(SigningDeadlineExceeded):
            await remote.sign(_transfer("t-5"))
        with pytest.raises(RemoteSignerError, match="HTTP 403 forbidden"):
            await client_as_approver.approve("t-5")
        rejected = await ops_a.reject("t-5", "not today")
        assert rejected["status"] == "rejected" and rejected["rule"] == "approver_rejected"
        with pytest.raises(RemoteSignerError, match="HTTP 409 not_pending"):
            await ops_a.approve("t-5")
        with pytest.raises(RemoteSignerError, match="HTTP 404"):
            await ops_a.approve("never-submitted")
        with pytest.raises(SigningRefused, match="approver_rejected"):
            await remote.sign(_transfer("t-5"))


async def test_sign_when_deadline_passes_then_resubmitting_same_id_picks_up_signature(
    two_approvals: tuple[SigningService, str],
) -> None:
    _, url = two_approvals
    async with (await RemoteSigner.connect(url, CLIENT, SECRETS[CLIENT], deadline_s=0.3,
                                           poll_s=0.1) as remote,
                Approver(url, APPROVER_A, SECRETS[APPROVER_A]) as ops_a,
                Approver(url, APPROVER_B, SECRETS[APPROVER_B]) as ops_b):
        with pytest.raises(SigningDeadlineExceeded) as late:
            await remote.sign(_transfer("t-6"))
        assert late.value.status == "pending_approval"
        await ops_a.approve("t-6")
        await ops_b.approve("t-6")
        signature = await remote.sign(_transfer("t-6"))
    assert recover_owner(_transfer("t-6").digest, signature.data) == signature.owner


async def test_request_when_not_approved_within_ttl_then_expired() -> None:
    now = [time.time()]
    service = _service(approvals=1, ttl_s=60, clock=lambda: now[0])
    async with serving(service) as url, await RemoteSigner.connect(
            url, CLIENT, SECRETS[CLIENT], deadline_s=0.2, poll_s=0.05,
            clock=lambda: now[0]) as remote:
        with pytest.raises(SigningDeadlineExceeded):
            await remote.sign(_transfer("t-7"))
        now[0] += 61
        with pytest.raises(SigningRefused) as expired:
            await remote.sign(_transfer("t-7"))
    assert expired.value.rule == "expired"
    assert service.status("t-7").status is RequestStatus.EXPIRED


async def test_request_when_auth_is_wrong_then_401_and_nothing_recorded(
    plain: tuple[SigningService, str],
) -> None:
    service, url = plain
    with pytest.raises(RemoteSignerError, match="HTTP 401"):
        await RemoteSigner.connect(url, CLIENT, b"not-the-secret")
    with pytest.raises(RemoteSignerError, match="HTTP 401"):
        await RemoteSigner.connect(url, "nobody", SECRETS[CLIENT])
    with pytest.raises(RemoteSignerError, match="HTTP 401"):  # a stale timestamp
        await RemoteSigner.connect(url, CLIENT, SECRETS[CLIENT], clock=lambda: time.time() - 300)
    # A body changed after it was signed: the MAC covers the body.
    signed_body, sent_body = b'{"request_id": "a"}', b'{"request_id": "b"}'
    headers = auth_headers(CLIENT, SECRETS[CLIENT], "POST", "/v1/requests", signed_body,
                           time.time())
    async with aiohttp.ClientSession() as session, session.post(
            url + "/v1/requests", data=sent_body, headers=headers) as response:
        assert response.status == 401
        assert (await response.json())["detail"] == "bad signature"
    assert service._records == {}


async def test_connect_when_service_signs_as_someone_else_or_is_down_then_typed_errors(
    plain: tuple[SigningService, str],
) -> None:
    _, url = plain
    with pytest.raises(RemoteSignerError, match="expected"):
        await RemoteSigner.connect(url, CLIENT, SECRETS[CLIENT], expected_address=SAFE)
    async with serving(_service()) as other_url:
        pass  # started and stopped: nothing listens there now
    with pytest.raises(RemoteSignerUnreachable):
        await RemoteSigner.connect(other_url, CLIENT, SECRETS[CLIENT])


def test_lifecycle_when_event_not_in_table_then_refused() -> None:
    record = SigningRecord(_transfer("t-8"), CLIENT, expires_at_s=0)
    with pytest.raises(InvalidTransition, match="signed is not allowed in status submitted"):
        record.apply(RequestEvent.SIGNED, 0)
    finals = {RequestStatus.SIGNED, RequestStatus.REJECTED, RequestStatus.EXPIRED}
    assert not [key for key in TRANSITIONS if key[0] in finals]


class _BrokenKey:
    """A held key that cannot be used (an HSM that stopped answering)."""

    def __init__(self) -> None:
        self.inner = local_signer("broken")

    name = property(lambda self: "broken")
    address = property(lambda self: self.inner.address)
    public_key = property(lambda self: self.inner.public_key)

    async def sign(self, request: SigningRequest) -> SafeSignature:
        raise ConnectionError("hsm unreachable")


async def test_sign_when_held_key_fails_then_request_rejected_not_stuck() -> None:
    service = SigningService(_BrokenKey(), clients={CLIENT: SECRETS[CLIENT]})
    async with serving(service) as url, await RemoteSigner.connect(
            url, CLIENT, SECRETS[CLIENT]) as remote:
        with pytest.raises(SigningRefused) as failed:
            await remote.sign(_transfer("t-9"))
    assert failed.value.rule == "signer_failed" and "ConnectionError" in failed.value.detail
    assert service.status("t-9").status is RequestStatus.REJECTED
