"""How a conformant OCPP 1.6 Central System answers charge point requests.

Same policy as 2.0.1 (:class:`harness.csms.responders.CsmsPolicy`: heartbeat interval, the
id-token table), said in 1.6 words: ``idTag`` / ``idTagInfo``, and the Central System assigns
the transactionId in StartTransaction.conf (OCPP 1.6 section 6.46).
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.csms.responders import CsmsPolicy
    from harness.csms.session import Message, Responder, StationSession

# OCPP 1.6 AuthorizationStatus; a 2.0.1-only status of the token table becomes Invalid.
AUTHORIZATION_STATUSES = ("Accepted", "Blocked", "Expired", "Invalid", "ConcurrentTx")


def id_tag_status(policy: CsmsPolicy, id_tag: str | None) -> str:
    status = policy.token_status({"idToken": id_tag} if id_tag else None)
    return status if status in AUTHORIZATION_STATUSES else "Invalid"


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
        return {"idTagInfo": {"status": id_tag_status(policy, m.get("idTag"))}}

    def start_transaction(session: StationSession, m: Message) -> dict[str, Any]:
        return {"idTagInfo": {"status": id_tag_status(policy, m.get("idTag"))},
                "transactionId": next(transaction_ids)}

    def stop_transaction(session: StationSession, m: Message) -> dict[str, Any]:
        if m.get("idTag"):
            return {"idTagInfo": {"status": id_tag_status(policy, m.get("idTag"))}}
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
