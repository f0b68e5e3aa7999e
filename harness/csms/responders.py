"""How a conformant CSMS answers station-initiated requests (OCPP 2.0.1; 1.6 answers are in
:mod:`harness.csms.ocpp16.responders`, from the same policy).

Each responder takes the session and the station's message and returns the response payload.
Tests override single actions with ``station.respond(action, fn)`` for the current test only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.csms.session import Message, Responder, StationSession


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class CsmsPolicy:
    """What the conformant CSMS says: heartbeat interval, and the id-token table."""

    heartbeat_interval: int = 300
    id_tokens: dict[str, str] = field(
        default_factory=lambda: {"VALIDTOKEN01": "Accepted", "VALIDTOKEN02": "Accepted"}
    )
    # OCPP 1.6 section 3.5 (Authorization): idTag -> the parentIdTag its idTagInfo carries;
    # idTags with the same parent may stop each other's transactions (OCTT TC_069_CS).
    parent_id_tags: dict[str, str] = field(default_factory=dict)

    # ISO 15118 (Plug & Charge): the contract certificate status in AuthorizeResponse when the
    # request carries iso15118CertificateHashData or a certificate (C07), the status of
    # Get15118EVCertificate (M01/M02) and of GetCertificateStatus (M06) answers.
    contract_certificate_status: str = "Accepted"
    ev_certificate_status: str = "Accepted"
    ocsp_status: str = "Accepted"

    def token_status(self, id_token: dict[str, Any] | None) -> str:
        if not id_token:
            return "Invalid"
        return self.id_tokens.get(id_token.get("idToken", ""), "Invalid")

    def responders(self, version: str = "2.0.1") -> dict[str, Responder]:
        if version == "1.6":
            from harness.csms.ocpp16 import responders as ocpp16

            return ocpp16.responders(self)
        empty: Callable[[StationSession, Message], dict[str, Any]] = lambda s, m: {}  # noqa: E731

        def boot(session: StationSession, m: Message) -> dict[str, Any]:
            return {"currentTime": now_iso(), "interval": self.heartbeat_interval,
                    "status": "Accepted"}

        def heartbeat(session: StationSession, m: Message) -> dict[str, Any]:
            return {"currentTime": now_iso()}

        def authorize(session: StationSession, m: Message) -> dict[str, Any]:
            reply: dict[str, Any] = {"idTokenInfo": {"status": self.token_status(m.get("idToken"))}}
            if m.get("iso15118CertificateHashData") or m.get("certificate"):
                reply["certificateStatus"] = self.contract_certificate_status
            return reply

        def ev_certificate(session: StationSession, m: Message) -> dict[str, Any]:
            # The CSMS passes the EXI request to the certificate provisioning service; the
            # harness answers with a recognisable EXI stand-in (not a real CertificateInstallationRes).
            return {"status": self.ev_certificate_status,
                    "exiResponse": "SEFSTkVTUy1FWEktUkVTUE9OU0U="}

        def certificate_status(session: StationSession, m: Message) -> dict[str, Any]:
            if self.ocsp_status != "Accepted":
                return {"status": self.ocsp_status}
            return {"status": "Accepted", "ocspResult": "MAMKAQA="}  # OCSPResponse, DER, base64

        def transaction_event(session: StationSession, m: Message) -> dict[str, Any]:
            if m.get("idToken"):
                return {"idTokenInfo": {"status": self.token_status(m.get("idToken"))}}
            return {}

        def data_transfer(session: StationSession, m: Message) -> dict[str, Any]:
            return {"status": "UnknownVendorId"}

        def accepted(session: StationSession, m: Message) -> dict[str, Any]:
            return {"status": "Accepted"}

        return {
            "BootNotification": boot,
            "Heartbeat": heartbeat,
            "Authorize": authorize,
            "TransactionEvent": transaction_event,
            "StatusNotification": empty,
            "MeterValues": empty,
            "NotifyReport": empty,
            "NotifyEvent": empty,
            "NotifyMonitoringReport": empty,
            "SecurityEventNotification": empty,
            "LogStatusNotification": empty,
            "FirmwareStatusNotification": empty,
            "NotifyCustomerInformation": empty,
            "NotifyDisplayMessages": empty,
            "NotifyChargingLimit": empty,
            "ClearedChargingLimit": empty,
            "ReportChargingProfiles": empty,
            "ReservationStatusUpdate": empty,
            "PublishFirmwareStatusNotification": empty,
            "NotifyEVChargingNeeds": accepted,
            "NotifyEVChargingSchedule": accepted,
            "SignCertificate": accepted,
            "Get15118EVCertificate": ev_certificate,
            "GetCertificateStatus": certificate_status,
            "DataTransfer": data_transfer,
        }
