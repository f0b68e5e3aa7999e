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
        Quirk("local_list_differential_ignored",
              "SendLocalList Differential answers Accepted and takes the version, but adds, "
              "updates and removes no entry", ("TC_D_02_CS", "TC_D_03_CS")),
        Quirk("local_list_version_not_updated",
              "SendLocalList is applied but GetLocalListVersion keeps reporting the old version",
              ("TC_D_01_CS", "TC_D_02_CS", "TC_D_08_CS")),
        Quirk("local_list_accepts_old_version",
              "a Differential SendLocalList with a version not above the current one is "
              "Accepted instead of VersionMismatch", ("TC_D_06_CS",)),
        Quirk("local_list_ignored_offline",
              "offline, authorizes from the authorization cache only, never from the Local "
              "Authorization List", ("TC_C_21_CS", "TC_C_25_CS")),
        Quirk("local_list_ignored_online",
              "with LocalPreAuthorize, still sends Authorize for a token the Local "
              "Authorization List holds as Accepted", ("TC_C_27_CS",)),
        Quirk("post_authorize_not_disabled",
              "accepts LocalAuthListCtrlr.DisablePostAuthorize true but still asks the CSMS to "
              "authorize tokens the list holds as not Accepted", ("TC_C_58_CS",)),
        Quirk("group_stop_ignores_status",
              "a token of the transaction's group stops it even when its own status is not "
              "Accepted", ("TC_C_43_CS", "TC_C_42_CS")),
        Quirk("local_list_lost_on_reboot",
              "forgets the Local Authorization List and its version when it reboots",
              ("TC_D_07_CS",)),
        Quirk("local_list_full_merges",
              "a full SendLocalList adds its entries to the list instead of replacing it",
              ("TC_D_01_CS",)),
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
              ("TC_F_04_CS", "TC_E_39_CS", "TC_E_05_CS")),
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
        Quirk("garbage_frames", "sends a malformed JSON frame before every StatusNotification",
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
        Quirk("firmware_skips_signature_check",
              "installs downloaded firmware without verifying its signature",
              ("TC_L_06_CS",)),
        Quirk("firmware_accepts_untrusted_certificate",
              "UpdateFirmware with a signing certificate from an unknown root answers Accepted",
              ("TC_L_05_CS",)),
        Quirk("firmware_boot_reason_wrong",
              "after installing firmware it boots with reason PowerUp, not FirmwareUpdate",
              ("TC_L_01_CS", "TC_L_02_CS", "TC_L_03_CS")),
        Quirk("firmware_status_missing_request_id",
              "FirmwareStatusNotification omits the requestId of the UpdateFirmwareRequest",
              ("TC_L_01_CS", "TC_L_06_CS", "TC_L_07_CS", "TC_L_08_CS")),
        Quirk("firmware_installs_despite_download_failure",
              "a firmware download that failed is reported Downloaded and 'installed'",
              ("TC_L_07_CS",)),
        Quirk("firmware_ignores_install_time",
              "installs firmware at once, ignoring a future installDateTime",
              ("TC_L_02_CS",)),
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
        Quirk("type_reservations_overbooked",
              "accepts more reservations of a connector type than it has EVSEs of that type",
              ("TC_H_16_CS",)),
        Quirk("reserved_evse_any_token",
              "a reserved EVSE charges for any valid idToken, not only the reserving one",
              ("TC_H_02_CS",)),
        Quirk("no_reservation_expired_update",
              "an unused reservation expires silently: no ReservationStatusUpdate Expired",
              ("TC_H_07_CS",)),
        Quirk("cancel_unknown_reservation_accepted",
              "CancelReservation for a reservation id it does not have answers Accepted",
              ("TC_H_18_CS",)),
        Quirk("no_reserved_status",
              "accepts ReserveNow but keeps reporting the EVSE's connectors Available",
              ("TC_H_01_CS", "TC_H_17_CS", "TC_H_23_CS")),
        Quirk("no_reservation_id_in_tx",
              "a transaction that uses a reservation does not carry its reservationId",
              ("TC_H_01_CS", "TC_H_19_CS")),
        Quirk("reservation_lost_on_reset", "forgets its reservations when it reboots",
              ("TC_B_24_CS",)),
        Quirk("reserve_ignores_evse_state",
              "ReserveNow for a specific EVSE answers Accepted whether the EVSE is reserved "
              "already, occupied or unavailable", ("TC_H_03_CS", "TC_H_04_CS", "TC_H_06_CS")),
        Quirk("reservation_enabled_ignored",
              "ReservationCtrlr.Enabled=false is accepted, but ReserveNow is still Accepted",
              ("TC_H_22_CS",)),
        Quirk("reservation_kept_when_unavailable",
              "a reserved EVSE made Inoperative keeps its reservation, no ReservationStatusUpdate "
              "Removed", ("TC_H_21_CS",)),
        # ---- Advanced User Interface (display messages, block O) ----
        Quirk("display_message_priority_ignored",
              "the screen shows the newest display message whatever its priority",
              ("TC_O_01_CS",)),
        Quirk("get_display_messages_ignores_filter",
              "GetDisplayMessages reports every stored message whatever id, priority or state "
              "was asked for", ("TC_O_01_CS",)),
        Quirk("display_message_replace_ignored",
              "SetDisplayMessage with the id of a stored message answers Accepted but keeps the "
              "old one", ("TC_O_12_CS",)),
        Quirk("display_message_start_ignored",
              "shows a display message at once, before its startDateTime", ("TC_O_13_CS",)),
        Quirk("display_message_end_ignored",
              "keeps showing and storing a display message after its endDateTime",
              ("TC_O_14_CS",)),
        Quirk("display_language_ignored",
              "ignores the EV driver's language (IdTokenInfo.language1) when choosing a message",
              ("TC_O_15_CS",)),
        Quirk("display_messages_lost_on_reboot",
              "keeps display messages in RAM only: a reboot forgets them", ("TC_O_20_CS",)),
        Quirk("display_message_state_ignored",
              "shows a display message in every station state, not only in its state",
              ("TC_O_36_CS", "TC_O_37_CS", "TC_O_38_CS")),
        Quirk("display_claims_fewer_but_accepts",
              "reports SupportedPriorities AlwaysFront,InFront and SupportedFormats ASCII,UTF8 "
              "but accepts NormalCycle and HTML / URI messages too", ("TC_O_17_CS", "TC_O_19_CS")),
        Quirk("display_infront_not_cycled",
              "of several InFront messages shows only the newest, never cycles them",
              ("TC_O_22_CS",)),
        Quirk("display_alwaysfront_keeps_first",
              "a second AlwaysFront message does not replace the one on the screen",
              ("TC_O_24_CS",)),
        # ---- Advanced Security (the Charging Station certificate, A02 / M04) ----
        Quirk("no_sign_certificate_on_trigger",
              "accepts TriggerMessage SignChargingStationCertificate but never sends a CSR",
              ("TC_A_11_CS", "TC_A_14_CS", "TC_A_15_CS", "TC_M_23_CS")),
        Quirk("certificate_signed_not_used",
              "accepts a new Charging Station certificate but keeps connecting with the old one",
              ("TC_A_11_CS",)),
        Quirk("certificate_signed_accepts_wrong_key",
              "accepts a signed certificate that is not for the key of its CSR", ("TC_A_14_CS",)),
        Quirk("certificate_signed_accepts_untrusted",
              "accepts a signed certificate whatever CA issued it", ("TC_A_14_CS",)),
        Quirk("no_invalid_station_certificate_event",
              "rejects an invalid signed certificate without a SecurityEventNotification "
              "InvalidChargingStationCertificate", ("TC_A_14_CS",)),
        Quirk("retries_rejected_csr",
              "sends its CSR again after the CSMS answered SignCertificate Rejected",
              ("TC_A_15_CS",)),
        Quirk("deletes_station_certificate",
              "DeleteCertificate of its own Charging Station certificate answers Accepted and "
              "deletes it", ("TC_M_23_CS",)),
        Quirk("no_client_certificate",
              "presents no client certificate in security profile 3", ("TC_A_07_CS",)),
        # ---- Smart Charging (charging profiles, block K) ----
        Quirk("composite_ignores_station_max",
              "GetCompositeSchedule (and the output) leaves out the ChargingStationMaxProfile",
              ("TC_K_03_CS", "TC_K_41_CS")),
        Quirk("tx_profile_outlives_tx",
              "a TxProfile is not removed when its transaction ends: it is still reported",
              ("TC_K_37_CS", "TC_K_60_CS")),
        Quirk("accepts_duplicate_stack_level",
              "SetChargingProfile with another id but the same stackLevel and purpose on the "
              "same EVSE is Accepted (K01.FR.06)", ("TC_K_04_CS",)),
        Quirk("limit_not_applied",
              "reports and accepts the profiles but the DC output ignores the limit in force",
              ("TC_K_28_CS",)),
        Quirk("clear_profile_by_criteria_ignored",
              "ClearChargingProfile by stackLevel / purpose answers Accepted but clears nothing",
              ("TC_K_06_CS",)),
        Quirk("rate_unit_claims_amps_only",
              "reports SmartChargingCtrlr.RateUnit A only but accepts W in SetChargingProfile and "
              "GetCompositeSchedule", ("TC_K_12_CS", "TC_K_42_CS")),
        Quirk("clear_by_criteria_first_match_only",
              "ClearChargingProfile by stackLevel / purpose clears only the first profile it "
              "matches", ("TC_K_24_CS",)),
        # ---- Advanced Device Management (monitoring, block N; custom reports, block B) ----
        Quirk("monitor_never_fires",
              "monitors are accepted and reported, but no monitor ever sends a NotifyEvent",
              ("TC_N_20_CS", "TC_N_24_CS", "TC_N_45_CS", "TC_N_56_CS")),
        Quirk("monitor_ignores_severity_level",
              "SetMonitoringLevel is Accepted but has no effect: monitors of any severity report",
              ("TC_N_16_CS",)),
        Quirk("monitoring_report_ignores_criteria",
              "GetMonitoringReport reports every monitor whatever monitoringCriteria asked for",
              ("TC_N_01_CS", "TC_N_03_CS")),
        Quirk("clear_monitor_of_unknown_id_accepted",
              "ClearVariableMonitoring answers Accepted for an id no monitor has",
              ("TC_N_19_CS",)),
        Quirk("delta_monitor_fires_every_change",
              "a numeric Delta monitor fires on every change, however small", ("TC_N_45_CS",)),
        Quirk("monitors_lost_on_reboot", "custom monitors are kept in RAM only: a reboot loses them",
              ("TC_N_53_CS",)),
        Quirk("threshold_out_of_range_accepted",
              "a threshold monitor outside the variable's range is Accepted",
              ("TC_N_13_CS", "TC_N_43_CS")),
        Quirk("negative_delta_accepted", "a Delta monitor with a negative value is Accepted",
              ("TC_N_12_CS",)),
        Quirk("duplicate_monitor_accepted",
              "a second monitor of the same type and severity on a variable is Accepted",
              ("TC_N_15_CS",)),
        Quirk("monitor_replace_ignores_component",
              "SetVariableMonitoring with an existing id moves that monitor to another "
              "component/variable instead of answering Rejected", ("TC_N_39_CS",)),
        Quirk("monitor_base_keeps_custom",
              "SetMonitoringBase FactoryDefault / HardWiredOnly keep the custom monitors",
              ("TC_N_05_CS", "TC_N_06_CS", "TC_N_41_CS")),
        Quirk("monitoring_level_out_of_range_accepted",
              "SetMonitoringLevel with a severity above 9 is Accepted", ("TC_N_17_CS",)),
        Quirk("cleared_event_after_monitor_removed",
              "clearing an exceeded threshold monitor sends a NotifyEvent cleared=true",
              ("TC_N_52_CS",)),
        Quirk("replaced_threshold_not_rechecked",
              "replacing a threshold monitor does not check the new threshold against the "
              "value: no cleared event, no new Alerting", ("TC_N_51_CS",)),
        Quirk("write_only_value_in_event",
              "a monitor on a WriteOnly variable reports its value in the NotifyEvent",
              ("TC_N_48_CS",)),
        Quirk("monitor_unknown_component_accepted",
              "SetVariableMonitoring on an unknown component or variable answers Accepted",
              ("TC_N_11_CS", "TC_N_37_CS")),
        Quirk("hardwired_event_not_reported",
              "a hard-wired input (the emergency stop) changes without a NotifyEvent",
              ("TC_N_21_CS",)),
        Quirk("hardwired_monitor_clearable",
              "ClearVariableMonitoring of a hard-wired monitor is Accepted and removes it",
              ("TC_N_44_CS",)),
        Quirk("offline_monitor_events_dropped",
              "offline, drops every monitor event instead of queuing those of a severity up to "
              "OfflineQueuingSeverity", ("TC_N_22_CS",)),
        Quirk("offline_queue_ignores_severity",
              "offline, queues every monitor event whatever OfflineQueuingSeverity says",
              ("TC_N_23_CS",)),
        Quirk("custom_report_ignores_filters",
              "GetReport reports the full inventory whatever componentCriteria and "
              "componentVariable asked for",
              ("TC_B_16_CS", "TC_B_17_CS", "TC_B_18_CS", "TC_B_55_CS")),
        Quirk("custom_report_instance_required",
              "GetReport for a variable without instance reports only its instance-less variant",
              ("TC_B_54_CS",)),
        Quirk("custom_report_evse_required",
              "GetReport for the EVSE component without evse reports no EVSE's variables",
              ("TC_B_56_CS",)),
        # ---- ISO 15118 Support (Plug & Charge, the OCPP side: plug_and_charge.py) ----
        Quirk("pnc_authorize_without_hash_data",
              "authorizes a contract with the eMAID only: no iso15118CertificateHashData (OCSP "
              "request data of the contract chain) in Authorize", ("TC_C_50_CS", "TC_C_51_CS")),
        Quirk("offline_contract_not_validated",
              "offline, authorizes a listed eMAID without validating its contract certificate "
              "chain against the installed MO roots", ("TC_C_54_CS",)),
        Quirk("contract_validation_offline_ignored",
              "offline, authorizes contracts even with ISO15118Ctrlr.ContractValidationOffline "
              "false", ("TC_C_55_CS",)),
        Quirk("ev_certificate_response_not_forwarded",
              "forwards the EV's certificate request in Get15118EVCertificate but never passes the "
              "CSMS's EXI response on to the EV", ("TC_M_26_CS", "TC_M_28_CS")),
        Quirk("ev_certificate_failure_dropped",
              "leaves the EV without an answer when Get15118EVCertificate is answered Failed",
              ("TC_M_27_CS", "TC_M_29_CS")),
        Quirk("ev_certificate_action_always_install",
              "sends every EV certificate request as action Install, updates included",
              ("TC_M_28_CS", "TC_M_29_CS")),
        Quirk("v2g_root_install_rejected",
              "rejects InstallCertificate of a V2GRootCertificate", ("TC_M_03_CS", "TC_M_14_CS")),
        Quirk("mo_root_reported_as_v2g_root",
              "reports installed MO root certificates as V2GRootCertificate in "
              "GetInstalledCertificateIds", ("TC_M_04_CS", "TC_M_16_CS")),
        Quirk("v2g_chain_without_child_hashes",
              "reports the V2G certificate chain without the sub-CAs' childCertificateHashData",
              ("TC_M_15_CS",)),
        Quirk("v2g_csr_wrong_type",
              "answers TriggerMessage SignV2GCertificate with a CSR of certificateType "
              "ChargingStationCertificate", ("TC_A_12_CS",)),
        Quirk("get_certificate_status_not_sent",
              "never requests the OCSP status of its V2G certificate chain (GetCertificateStatus)",
              ("TC_M_24_CS", "TC_M_25_CS")),
        Quirk("v2g_certificate_dropped_on_ocsp_failure",
              "discards its V2G certificate when GetCertificateStatus is answered Failed",
              ("TC_M_25_CS",)),
        Quirk("ev_charging_needs_not_sent",
              "never reports the ISO 15118 EV's charging parameters (NotifyEVChargingNeeds)",
              ("TC_K_53_CS", "TC_K_58_CS")),
        Quirk("ev_charging_schedule_not_sent",
              "never reports the ISO 15118 EV's charging schedule (NotifyEVChargingSchedule)",
              ("TC_K_53_CS", "TC_K_58_CS")),
        Quirk("ev_schedule_exceeds_profile",
              "offers the EV its own maximum instead of the TxProfile's limit (the EV's schedule "
              "exceeds the CSMS's limit)", ("TC_K_53_CS", "TC_K_58_CS")),
        Quirk("ev_renegotiation_ignored",
              "accepts a new TxProfile during an ISO 15118 session but never renegotiates the "
              "EV's schedule", ("TC_K_58_CS", "TC_K_57_CS")),
        Quirk("hlc_no_local_schedule",
              "when the CSMS rejects NotifyEVChargingNeeds, or cannot be reached, gives the EV no "
              "SASchedule from its own limits: the EV's session times out and charging ends",
              ("TC_K_54_CS", "TC_K_56_CS")),
        Quirk("ev_renegotiation_not_reported",
              "answers an EV's renegotiation from the old schedule: no NotifyEVChargingNeeds",
              ("TC_K_57_CS",)),
        Quirk("ev_stop_reported_as_local",
              "ends a transaction the ISO 15118 EV stopped with stoppedReason Local instead of "
              "StoppedByEV", ("TC_E_46_CS",)),
        # ---- power stage (the power-delivery suite, suites/power) ----
        Quirk("power_slow_regulation",
              "the current loop is sluggish: 3 s settling and a 15 A/s ramp limit",
              ("PWR_01", "PWR_02")),
        Quirk("power_overshoot", "steps the current without a ramp into an underdamped loop (zeta 0.3): "
              "~37 % overshoot",
              ("PWR_01",)),
        Quirk("power_regulation_offset", "delivers 3.5 % more current than the EV asks for",
              ("PWR_03",)),
        Quirk("power_excessive_ripple", "9 A peak rectifier ripple at 360 Hz", ("PWR_04",)),
        Quirk("power_late_ov_shutdown", "over-voltage protection opens after 30 ms instead of < 10 ms",
              ("PWR_05",)),
        Quirk("power_slow_deenergize", "no active discharge: the output takes seconds to fall below 60 V",
              ("PWR_06", "PWR_07", "IOP_06")),
        Quirk("power_thermal_derate", "derates to 100 kW after half a second above it (cooling undersized)",
              ("PWR_08", "PWR_09")),
        Quirk("power_meter_drift", "the energy register runs 2.5 % fast", ("PWR_11", "PWR_12")),
        # ---- the link to the EV (the interop suite, suites/interop) ----
        Quirk("pilot_wrong_duty", "offers 10 % duty (6 A AC) instead of 5 % when high-level "
              "communication is offered", ("IOP_03", "IOP_09")),
        Quirk("pilot_late_pwm", "starts the PWM 5 s after state B", ("IOP_01", "IOP_02", "IOP_09")),
        Quirk("pilot_ignores_cp_fault", "does not react to state E or a shorted EV diode",
              ("IOP_04", "IOP_05")),
        Quirk("pilot_energizes_in_b", "allows energy at the inlet in state B", ("IOP_07",)),
        Quirk("slac_timeout", "never answers CM_SLAC_PARM.REQ", ("IOP_10", "IOP_12")),
        Quirk("slac_wrong_runid", "answers CM_SLAC_PARM.REQ with another RunID", ("IOP_10",)),
        Quirk("slac_slow_atten", "sends CM_ATTEN_CHAR.IND after TT_EV_atten_results", ("IOP_10",)),
        Quirk("slac_no_match", "never answers CM_SLAC_MATCH.REQ", ("IOP_10", "IOP_12")),
        Quirk("sdp_wrong_port", "announces a TCP port nothing listens on", ("IOP_13",)),
        Quirk("sdp_ignores_security", "announces TLS whatever security the EV asked for",
              ("IOP_14",)),
        Quirk("sdp_slow_response", "answers SDP requests only after 1 s (several EV retries)",
              ("IOP_13",)),
        Quirk("v2gtp_accepts_bad_header", "keeps the connection open after a V2GTP header with a wrong "
              "version", ("IOP_16",)),
        Quirk("ocmf_bad_signature", "signs a different reading than the one in the OCMF payload",
              ("PWR_13",)),
        Quirk("ocmf_register_mismatch", "the signed OCMF reading is 1 % above the plain register value",
              ("PWR_13",)),
        # ---- block E, the EV side: suspension and disconnect seen on the pilot ----
        Quirk("suspended_ev_as_suspended_evse",
              "reports chargingState SuspendedEVSE while the EV (pilot state B) takes no energy "
              "the station offers, instead of SuspendedEV", ("TC_E_38_CS",)),
        Quirk("ev_suspend_reason_other",
              "with TxStopPoint EnergyTransfer, ends the transaction the EV suspended (pilot "
              "C -> B) with stoppedReason Other instead of StoppedByEV", ("TC_E_22_CS",)),
        Quirk("pilot_loss_as_abnormal",
              "treats the pilot dropping to state A (the EV unplugged at its end) as a fault: "
              "ends the transaction with triggerReason AbnormalCondition, stoppedReason Other",
              ("TC_E_20_CS", "TC_E_54_CS", "TC_E_25_CS")),
        Quirk("parking_bay_ignored",
              "accepts TxStartPoint / TxStopPoint ParkingBayOccupancy but never reads the bay's "
              "vehicle sensor: the transaction starts at the plug-in and ends at the unplug",
              ("TC_E_12_CS", "TC_E_19_CS")),
        Quirk("data_signed_start_unsigned",
              "accepts TxStartPoint DataSigned but starts the transaction without the meter's "
              "signed start reading: Transaction.Begin carries no signedMeterValue",
              ("TC_E_11_CS",)),
        # ---- block A, the station certificate: CSR repetition ----
        Quirk("cert_signing_no_backoff",
              "repeats an unanswered SignCertificate every CertSigningWaitMinimum instead of "
              "doubling the wait each time", ("TC_A_23_CS",)),
        Quirk("tls_upgrade_without_root",
              "accepts a network connection profile of security profile 2 or 3 while no "
              "CSMSRootCertificate is installed to check the CSMS's server certificate with",
              ("TC_A_20_CS",)),
        # ---- ISO 15118: central contract validation (C07.FR.06) ----
        Quirk("central_validation_without_chain",
              "with no MO root to validate a contract locally, asks the CSMS to authorize the "
              "eMAID without sending the contract certificate chain for central validation",
              ("TC_C_52_CS", "TC_C_53_CS")),
        Quirk("customer_certificate_ignored",
              "CustomerInformation by customerCertificate finds no customer: it neither reports "
              "nor clears the data of the contract's eMAID", ("TC_N_63_CS",)),
        # ---- block J, signed meter values ----
        Quirk("sign_readings_ignored",
              "accepts AlignedDataCtrlr / SampledDataCtrlr SignReadings true but signs only the "
              "transaction's begin and end readings, never the clock-aligned or sampled ones",
              ("TC_J_04_CS", "TC_J_11_CS")),
        # -- C Authorization Cache (C10, C11, C12, C09 with the cache) --
        Quirk("cache_ignored_online",
              "with LocalPreAuthorize, still sends Authorize (and waits for it) for a token the "
              "Authorization Cache holds as Accepted",
              ("TC_C_08_CS", "TC_C_13_CS", "TC_C_32_CS", "TC_C_41_CS")),
        Quirk("cache_rejects_without_authorize",
              "refuses a token the Authorization Cache holds as not Accepted on its own, "
              "without asking the CSMS (as if AuthCacheCtrlr.DisablePostAuthorize were true)",
              ("TC_C_09_CS", "TC_C_10_CS", "TC_C_11_CS", "TC_C_12_CS", "TC_C_44_CS")),
        Quirk("cache_not_updated_on_authorize",
              "stores an AuthorizeResponse for a token new to the cache but never updates an "
              "existing entry", ("TC_C_33_CS",)),
        Quirk("cache_not_updated_on_tx_response",
              "ignores the idTokenInfo of TransactionEventResponse: the cache keeps the status "
              "the token had before", ("TC_C_34_CS",)),
        Quirk("auth_cache_lost_on_reboot",
              "keeps the Authorization Cache in RAM only: a reboot empties it",
              ("TC_C_32_CS",)),
        Quirk("cache_used_without_pre_authorize",
              "starts charging on a token the cache holds as Accepted without Authorize even "
              "when AuthCtrlr.LocalPreAuthorize is false", ("TC_C_36_CS",)),
        Quirk("clear_cache_ignored_201",
              "ClearCache answers Accepted but the Authorization Cache keeps its entries",
              ("TC_C_37_CS",)),
        Quirk("clear_cache_accepted_when_disabled",
              "ClearCache answers Accepted while AuthCacheCtrlr.Enabled is false",
              ("TC_C_38_CS",)),
        Quirk("auth_cache_lifetime_ignored",
              "accepts AuthCacheCtrlr.LifeTime but never removes entries unused for that long",
              ("TC_C_46_CS",)),
        Quirk("cache_post_authorize_not_disabled",
              "accepts AuthCacheCtrlr.DisablePostAuthorize true but still asks the CSMS to "
              "authorize tokens the cache holds as not Accepted", ("TC_C_57_CS",)),
        Quirk("invalid_id_energy_not_withheld",
              "TransactionEventResponse idTokenInfo Invalid with StopTxOnInvalidId false: keeps "
              "delivering energy for ever (MaxEnergyOnInvalidId or not)",
              ("TC_C_15_CS", "TC_C_17_CS")),
        Quirk("max_energy_overrides_stop_on_invalid",
              "with StopTxOnInvalidId true and MaxEnergyOnInvalidId set, keeps charging up to "
              "MaxEnergyOnInvalidId instead of ending the transaction at once",
              ("TC_C_18_CS",)),
        # ---- block B, reset of one EVSE and OnIdle with several transactions (TC_B_25..41)
        Quirk("evse_reset_reboots_station",
              "a Reset with evseId reboots the whole station (BootNotification, every EVSE) "
              "instead of restarting that EVSE only",
              ("TC_B_25_CS", "TC_B_27_CS")),
        Quirk("evse_onidle_reset_interrupts_tx",
              "Reset OnIdle of an EVSE with a transaction answers Accepted and restarts the "
              "EVSE at once instead of answering Scheduled",
              ("TC_B_26_CS",)),
        Quirk("evse_reset_stays_unavailable",
              "after the reset of one EVSE its connectors stay Unavailable",
              ("TC_B_25_CS", "TC_B_26_CS", "TC_B_27_CS")),
        Quirk("onidle_reset_after_first_tx",
              "a station-wide Reset OnIdle is performed as soon as one EVSE is idle, ending "
              "the transactions still going on the others",
              ("TC_B_41_CS",)),
        # ---- block C, authorization at the station's reader (test_c_authorization) ----------
        Quirk("different_token_takes_over",
              "a different valid idToken badged at an EVSE with a transaction takes that "
              "transaction over instead of being refused (C01, E07)", ("TC_C_04_CS",)),
        Quirk("only_invalid_refused",
              "refuses to charge only on AuthorizeResponse Invalid; Blocked, Expired and "
              "Unknown start charging", ("TC_C_06_CS", "TC_C_07_CS", "TC_C_56_CS")),
        Quirk("master_pass_starts_tx",
              "an idToken of the MasterPassGroupId group is treated as an ordinary token: it "
              "starts a transaction and stops none", ("TC_C_45_CS", "TC_C_49_CS")),
        Quirk("master_pass_stops_one",
              "a Master Pass stops only the first ongoing transaction, not all of them",
              ("TC_C_49_CS",)),
        Quirk("offline_unknown_id_rejected",
              "ignores OfflineTxForUnknownIdEnabled: offline, an idToken neither listed nor "
              "cached is refused", ("TC_C_26_CS",)),
        Quirk("offline_group_stop_ignored",
              "offline, only the very idToken that started a transaction stops it, not another "
              "one of its GroupId", ("TC_E_45_CS",)),
        Quirk("remote_authorization_not_disabled",
              "accepts AuthCtrlr.DisableRemoteAuthorization true but still sends "
              "AuthorizeRequest for every idToken", ("TC_E_52_CS",)),
        Quirk("network_fallback_only_at_boot",
              "falls back to the next NetworkConfigurationPriority entry only after a reboot; "
              "when the connection is lost it retries the lost CSMS for ever",
              ("TC_B_49_CS",)),
        # ---- TriggerMessage during a transfer, a second UpdateFirmware (TC_F_16/19, TC_L_10)
        Quirk("trigger_log_status_idle_while_uploading",
              "a triggered LogStatusNotification says Idle, without requestId, while a log "
              "upload is in progress", ("TC_F_16_CS",)),
        Quirk("trigger_firmware_status_idle_while_downloading",
              "a triggered FirmwareStatusNotification says Idle while a firmware download is "
              "in progress", ("TC_F_19_CS",)),
        Quirk("firmware_update_not_canceled",
              "a second UpdateFirmware during an update answers Accepted and runs both "
              "instead of canceling the first (AcceptedCanceled)", ("TC_L_10_CS",)),
        Quirk("firmware_installs_during_tx",
              "installs new firmware and reboots at once, cutting the ongoing transaction short "
              "instead of waiting for it to end", ("TC_L_14_CS", "TC_L_15_CS")),
        Quirk("firmware_pending_keeps_evses_available",
              "while a firmware update waits for a transaction to end, the other EVSEs stay "
              "Available although AllowNewSessionsPendingFirmwareUpdate is false",
              ("TC_L_15_CS",)),
        # ---- customer information and a second GetLog (TC_N_27..62, TC_N_36)
        Quirk("customer_information_without_data",
              "NotifyCustomerInformation never carries the customer's data, even for an "
              "idToken that has just charged", ("TC_N_27_CS", "TC_N_30_CS")),
        Quirk("customer_clear_keeps_data",
              "CustomerInformation clear=true reports the data but does not delete it",
              ("TC_N_30_CS",)),
        Quirk("log_second_request_not_canceled",
              "a GetLog during an upload answers Accepted and runs both uploads instead of "
              "canceling the first (AcceptedCanceled)", ("TC_N_36_CS",)),
        # ---- OCPP 1.6J: the emulated 1.6 station (suites/ocpp16, bench emulated-16.yaml) ----
        # -- 1.6 Core: sessions, remote control, reset, unlock, configuration, meter values --
        Quirk("remote_start_connector_zero_accepted",
              "RemoteStartTransaction with connectorId 0 is taken for 'any connector' and "
              "Accepted instead of Rejected (1.6 5.11)", ("TC_027_CS",)),
        Quirk("soft_reset_reported_as_hard",
              "a Soft reset stops the transactions with reason HardReset instead of SoftReset "
              "(1.6 5.14)", ("TC_016_CS",)),
        Quirk("unlock_keeps_transaction",
              "UnlockConnector on a connector with a transaction answers Unlocked without "
              "stopping the transaction first (1.6 5.18)", ("TC_018_1_CS",)),
        Quirk("change_configuration_unknown_rejected",
              "ChangeConfiguration of a key it does not know answers Rejected instead of "
              "NotSupported (1.6 5.3)", ("TC_040_1_CS",)),
        Quirk("any_id_tag_stops_transaction",
              "any valid idTag presented at a connector stops its transaction, not only the one "
              "that started it or one with its parentIdTag (1.6 3.5, 4.10)", ("TC_068_CS",)),
        Quirk("lock_failure_ignored",
              "charges although the connector lock failed to close: no Faulted / "
              "ConnectorLockFailure, the transaction starts (1.6 4.9)", ("TC_024_CS",)),
        Quirk("status_sent_while_pending",
              "sends StatusNotification while its registration is Pending (1.6 4.2: nothing but "
              "BootNotification until Accepted)", ("TC_002_CS",)),
        Quirk("ev_disconnect_always_stops",
              "stops the transaction when the EV side is disconnected although "
              "StopTransactionOnEVSideDisconnect is false (1.6 4.10, 9.1.29)", ("TC_005_3_CS",)),
        # -- 1.6 Core: power failure and offline behaviour --
        Quirk("offline_tx_messages_dropped",
              "while offline, drops the StartTransaction, MeterValues and StopTransaction of its "
              "transactions instead of queuing them for the reconnection",
              ("TC_036_CS", "TC_038_CS", "TC_039_CS")),
        Quirk("offline_stop_transaction_id_zero",
              "a transaction started and stopped offline: the StopTransaction carries "
              "transactionId 0 (the id it had when it stopped) instead of the one the Central "
              "System assigned in the StartTransaction.conf delivered before it", ("TC_039_CS",)),
        Quirk("offline_timestamp_is_send_time",
              "queued transaction messages are stamped when sent after the reconnection, not "
              "when the transaction started, stopped or was sampled",
              ("TC_036_CS", "TC_037_1_CS", "TC_038_CS")),
        Quirk("unavailable_forgotten_on_power_failure",
              "an Unavailable connector comes back Available after a power failure (availability "
              "kept in RAM only, 1.6 section 5.2)", ("TC_034_CS",)),
        Quirk("power_loss_reported_as_reboot",
              "the StopTransaction of a transaction a power failure ended says reason Reboot, "
              "not PowerLoss", ("TC_032_2_CS",)),
        Quirk("invalid_id_keeps_charging",
              "StartTransaction.conf Invalid for a transaction started offline: the charge point "
              "keeps charging whatever StopTransactionOnInvalidId says", ("TC_037_2_CS", "TC_037_3_CS")),
        Quirk("clear_cache_ignored",
              "ClearCache answers Accepted but the Authorization Cache keeps its entries",
              ("TC_061_1_CS", "TC_061_2_CS")),
        Quirk("meter_sample_interval_ignored",
              "accepts MeterValueSampleInterval but keeps sampling at its factory 60 s",
              ("TC_070_CS",)),
        Quirk("clock_aligned_values_off_boundary",
              "clock-aligned MeterValues are taken half an interval off the "
              "ClockAlignedDataInterval boundaries", ("TC_071_CS",)),
        # -- 1.6 Local Auth List Management and Reservation --
        Quirk("local_list_version_not_updated_16",
              "SendLocalList is applied and Accepted, but GetLocalListVersion keeps reporting "
              "the listVersion from before", ("TC_043_CS",)),
        Quirk("local_list_differential_replaces_16",
              "a Differential SendLocalList replaces the whole list with its entries instead "
              "of updating it", ("TC_043_CS",)),
        Quirk("local_list_overfull_accepted_16",
              "a SendLocalList that takes the list beyond LocalAuthListMaxLength is Accepted "
              "(entries beyond what it can store are silently lost) instead of Failed",
              ("TC_043_3_CS",)),
        Quirk("reservation_not_expired_16",
              "a reservation is not ended at its expiryDate: the connector stays Reserved",
              ("TC_047_CS",)),
        Quirk("start_without_reservation_id_16",
              "a transaction on a reserved connector for its idTag ends the reservation, but "
              "StartTransaction carries no reservationId", ("TC_046_1_CS", "TC_046_2_CS")),
        Quirk("cancel_unknown_reservation_accepted_16",
              "CancelReservation for a reservationId it does not have answers Accepted",
              ("TC_052_CS",)),
        # -- 1.6 Firmware Management, diagnostics and Remote Trigger --
        Quirk("firmware16_installed_without_reboot", "reports firmware Installed after Installing "
              "but never reboots into the new image (no BootNotification with the new "
              "firmwareVersion)", ("TC_044_1_CS",)),
        Quirk("firmware16_download_failed_not_reported", "a firmware download that fails is "
              "never reported: the last FirmwareStatusNotification stays Downloading",
              ("TC_044_2_CS",)),
        Quirk("diagnostics16_uploaded_without_upload", "GetDiagnostics: reports Uploading then "
              "Uploaded without uploading anything", ("TC_045_1_CS", "TC_045_2_CS")),
        Quirk("trigger16_unknown_connector_accepted", "TriggerMessage for a connectorId the charge "
              "point does not have: Accepted (and nothing sent) instead of Rejected",
              ("TC_055_CS",)),
        Quirk("trigger16_firmware_status_stale", "TriggerMessage FirmwareStatusNotification after "
              "an update answers with the update's last status instead of Idle",
              ("TC_044_1_CS",)),
        Quirk("firmware16_failed_install_reported_installed", "an image it cannot install is "
              "reported Installed (the charge point rolls back to the firmware it had)",
              ("TC_044_3_CS",)),
        # -- 1.6 Smart Charging --
        Quirk("tx_profile_without_tx_accepted_16",
              "SetChargingProfile of a TxProfile for a connector without a transaction answers "
              "Accepted (and discards the profile)", ("TC_058_1_CS",)),
        Quirk("stack_level_ignored_16",
              "ignores stackLevel: the last profile set of a purpose on a connector replaces the "
              "others", ("TC_067_CS", "TC_072_CS")),
        Quirk("composite_ignores_tx_default_16",
              "GetCompositeSchedule leaves out the TxDefaultProfiles", ("TC_056_CS", "TC_072_CS")),
        Quirk("clear_by_purpose_clears_all_16",
              "ClearChargingProfile by chargingProfilePurpose / stackLevel clears every profile",
              ("TC_067_CS",)),
        Quirk("limit_not_applied_16",
              "accepts and reports the profiles but the DC output ignores the limit in force",
              ("TC_082_CS",)),
        Quirk("tx_profile_any_transaction_16",
              "ignores the transactionId of a TxProfile: it is Accepted for whatever transaction "
              "is ongoing on the connector", ("TC_058_2_CS",)),
        Quirk("remote_start_profile_ignored_16",
              "RemoteStartTransaction with a TxProfile is Accepted but the transaction runs "
              "without the profile (whatever its purpose)", ("TC_059_CS", "TC_060_CS")),
        # -- 1.6 Security Whitepaper --
        Quirk("authorization_key_readable_16",
              "GetConfiguration reports the AuthorizationKey (the Basic-auth password) in clear, "
              "although the key is write-only", ("TC_073_CS",)),
        Quirk("security_profile_downgrade_accepted_16",
              "ChangeConfiguration SecurityProfile with a lower profile than the one in use "
              "answers Accepted and reconnects with it", ("TC_084_CS",)),
        Quirk("certificate_signed_no_security_event_16",
              "rejects an invalid Charge Point certificate in CertificateSigned but sends no "
              "SecurityEventNotification InvalidChargePointCertificate", ("TC_077_CS",)),
        Quirk("delete_certificate_unknown_accepted_16",
              "DeleteCertificate of a certificate that is not installed answers Accepted "
              "instead of NotFound", ("TC_076_CS",)),
        Quirk("signed_firmware_plain_status_16",
              "reports a signed firmware update with the Firmware Management profile's "
              "FirmwareStatusNotification (statuses 1.6 lacks left out) instead of "
              "SignedFirmwareStatusNotification", ("TC_080_CS", "TC_081_CS")),
    )
}


def check(names: list[str] | tuple[str, ...] | set[str]) -> set[str]:
    """Validate quirk names; unknown names raise with the list of known ones."""
    unknown = sorted(set(names) - set(QUIRKS))
    if unknown:
        raise ValueError(f"unknown quirk(s) {unknown}; known: {', '.join(sorted(QUIRKS))}")
    return set(names)
