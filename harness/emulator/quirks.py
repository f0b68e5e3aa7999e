"""Switchable non-conformances of the emulated station.

Each quirk is a defect seen in real chargers. The project's self-tests switch one on and
check that the suite cases listed here fail, and say why; that is how we know a suite can
catch what it claims to catch.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Quirk:
    name: str
    description: str
    breaks: tuple[str, ...]  # OCTT ids of suite cases that must fail with this quirk on


QUIRKS: dict[str, Quirk] = {
    q.name: q
    for q in (
        Quirk("wrong_seq_no", "TransactionEvent seqNo repeats instead of incrementing",
              ("TC_F_08_CS", "TC_J_09_CS")),
        Quirk("missing_ended_event", "a stopped transaction never sends TransactionEvent Ended",
              ("TC_F_08_CS", "TC_J_10_CS")),
        Quirk("ignores_heartbeat_interval",
              "accepts a new HeartbeatInterval but keeps the interval from the boot response",
              ("TC_B_09_CS",)),
        Quirk("accepts_read_only_write", "SetVariables on a ReadOnly variable answers Accepted",
              ("TC_B_39_CS",)),
        Quirk("accepts_invalid_value", "SetVariables with a badly formatted value answers Accepted",
              ("TC_B_11_CS", "TC_A_10_CS")),
        Quirk("unknown_component_accepted",
              "GetVariables on an unknown component answers Accepted with an empty value",
              ("TC_B_32_CS",)),
        Quirk("report_tbc_wrong", "the last NotifyReport of a base report still says tbc=true",
              ("TC_B_12_CS", "TC_B_13_CS")),
        Quirk("talks_while_pending",
              "sends StatusNotification while its BootNotification is Pending",
              ("TC_B_02_CS",)),
        Quirk("no_status_after_boot", "sends no StatusNotification after an accepted boot",
              ("TC_B_01_CS",)),
        Quirk("availability_not_persisted", "forgets an Inoperative availability over a reset",
              ("TC_B_23_CS", "TC_G_18_CS", "TC_G_19_CS", "TC_G_21_CS")),
        Quirk("accepts_untrusted_csms_certificate",
              "connects over TLS without validating the CSMS server certificate",
              ("TC_A_05_CS",)),
        Quirk("no_invalid_certificate_event",
              "refuses an invalid CSMS certificate but never sends SecurityEventNotification "
              "InvalidCsmsCertificate", ("TC_A_05_CS",)),
        Quirk("accepts_tls_1_1", "connects to a CSMS offering only TLS 1.0 / 1.1",
              ("TC_A_06_CS",)),
        Quirk("accepts_security_downgrade",
              "SetNetworkProfile with a lower security profile than the current one: Accepted",
              ("TC_A_22_CS",)),
        Quirk("unlocks_during_transaction",
              "UnlockConnector answers Unlocked while a transaction is ongoing",
              ("TC_F_05_CS",)),
        Quirk("drops_queue_after_reconnect",
              "transaction messages queued while offline are dropped on reconnect",
              ("TC_E_40_CS", "TC_E_43_CS", "TC_E_44_CS")),
        Quirk("no_offline_flag", "transaction messages queued while offline lack offline=true",
              ("TC_E_40_CS", "TC_E_43_CS", "TC_E_44_CS")),
        Quirk("no_tx_event_retry", "a TransactionEvent that failed is never retried",
              ("TC_E_41_CS", "TC_E_42_CS", "TC_E_50_CS", "TC_E_51_CS")),
        Quirk("remote_stop_unknown_accepted",
              "RequestStopTransaction for an unknown transaction answers Accepted",
              ("TC_F_09_CS",)),
        Quirk("trigger_heartbeat_ignored",
              "TriggerMessage(Heartbeat) answers Accepted but sends no Heartbeat",
              ("TC_F_20_CS",)),
        Quirk("ignores_ev_connection_timeout",
              "an authorization without a plugged cable never times out",
              ("TC_F_04_CS", "TC_E_39_CS")),
        Quirk("clock_aligned_off_grid",
              "clock-aligned meter values are sent off the interval boundary",
              ("TC_J_01_CS", "TC_J_02_CS")),
        Quirk("status_burst_below_threshold",
              "after a short offline period it resends every connector status, not just changes",
              ("TC_B_52_CS",)),
        Quirk("password_not_applied",
              "accepts a new BasicAuthPassword but keeps connecting with the old one",
              ("TC_A_09_CS",)),
        Quirk("data_transfer_accepted", "DataTransfer from an unknown vendor answers Accepted",
              ("TC_P_01_CS",)),
        Quirk("garbage_frames", "sends a malformed JSON frame after every StatusNotification",
              ("TC_G_01_CS",)),
        Quirk("transaction_status_wrong",
              "GetTransactionStatus reports ongoingIndicator=false for an ongoing transaction",
              ("TC_E_29_CS", "TC_E_30_CS")),
        Quirk("remote_stop_wrong_reason",
              "a transaction stopped by RequestStopTransaction ends with stoppedReason Local",
              ("TC_F_08_CS", "TC_E_21_CS", "TC_E_35_CS")),
        Quirk("meter_register_backwards",
              "periodic samples report the energy since power-up, not the register, so the "
              "register goes backwards after Transaction.Begin",
              ("TC_J_09_CS", "TC_J_10_CS")),
        Quirk("started_without_id_token",
              "TransactionEvent Started omits the idToken that authorized the transaction",
              ("TC_F_02_CS", "TC_E_01_CS", "TC_E_10_CS")),
        Quirk("no_periodic_meter_values",
              "sends no TransactionEvent Updated MeterValuePeriodic whatever TxUpdatedInterval",
              ("TC_J_09_CS",)),
        Quirk("retry_interval_ignored",
              "retries a failed TransactionEvent at once, without MessageAttemptInterval",
              ("TC_E_41_CS", "TC_E_42_CS", "TC_E_50_CS", "TC_E_51_CS")),
        Quirk("aligned_during_transaction",
              "keeps sending clock-aligned meter values during a transaction although "
              "AlignedDataCtrlr.SendDuringIdle is true",
              ("TC_J_06_CS",)),
        Quirk("ended_without_interval_samples",
              "the Ended event carries only the Transaction.End value, not the samples taken at "
              "TxEndedInterval",
              ("TC_J_03_CS", "TC_J_10_CS")),
        Quirk("immediate_reset_keeps_tx",
              "Reset Immediate reboots without ending the ongoing transaction",
              ("TC_B_22_CS",)),
        Quirk("boot_retry_too_fast",
              "after a Pending or Rejected BootNotificationResponse it boots again after 0.3 s, "
              "ignoring the interval",
              ("TC_B_03_CS",)),
        Quirk("reconnects_with_boot",
              "sends a BootNotification after every reconnection, not only after a reboot",
              ("TC_B_57_CS",)),
        Quirk("report_seq_from_one", "NotifyReport seqNo of a base report starts at 1, not 0",
              ("TC_B_12_CS", "TC_B_13_CS", "TC_B_53_CS")),
        Quirk("ignores_network_priority",
              "after a reboot it reconnects with the profile it last used, ignoring "
              "NetworkConfigurationPriority",
              ("TC_B_45_CS",)),
        Quirk("no_network_fallback",
              "never falls back to the next NetworkConfigurationPriority entry when the first "
              "one cannot be reached",
              ("TC_B_46_CS",)),
        Quirk("accepts_invalid_network_profile",
              "SetNetworkProfile with unusable connection data (bad URL) answers Accepted",
              ("TC_B_43_CS",)),
        Quirk("onidle_reset_interrupts_tx",
              "Reset OnIdle during a transaction answers Accepted and reboots at once",
              ("TC_B_21_CS",)),
        Quirk("reset_reason_power_up",
              "after a Reset the BootNotification says PowerUp instead of RemoteReset",
              ("TC_B_20_CS",)),
        Quirk("serves_requests_while_pending",
              "while its registration is Pending it serves any request instead of answering "
              "CALLERROR SecurityError",
              ("TC_B_30_CS",)),
        Quirk("no_full_status_after_offline",
              "after an outage longer than OfflineThreshold it reports only the connectors that "
              "changed, not all",
              ("TC_B_51_CS",)),
        Quirk("log_upload_never_finishes",
              "GetLog is Accepted but the upload status stops at Uploading",
              ("TC_N_25_CS", "TC_N_35_CS")),
        Quirk("availability_change_ignored_for_connector",
              "ChangeAvailability for a single connector answers Accepted and changes nothing",
              ("TC_G_07_CS", "TC_G_08_CS", "TC_G_19_CS")),
        Quirk("no_status_for_evse_change",
              "after ChangeAvailability for an EVSE only its first connector's status is reported",
              ("TC_G_03_CS", "TC_G_04_CS", "TC_G_18_CS")),
        Quirk("status_on_unchanged_availability",
              "ChangeAvailability to the state already in re-sends StatusNotification anyway",
              ("TC_G_09_CS", "TC_G_10_CS", "TC_G_12_CS", "TC_G_13_CS", "TC_G_15_CS",
               "TC_G_16_CS")),
        Quirk("scheduled_change_applied_immediately",
              "answers Scheduled during a transaction but switches off at once, ending it",
              ("TC_G_11_CS", "TC_G_14_CS", "TC_G_17_CS")),
        Quirk("late_scheduled_unavailable",
              "a scheduled Inoperative change lands only after the connector was reported "
              "Available at unplug",
              ("TC_G_11_CS", "TC_G_14_CS", "TC_G_17_CS")),
        Quirk("log_upload_failure_reported_uploaded",
              "a log upload the server refused is reported Uploaded",
              ("TC_N_26_CS",)),
        Quirk("customer_information_no_notify",
              "CustomerInformation is Accepted but no NotifyCustomerInformation follows",
              ("TC_N_32_CS",)),
        Quirk("rejects_custom_data",
              "answers any CSMS request carrying customData with CALLERROR FormatViolation",
              ("TC_P_03_CS",)),
        Quirk("install_accepts_invalid_certificate",
              "InstallCertificate answers Accepted for an expired or non-CA certificate",
              ("TC_M_07_CS",)),
        Quirk("wrong_issuer_key_hash",
              "certificate hash data carry the SHA-256 of the issuer's whole "
              "SubjectPublicKeyInfo as issuerKeyHash, not of its public key value",
              ("TC_M_01_CS", "TC_M_02_CS", "TC_M_12_CS", "TC_M_13_CS", "TC_M_18_CS")),
        Quirk("get_ids_ignores_type_filter",
              "GetInstalledCertificateIds returns every certificate whatever certificateType",
              ("TC_M_19_CS",)),
        Quirk("get_ids_first_type_only",
              "GetInstalledCertificateIds with several certificateTypes honours only the first",
              ("TC_M_17_CS",)),
        Quirk("delete_reports_accepted_when_missing",
              "DeleteCertificate for a certificate that is not installed answers Accepted",
              ("TC_M_22_CS",)),
        Quirk("delete_accepted_but_kept",
              "DeleteCertificate answers Accepted but the certificate stays installed",
              ("TC_M_20_CS",)),
    )
}


def check(names: list[str] | tuple[str, ...] | set[str]) -> set[str]:
    """Validate quirk names; unknown names raise with the list of known ones."""
    unknown = sorted(set(names) - set(QUIRKS))
    if unknown:
        raise ValueError(f"unknown quirk(s) {unknown}; known: {', '.join(sorted(QUIRKS))}")
    return set(names)
