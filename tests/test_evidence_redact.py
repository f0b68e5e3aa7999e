"""Redaction: secrets, Basic credentials and passwords set over OCPP never reach evidence."""

from __future__ import annotations

import base64
import json

from harness.evidence.redact import MASK, redact, redact_records, redact_value


def _basic(user: str, password: str) -> str:
    return base64.b64encode(f"{user}:{password}".encode()).decode()


def test_secrets_are_replaced_longest_first() -> None:
    text = "pw=abcdef then abc"
    assert redact(text, ["abc", "abcdef"]) == f"pw={MASK} then {MASK}"


def test_empty_secrets_are_ignored() -> None:
    assert redact("nothing to hide", ["", ""]) == "nothing to hide"


def test_secret_in_its_json_escaped_form() -> None:
    secret = 'pa"ss\\wörd'
    raw = json.dumps({"password_hint": "x", "note": secret})  # ensure_ascii: \u00f6, \", \\
    assert secret not in json.loads(redact(raw, [secret]))["note"]
    assert MASK in redact(raw, [secret])


def test_authorization_header_is_masked() -> None:
    token = _basic("CS01", "s3cret")
    for text in (f"Authorization: Basic {token}", f"('Authorization', 'Basic {token}')",
                 f'{{"authorization": "basic {token}"}}'):
        out = redact(text)
        assert token not in out, text
        assert MASK in out


def test_bare_basic_token_is_masked_only_when_it_decodes_to_credentials() -> None:
    token = _basic("CS01", "s3cret")
    assert redact(f"sent Basic {token} to station") == f"sent Basic {MASK} to station"
    title = "TC_A_01_CS Basic Authentication - Valid username/password combination"
    assert redact(title) == title
    assert redact("Basic Charging") == "Basic Charging"


SET_VARIABLES = (
    '[2, "42", "SetVariables", {"setVariableData": ['
    '{"attributeValue": "30", "component": {"name": "OCPPCommCtrlr"}, '
    '"variable": {"name": "HeartbeatInterval"}}, '
    '{"component": {"name": "SecurityCtrlr"}, "variable": {"name": "BasicAuthPassword"}, '
    '"attributeValue": "N3wPassw0rd-1234"}]}]'
)


def test_set_variables_password_is_masked_and_the_frame_kept() -> None:
    out = redact(SET_VARIABLES)
    assert "N3wPassw0rd-1234" not in out
    assert out == SET_VARIABLES.replace('"N3wPassw0rd-1234"', '"***"')  # formatting untouched
    data = json.loads(out)
    values = [item["attributeValue"] for item in data[3]["setVariableData"]]
    assert values == ["30", MASK]


def test_set_variables_password_with_unicode_escape() -> None:
    frame = [2, "1", "SetVariables", {"setVariableData": [
        {"attributeValue": "pässwörd-1234", "component": {"name": "SecurityCtrlr"},
         "variable": {"name": "BasicAuthPassword"}}]}]
    raw = json.dumps(frame)  # p\u00e4ssw\u00f6rd
    out = redact(raw)
    assert json.loads(out)[3]["setVariableData"][0]["attributeValue"] == MASK


def test_truncated_frame_masks_every_attribute_value() -> None:
    cut = SET_VARIABLES[:-20]  # no longer JSON
    out = redact(cut)
    assert "N3wPassw0rd" not in out
    assert '"attributeValue": "30"' not in out


def test_notify_report_and_ocpp16_keys_are_masked() -> None:
    report = {"reportData": [{"component": {"name": "SecurityCtrlr"},
                              "variable": {"name": "BasicAuthPassword"},
                              "variableAttribute": [{"type": "Actual", "value": "leaked-pw"}]},
                             {"component": {"name": "OCPPCommCtrlr"},
                              "variable": {"name": "HeartbeatInterval"},
                              "variableAttribute": [{"type": "Actual", "value": "30"}]}]}
    raw = json.dumps([2, "9", "NotifyReport", report])
    assert "leaked-pw" not in redact(raw)
    assert '"value": "30"' in redact(raw)
    change = '[2,"1","ChangeConfiguration",{"key":"AuthorizationKey","value":"0011AABB"}]'
    out = redact(change)
    assert "0011AABB" not in out and '"key":"AuthorizationKey"' in out
    # A 1.6 GetConfiguration.req names keys in a list (no value to mask); its answer lists them.
    asked = {"key": ["AuthorizationKey", "HeartbeatInterval"]}
    assert redact_value(asked) == asked
    [record] = redact_records([{"seq": 1, "raw": json.dumps([2, "2", "GetConfiguration", asked]),
                                "payload": asked, "verdict": "ok"}], [])
    assert record["payload"] == asked
    answer = {"configurationKey": [{"key": "AuthorizationKey", "readonly": False, "value": "0011AABB"},
                                   {"key": "HeartbeatInterval", "readonly": False, "value": "30"}]}
    masked = redact_value(answer)
    assert masked["configurationKey"][0]["value"] == MASK
    assert masked["configurationKey"][1]["value"] == "30"


def test_password_fields_by_name() -> None:
    profile = {"connectionData": {"apn": {"apn": "internet", "apnPassword": "apn-pw"},
                                  "vpn": {"server": "vpn", "password": "vpn-pw"}}}
    raw = json.dumps([2, "1", "SetNetworkProfile", profile])
    out = redact(raw)
    assert "apn-pw" not in out and "vpn-pw" not in out and '"internet"' in out
    assert redact_value(profile)["connectionData"]["vpn"]["password"] == MASK


def test_redact_records_raw_payload_and_verdict_without_mutating() -> None:
    payload = json.loads(SET_VARIABLES)[3]
    payload["note"] = {"deep": ["token hunter2 here"]}
    record = {"seq": 1, "raw": SET_VARIABLES + " hunter2", "payload": payload,
              "verdict": "FormatViolation: value 'hunter2' too long"}
    [out] = redact_records([record], ["hunter2"])
    assert "hunter2" not in json.dumps(out)
    assert "N3wPassw0rd-1234" not in json.dumps(out)
    assert out["payload"]["setVariableData"][1]["attributeValue"] == MASK
    assert out["payload"]["setVariableData"][0]["attributeValue"] == "30"
    assert out["payload"]["note"]["deep"] == [f"token {MASK} here"]
    # The journal's own records stay intact.
    assert record["payload"]["setVariableData"][1]["attributeValue"] == "N3wPassw0rd-1234"
    assert "hunter2" in record["raw"]
