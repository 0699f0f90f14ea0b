"""`crossbook frost keygen|sign`: FROST(secp256k1, SHA-256) threshold keys for operators and
auditors.

`keygen` runs a distributed key generation across one process per participant (or, with
`--dealer`, a trusted dealer for tests) and writes a key directory; `sign` has the chosen
participants, each in its own process with its own share, sign a message. Shares never
appear on the command line, in output or in errors.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from chain.signers.frost import core
from chain.signers.frost.keys import GroupKey
from chain.signers.frost.operator import keygen as run_keygen
from chain.signers.frost.operator import load_group, sign_message
from engine.cli.output import ExitCode, console, fail, print_json, table

app = typer.Typer(help="FROST threshold keys: generate (DKG) and sign.", no_args_is_help=True)

Json = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of text.")]


def _group_document(group: GroupKey, directory: Path, method: str) -> dict[str, Any]:
    public_key = core.serialize_element(group.public_key)
    return {"public_key": public_key.hex(), "threshold": group.threshold,
            "signers": group.signers, "method": method, "keys": str(directory),
            "verifying_shares": {str(i): core.serialize_element(v).hex()
                                 for i, v in sorted(group.verifying_shares.items())},
            "on_chain_verifiable": int.from_bytes(public_key[1:], "big") < core.N}


@app.command()
def keygen(
    threshold: Annotated[int, typer.Option("--threshold", help="Signers needed (T).")],
    signers: Annotated[int, typer.Option("--signers", help="Participants (N).")],
    out: Annotated[Path, typer.Option("--out", help="New key directory.")],
    dealer: Annotated[bool, typer.Option(
        "--dealer", help="Trusted dealer instead of DKG (tests only: the dealer sees the key).")]
    = False,
    json_output: Json = False,
) -> None:
    """Generate a T-of-N key: a DKG across N participant processes by default."""
    if not 2 <= threshold <= signers:
        fail(ExitCode.USAGE, f"--threshold must be between 2 and --signers ({signers}), got "
                             f"{threshold}")
    try:
        group = run_keygen(out, threshold, signers, dealer)
    except core.FrostError as error:
        fail(ExitCode.USAGE if "never overwritten" in str(error) else ExitCode.REFUSED,
             str(error))
    document = _group_document(group, out, "dealer" if dealer else "dkg")
    if json_output:
        print_json(document)
        return
    console.print(table(f"FROST {threshold}-of-{signers} key ({document['method']})",
                        ["participant", "verifying share"],
                        [[int(i), v] for i, v in document["verifying_shares"].items()]))
    console.print(f"group public key {document['public_key']}; shares in {out} (mode 0600)")


def _ids(raw: str) -> list[int]:
    try:
        ids = [int(part) for part in raw.split(",") if part.strip()]
    except ValueError:
        fail(ExitCode.USAGE, f"--signers must be comma-separated participant numbers, got "
                             f"{raw!r}")
    if not ids or len(set(ids)) != len(ids):
        fail(ExitCode.USAGE, f"--signers must list distinct participants, got {raw!r}")
    return ids


@app.command()
def sign(
    keys: Annotated[Path, typer.Option("--keys", help="Key directory from `frost keygen`.")],
    signers: Annotated[str, typer.Option("--signers", help="Participants, e.g. 1,3,4.")],
    message: Annotated[str, typer.Option("--message", help="Message to sign, hex.")],
    json_output: Json = False,
) -> None:
    """Sign a message with the listed participants (at least the threshold)."""
    ids = _ids(signers)
    try:
        raw = bytes.fromhex(message.removeprefix("0x"))
    except ValueError:
        fail(ExitCode.USAGE, f"--message must be hex, got {message!r}")
    try:
        group = load_group(keys)
        if len(ids) < group.threshold or any(i not in group.verifying_shares for i in ids):
            fail(ExitCode.USAGE, f"--signers needs at least {group.threshold} of participants "
                                 f"1..{group.signers}, got {ids}")
        signature = sign_message(keys, ids, raw)
    except core.FrostError as error:
        fail(ExitCode.USAGE if "does not exist" in str(error) else ExitCode.REFUSED, str(error))
    document = {"public_key": core.serialize_element(group.public_key).hex(),
                "signature": signature.hex(), "message": raw.hex(), "signers": sorted(ids),
                "threshold": group.threshold,
                "verified": core.verify(group.public_key, raw, signature)}
    if json_output:
        print_json(document)
        return
    console.print(table("FROST signature", ["field", "value"],
                        [[k, str(v)] for k, v in document.items()]))
