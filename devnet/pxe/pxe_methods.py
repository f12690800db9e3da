"""The development PXE's node_ methods and its pxe_ reads and registrations (docs/pxe-jsonrpc.md).

Each pxe_ call parses its params first (a bad one answers -32701 and nothing is done), then runs as
a job of the PXE (jobs.py): it waits its turn, spends its cost (costs.py), then does its work. node_
calls are never jobs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from devnet.pxe import params as parse
from devnet.pxe.rpc_errors import InvalidInput
from shared.pxe.fields import to_field

if TYPE_CHECKING:
    from devnet.pxe.admin_methods import Handler
    from devnet.pxe.jobs import JobQueue
    from devnet.pxe.protocol_state import ProtocolState

T = TypeVar("T")


class PxeMethods:
    """node_ and pxe_ handlers over the fields DevPxe.__init__ creates."""

    state: ProtocolState
    jobs: JobQueue

    def pxe_methods(self) -> dict[str, Handler]:
        return {
            "node_isReady": self.node_is_ready,
            "node_getBlockNumber": self.node_get_block_number,
            "node_getTxReceipt": self.node_get_tx_receipt,
            "node_getPublicStorageAt": self.node_get_public_storage_at,
            "pxe_registerAccount": self.register_account,
            "pxe_registerContract": self.register_contract,
            "pxe_registerSender": self.register_sender,
            "pxe_simulateUtility": self.simulate_utility,
            "pxe_simulateView": self.simulate_view,
            "pxe_getNotes": self.get_notes,
            "pxe_createAuthWit": self.create_authwit,
        }

    async def run_job(self, method: str, seconds: float, work: Callable[[], T]) -> T:
        """`work` as one job of the PXE: after its turn in the queue and its cost."""
        async with self.jobs.job(method) as job:
            await job.spend(seconds)
            return work()

    async def _node(self, method: str) -> None:
        await self.jobs.not_a_job(method, self.jobs.costs.of("node"))

    # --- node_ -------------------------------------------------------------------------------

    async def node_is_ready(self, params: list[Any]) -> bool:
        await self._node("node_isReady")
        return True

    async def node_get_block_number(self, params: list[Any]) -> int:
        await self._node("node_getBlockNumber")
        return self.state.block_number

    async def node_get_tx_receipt(self, params: list[Any]) -> dict[str, Any]:
        (tx_hash,) = parse.arity(params, 1)
        tx_hash = parse.field_str(tx_hash, "txHash")
        await self._node("node_getTxReceipt")
        return self.state.receipt(tx_hash)

    async def node_get_public_storage_at(self, params: list[Any]) -> str:
        """[block, contract, slot] -> the word; any mined block answers as the latest (this PXE keeps no history)."""
        block, contract, slot = parse.arity(params, 3)
        if block != "latest":
            number = parse.amount(block, "block") if isinstance(block, int) else None
            if number is None or number > self.state.block_number:
                raise InvalidInput(f'block must be "latest" or a mined block number (latest: {self.state.block_number})')
        contract, slot = parse.address(contract, "contract"), parse.field_int(slot, "slot")
        await self._node("node_getPublicStorageAt")
        return to_field(self.state.public_storage_at(contract, slot))

    # --- pxe_ registrations ----------------------------------------------------------------------

    async def register_account(self, params: list[Any]) -> dict[str, str]:
        secret_key, *_salt = parse.arity(params, 1, 2)
        secret_key = parse.field_str(secret_key, "secretKey")
        cost = self.jobs.costs.of("pxe_registerAccount")
        return {"address": await self.run_job("pxe_registerAccount", cost, lambda: self.state.register_account(secret_key))}

    async def register_contract(self, params: list[Any]) -> None:
        (registration,) = parse.arity(params, 1)
        if not isinstance(registration, dict) or not isinstance(registration.get("instance"), dict):
            raise InvalidInput('Expected {"instance": {"address", ...}, "secretKey"?}')
        instance = dict(registration["instance"])
        instance["address"] = parse.address(instance.get("address"), "instance.address")
        secret_key = registration.get("secretKey")
        key = None if secret_key is None else parse.field_str(secret_key, "secretKey")
        cost = self.jobs.costs.of("pxe_registerContract")
        await self.run_job("pxe_registerContract", cost, lambda: self.state.register_contract(instance, key))
        return None

    async def register_sender(self, params: list[Any]) -> None:
        """[address] -> null: the PXE then finds the notes that address sends (their tags)."""
        (address,) = parse.arity(params, 1)
        sender = parse.address(address, "address")
        await self.run_job("pxe_registerSender", self.jobs.costs.of("pxe_registerSender"), lambda: self.state.register_sender(sender))
        return None

    # --- pxe_ reads --------------------------------------------------------------------------

    async def simulate_utility(self, params: list[Any]) -> dict[str, list[str]]:
        function, args, to, *rest = parse.arity(params, 3, 5)
        if not isinstance(function, str) or not function:
            raise InvalidInput("functionName must be a string")
        values, target = parse.field_list(args, "args"), parse.address(to, "to")
        cost = self.jobs.costs.utility(function)
        result = await self.run_job("pxe_simulateUtility", cost, lambda: self.state.simulate_utility(function, values, target))
        return {"result": [to_field(v) for v in result]}

    async def simulate_view(self, params: list[Any]) -> dict[str, list[str]]:
        """A public #[view] function at the latest block (docs/pxe-jsonrpc.md); the state says which exist."""
        function, args, to, *rest = parse.arity(params, 3, 4)
        if not isinstance(function, str) or not function:
            raise InvalidInput("functionName must be a string")
        if rest and rest[0] is not None:
            parse.address(rest[0], "from")
        values, target = parse.field_list(args, "args"), parse.address(to, "to")
        cost = self.jobs.costs.of("pxe_simulateView")
        result = await self.run_job("pxe_simulateView", cost, lambda: self.state.simulate_view(function, values, target))
        return {"result": [to_field(v) for v in result]}

    async def get_notes(self, params: list[Any]) -> list[dict[str, Any]]:
        """[{"contractAddress", "storageSlot"?, "scopes"?}] -> the UniqueNotes of that contract this PXE can read."""
        (query,) = parse.arity(params, 1)
        if not isinstance(query, dict):
            raise InvalidInput('Expected {"contractAddress", "storageSlot"?, "scopes"?}')
        contract = parse.address(query.get("contractAddress"), "contractAddress")
        slot = None if query.get("storageSlot") is None else parse.field_int(query["storageSlot"], "storageSlot")
        scopes = query.get("scopes")
        if scopes is not None:
            if not isinstance(scopes, list):
                raise InvalidInput("scopes must be an array of addresses")
            scopes = {parse.address(a, f"scopes[{i}]") for i, a in enumerate(scopes)}
        async with self.jobs.job("pxe_getNotes") as job:
            await job.spend(self.jobs.costs.of("pxe_getNotes"))  # the contract's sync_private_state
            notes = [n for n in self.state.contract_notes(contract, scopes) if slot is None or n.storage_slot == slot]
            await job.spend(self.jobs.costs.of("note") * len(notes))
        return [note.unique_note() for note in notes]

    async def create_authwit(self, params: list[Any]) -> dict[str, Any]:
        on_behalf_of, intent = parse.arity(params, 2)
        if not isinstance(intent, dict):
            raise InvalidInput('Expected {"caller", "call": {"name", "to", "args"}}')
        signer, caller = parse.address(on_behalf_of, "from"), parse.address(intent.get("caller"), "caller")
        call = parse.call(intent.get("call"))
        cost = self.jobs.costs.of("pxe_createAuthWit")
        return await self.run_job("pxe_createAuthWit", cost, lambda: self.state.create_authwit(signer, caller, call))
