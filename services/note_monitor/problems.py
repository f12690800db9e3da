"""What keeps an escrow from being read, in words an operator acts on (never Aztec's BoundedVec message).

A real PXE finds a note only once it knows the note's sender, and processes it only with the keys of the
note's owner (docs/pxe-jsonrpc.md, "No note"). An escrow's pool notes are the escrow's own (its secret
key) and are sent by its pool; its config note, where its pool is named, is its owner's on nocom-v1.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

BOUNDED_VEC = "read past end of BoundedVec"  # what Noir says when a note the PXE never found is read
NO_NOTE = "No note found"  # what the project's PXEs say instead (docs/pxe-jsonrpc.md)
REGISTER_AGAIN = ("register it again with its secret key: DELETE /escrows/{escrow}, then POST /escrows with "
                  "its secretKey, owner and pool")


def gateway_name(url: str) -> str:
    """A gateway's URL as the monitor shows and stores it: without user and password."""
    parts = urlsplit(url.rstrip("/"))
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port is not None:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def is_no_note(reason: str) -> bool:
    """The PXE found no note to read (its words, or Noir's)."""
    return reason.startswith(NO_NOTE) or BOUNDED_VEC in reason


def _said(reason: str | None) -> str:
    """The PXE's own words in parentheses, unless they are Noir's BoundedVec message, which says nothing."""
    if not reason or BOUNDED_VEC in reason:
        return ""
    return f" (the PXE says: {reason[:300]})"


NOT_DEPLOYED = "No contract instance found"  # what a PXE says of an address where nothing is deployed


def pool_not_deployed(pool: str, gateway: str, reason: str) -> str | None:
    """The words for a pool the network does not have, when that is what the PXE said; None otherwise."""
    if NOT_DEPLOYED not in reason:
        return None
    return (f"pool {pool} is not deployed on the network the PXE at {gateway} follows (the node knows no contract "
            "there), so no position of this escrow can be read: check the escrow's pool and the network")


def config_unreadable(escrow: str, gateway: str, reason: str) -> str:
    return (f"the PXE at {gateway} cannot read escrow {escrow}'s config note, which names its pool{_said(reason)}. "
            "On nocom-v1 that note is the escrow owner's: a PXE reads it only while holding the owner's keys. "
            "Give the escrow's pool in `pool` (with its `owner` and `secretKey`): the pool's own config is read instead")


def notes_unreadable(escrow: str, pool: str, gateway: str, reason: str | None) -> str:
    return (f"the PXE at {gateway} finds no collateral or loan note of escrow {escrow} in pool {pool}{_said(reason)}. "
            "Give the escrow's `secretKey` (its notes are decrypted with it) and its `owner` (a sender of its "
            "notes), and check that `pool` is the escrow's pool")


def key_lost(escrow: str, gateway: str) -> str:
    return (f"the PXE at {gateway} no longer finds escrow {escrow}'s notes, although the monitor registered their "
            "senders with it again: it lost the escrow's key (a gateway restarted on an empty store?); "
            + REGISTER_AGAIN.format(escrow=escrow))


def never_keyed(escrow: str, gateway: str, reason: str | None) -> str:
    return (f"the PXE at {gateway} finds no note of escrow {escrow}{_said(reason)}, and the monitor was never given "
            "its key, so it cannot register it again: " + REGISTER_AGAIN.format(escrow=escrow))


def unreadable_summary(key_lost_count: int, other_count: int) -> str | None:
    """The /health words for the escrows the last sync could not read for want of a note (no addresses:
    /health is open)."""
    if not key_lost_count and not other_count:
        return None
    parts = []
    if key_lost_count:
        parts.append(f"{key_lost_count} whose PXE lost their key (a gateway restarted on an empty store?)")
    if other_count:
        parts.append(f"{other_count} whose notes their PXE does not find")
    return (f"{' and '.join(parts)} cannot be read. GET /escrows shows each one's `problem`, the log each "
            "`Escrow unreadable`; register each again with its secret key (DELETE /escrows/{address}, then "
            "POST /escrows with secretKey, owner and pool)")
