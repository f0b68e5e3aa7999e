"""How a conformant OCPP 1.6 Central System answers charge point requests.

Same policy as 2.0.1 (:class:`harness.csms.responders.CsmsPolicy`: heartbeat interval, the
id-token table), said in 1.6 words: ``idTag`` / ``idTagInfo``, and the Central System assigns
the transactionId in StartTransaction.conf (OCPP 1.6 section 6.46).
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Collection
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.csms.responders import CsmsPolicy
    from harness.csms.session import Message, Responder, StationSession

# OCPP 1.6 AuthorizationStatus; a 2.0.1-only status of the token table becomes Invalid.
AUTHORIZATION_STATUSES = ("Accepted", "Blocked", "Expired", "Invalid", "ConcurrentTx")


def id_tag_status(policy: CsmsPolicy, id_tag: str | None) -> str:
    status = policy.token_status({"idToken": id_tag} if id_tag else None)
    return status if status in AUTHORIZATION_STATUSES else "Invalid"


def id_tag_info(policy: CsmsPolicy, id_tag: str | None) -> dict[str, Any]:
    """The IdTagInfo for ``id_tag``: its status, and its parentIdTag if the policy has one."""
    info: dict[str, Any] = {"status": id_tag_status(policy, id_tag)}
    parent = policy.parent_id_tags.get(id_tag or "")
    if parent:
        info["parentIdTag"] = parent
    return info


def with_parent_id_tag(answer: Responder, id_tags: Collection[str], parent: str) -> Responder:
    """``answer`` (how the CSMS answers Authorize, StartTransaction or StopTransaction) with
    ``parent`` as the idTagInfo.parentIdTag of ``id_tags``: the Central System says these
    idTags belong to one group (1.6 sections 3.5, 5.13), e.g. for one test with
    ``station.respond("Authorize", with_parent_id_tag(station.responders["Authorize"], ...))``."""

    async def respond(session: StationSession, m: Message) -> dict[str, Any]:
        result = answer(session, m)
        reply = dict(await result if inspect.isawaitable(result) else result)
        if m.get("idTag") in id_tags and "idTagInfo" in reply:
            reply["idTagInfo"] = {**reply["idTagInfo"], "parentIdTag": parent}
        return reply

    return respond


def responders(policy: CsmsPolicy) -> dict[str, Responder]:
    from harness.csms.responders import now_iso

    # Unique over the run (a CSMS never reuses a transactionId), starting at a recognisable 1001.
    transaction_ids = itertools.count(1001)

    def empty(session: StationSession, m: Message) -> dict[str, Any]:
        return {}

    def boot(session: StationSession, m: Message) -> dict[str, Any]:
        return {"currentTime": now_iso(), "interval": policy.heartbeat_interval, "status": "Accepted"}

    def heartbeat(session: StationSession, m: Message) -> dict[str, Any]:
        return {"currentTime": now_iso()}

    def authorize(session: StationSession, m: Message) -> dict[str, Any]:
        return {"idTagInfo": id_tag_info(policy, m.get("idTag"))}

    def start_transaction(session: StationSession, m: Message) -> dict[str, Any]:
        return {"idTagInfo": id_tag_info(policy, m.get("idTag")),
                "transactionId": next(transaction_ids)}

    def stop_transaction(session: StationSession, m: Message) -> dict[str, Any]:
        if m.get("idTag"):
            return {"idTagInfo": id_tag_info(policy, m.get("idTag"))}
        return {}

    def data_transfer(session: StationSession, m: Message) -> dict[str, Any]:
        return {"status": "UnknownVendorId"}

    def accepted(session: StationSession, m: Message) -> dict[str, Any]:
        return {"status": "Accepted"}

    return {
        "BootNotification": boot,
        "Heartbeat": heartbeat,
        "StatusNotification": empty,
        "Authorize": authorize,
        "StartTransaction": start_transaction,
        "StopTransaction": stop_transaction,
        "MeterValues": empty,
        "DataTransfer": data_transfer,
        "FirmwareStatusNotification": empty,
        "DiagnosticsStatusNotification": empty,
        # Security Whitepaper ed.2 (1.6 extensions; schemas ship with the ``ocpp`` package)
        "SecurityEventNotification": empty,
        "LogStatusNotification": empty,
        "SignedFirmwareStatusNotification": empty,
        "SignCertificate": accepted,
    }
