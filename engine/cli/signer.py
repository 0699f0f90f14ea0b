"""`crossbook signer new|show|serve`: local keystores and the reference signing service.

Secrets never appear on the command line: the keystore password and each caller's HMAC secret
are read from environment variables whose names are given (`--password-env`, `--client
ID:ENV`). The service signs only under a rules file mirroring the Safe guard (`--rules`), or
with `--allow-all` said out loud.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from chain.signers import (
    GuardPolicy,
    GuardRules,
    KeystoreError,
    LocalKeySigner,
    RequireApprovals,
    SigningPolicy,
    SigningService,
    serving,
)
from engine.cli.output import ExitCode, console, fail, print_json

app = typer.Typer(help="Signing keys and the reference remote signing service.",
                  no_args_is_help=True)

Keystore = Annotated[Path, typer.Option("--keystore", help="Keystore v3 JSON file.")]
PasswordEnv = Annotated[str, typer.Option(
    "--password-env", help="Name of the environment variable holding the keystore password.")]
Json = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of text.")]
_RULE_FIELDS = ("allowed_calls", "spenders", "recipients", "token_caps", "max_value",
                "multisend", "blocked", "safes", "chain_ids", "allow_messages", "abis")


def _identity(signer: LocalKeySigner, keystore: Path) -> dict[str, Any]:
    return {"name": signer.name, "address": signer.address, "keystore": str(keystore),
            "public_key": "0x" + signer.public_key.hex()}


def _load(keystore: Path, password_env: str) -> LocalKeySigner:
    try:
        return LocalKeySigner.from_keystore(keystore, password_env, keystore.stem)
    except KeystoreError as error:
        fail(ExitCode.USAGE, str(error))


@app.command()
def new(keystore: Keystore, password_env: PasswordEnv, json_output: Json = False) -> None:
    """Create a key and write it encrypted (scrypt) to a new keystore file."""
    if keystore.exists():
        fail(ExitCode.USAGE, f"{keystore} exists; a keystore is never overwritten")
    signer = LocalKeySigner.generate(keystore.stem)
    try:
        signer.to_keystore(keystore, password_env)
    except (KeystoreError, OSError) as error:
        fail(ExitCode.USAGE, str(error))
    _print_identity(_identity(signer, keystore), json_output)


@app.command()
def show(keystore: Keystore, password_env: PasswordEnv, json_output: Json = False) -> None:
    """Decrypt a keystore and show the owner address and public key it holds."""
    _print_identity(_identity(_load(keystore, password_env), keystore), json_output)


def _print_identity(identity: dict[str, Any], json_output: bool) -> None:
    if json_output:
        print_json(identity)
        return
    console.print(f"signer {identity['name']}: owner {identity['address']}\n"
                  f"public key {identity['public_key']}\nkeystore {identity['keystore']}")


def _secrets(pairs: list[str], option: str) -> dict[str, bytes]:
    secrets: dict[str, bytes] = {}
    for pair in pairs:
        key_id, _, variable = pair.partition(":")
        if not key_id or not variable:
            fail(ExitCode.USAGE, f"{option} takes KEY_ID:ENV_VAR, got {pair!r}")
        value = os.environ.get(variable)
        if not value:
            fail(ExitCode.USAGE, f"{option} {key_id}: environment variable {variable} is not "
                                 f"set or empty")
        secrets[key_id] = value.encode()
    return secrets


def _policy(rules_file: Path | None, allow_all: bool) -> SigningPolicy | None:
    if rules_file is None:
        if not allow_all:
            fail(ExitCode.USAGE, "give --rules FILE (the guard's rules as JSON) or --allow-all")
        return None
    try:
        document = json.loads(rules_file.read_text())
    except (OSError, ValueError) as error:
        fail(ExitCode.USAGE, f"rules file {rules_file} is not readable JSON: {error}")
    unknown = sorted(set(document) - set(_RULE_FIELDS))
    if unknown:
        fail(ExitCode.USAGE, f"rules file {rules_file}: unknown field {unknown[0]!r}; fields: "
                             f"{', '.join(_RULE_FIELDS)}")
    try:
        document["token_caps"] = {t: int(c) for t, c in document.get("token_caps", {}).items()}
        return GuardPolicy(GuardRules(**document))
    except (TypeError, ValueError) as error:
        fail(ExitCode.USAGE, f"rules file {rules_file}: {error}")


@app.command()
def serve(
    keystore: Keystore,
    password_env: PasswordEnv,
    client: Annotated[list[str], typer.Option(
        help="A client allowed to submit requests, as KEY_ID:ENV_VAR (the HMAC secret's "
             "variable). Repeatable.")],
    approver: Annotated[list[str] | None, typer.Option(
        help="An approver, as KEY_ID:ENV_VAR. Repeatable.")] = None,
    approvals: Annotated[int, typer.Option(
        help="Distinct approvals every request needs before it is signed.")] = 0,
    rules: Annotated[Path | None, typer.Option(help="Guard rules as JSON.")] = None,
    allow_all: Annotated[bool, typer.Option(help="Sign without rules (tests only).")] = False,
    ttl_s: Annotated[float, typer.Option(help="Seconds a request may wait for approval.")]
    = 300.0,
    host: Annotated[str, typer.Option(help="Listen address.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Listen port (0: a free one).")] = 0,
) -> None:
    """Serve the key over HTTP until SIGINT/SIGTERM; prints one JSON line when listening."""
    policy = _policy(rules, allow_all)
    clients = _secrets(client, "--client")
    approvers = _secrets(approver or [], "--approver")
    if approvals > len(approvers):
        fail(ExitCode.USAGE, f"--approvals {approvals} needs at least that many --approver")
    signer = _load(keystore, password_env)
    service = SigningService(signer, clients, approvers, policy=policy,
                             approval=RequireApprovals(approvals) if approvals else None,
                             ttl_s=ttl_s)
    try:
        asyncio.run(_serve(service, host, port))
    except OSError as error:
        fail(ExitCode.USAGE, f"cannot listen on {host}:{port}: {error}")


async def _serve(service: SigningService, host: str, port: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with serving(service, host, port) as url:
        sys.stdout.write(json.dumps({"url": url, "address": service.signer.address,
                                     "signer": service.signer.name}) + "\n")
        sys.stdout.flush()
        await stop.wait()
