"""Redaction: secrets never reach an Allure attachment, a journal file or a summary.

Evidence is handed to vendors and certification bodies, so the station's Basic-auth password,
the token in an ``Authorization: Basic`` header, and any password the harness sets through
OCPP itself (SetVariables ``SecurityCtrlr.BasicAuthPassword``, OCPP 1.6 ChangeConfiguration
``AuthorizationKey``) are masked before anything is written. Raw frames are masked in place,
so the rest of the text stays byte-for-byte what was on the wire.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable
from typing import Any

MASK = "***"

# Device-model variables and 1.6 configuration keys whose value is a credential.
SECRET_VARIABLES = frozenset({"BasicAuthPassword"})
SECRET_CONFIG_KEYS = frozenset({"AuthorizationKey"})
# Payload fields that are credentials by name (NetworkConnectionProfile apn/vpn passwords).
_PASSWORD_KEY = re.compile(r"(?i)password|passwd|secret")

# ``Basic <token>``. The token is masked when it is written as a header value
# (``Authorization: Basic ...``) or when it decodes to ``user:password``; a bare check on the
# word would also eat "Basic Authentication" in a test title.
_HEADER_BASIC = re.compile(
    r"""(?i)(authorization["']?\s*[:=,]\s*["']?\s*basic\s+)[^\s"',;}\]]+"""
)
_BASIC = re.compile(r"(?i)\b(basic\s+)([A-Za-z0-9+/_-]{6,}={0,2})(?![A-Za-z0-9+/=_-])")
_JSON_STRING = r'"(?:[^"\\]|\\.)*"'
_ATTRIBUTE_VALUE = re.compile(r'("attributeValue"\s*:\s*)' + _JSON_STRING)
_PASSWORD_FIELD = re.compile(
    r'(?i)("[^"\\]*(?:password|passwd|secret)[^"\\]*"\s*:\s*)' + _JSON_STRING
)


#: ``scheme://user:password@host``: firmware and log URLs (FTP) carry credentials.
_URL_CREDENTIALS = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://)([^/:@\s\"']+):([^/@\s\"']+)@")


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Return ``text`` with every secret, Basic credential and OCPP-set password masked."""
    if not text:
        return text
    text = _mask_basic(text)
    text = _mask_ocpp_credentials(text)
    text = _URL_CREDENTIALS.sub(lambda m: f"{m.group(1)}{m.group(2)}:{MASK}@", text)
    return _mask_secrets(text, secrets)


def redact_value(value: Any, secrets: Iterable[str] = ()) -> Any:
    """Redact a decoded JSON value (a payload) recursively; returns a new value."""
    secrets = _normalise(secrets)
    return _redact_value(value, secrets)


def redact_records(
    records: list[dict[str, Any]], secrets: Iterable[str] = ()
) -> list[dict[str, Any]]:
    """Redact journal records (``Journal.to_records``): ``raw`` as text, ``payload`` as JSON."""
    secrets = _normalise(secrets)
    out = []
    for record in records:
        record = dict(record)
        if isinstance(record.get("raw"), str):
            record["raw"] = redact(record["raw"], secrets)
        if record.get("payload") is not None:
            record["payload"] = _redact_value(record["payload"], secrets)
        if isinstance(record.get("verdict"), str):
            # A schema verdict can quote the offending value.
            record["verdict"] = redact(record["verdict"], secrets)
        out.append(record)
    return out


# ---- internals ---------------------------------------------------------------------------
def _normalise(secrets: Iterable[str]) -> list[str]:
    # Longest first, so a secret that contains another is not left half-masked.
    unique = {s for s in secrets if isinstance(s, str) and s}
    return sorted(unique, key=len, reverse=True)


def _mask_secrets(text: str, secrets: Iterable[str]) -> str:
    for secret in _normalise(secrets):
        # Also the forms the secret takes inside a JSON string (escaped quotes, \uXXXX);
        # escaped forms first, since the plain form may be a part of them.
        escaped = json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]
        for form in (*escaped, secret):
            text = text.replace(form, MASK)
    return text


def _looks_like_credentials(token: str) -> bool:
    """True when ``token`` is base64 of printable ``user:password`` text (RFC 7617)."""
    padded = token + "=" * (-len(token) % 4)
    altchars = b"-_" if "-" in token or "_" in token else None
    try:
        decoded = base64.b64decode(padded, altchars=altchars, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return False
    user, sep, _ = decoded.partition(":")
    return bool(sep and user) and decoded.isprintable()


def _mask_basic(text: str) -> str:
    text = _HEADER_BASIC.sub(lambda m: m.group(1) + MASK, text)

    def replace(m: re.Match[str]) -> str:
        return m.group(1) + MASK if _looks_like_credentials(m.group(2)) else m.group(0)

    return _BASIC.sub(replace, text)


def _mask_json_string(m: re.Match[str]) -> str:
    return m.group(1) + json.dumps(MASK)


def _mask_ocpp_credentials(text: str) -> str:
    """Mask passwords set through OCPP in a raw frame, keeping the frame's own formatting."""
    named = any(n in text for n in (*SECRET_VARIABLES, *SECRET_CONFIG_KEYS, "SecurityCtrlr"))
    if not named and not _PASSWORD_KEY.search(text):
        return text
    start = min((i for i in (text.find("["), text.find("{")) if i >= 0), default=-1)
    try:
        decoded = json.loads(text[start:]) if start >= 0 else None
    except ValueError:
        decoded = None
    if decoded is None:
        # Not JSON (a truncated frame, a log line): we cannot tell which attributeValue
        # belongs to the password, so every attributeValue in the text is masked when the
        # password variable or its component is named (a cut may fall between the two).
        if any(n in text for n in (*SECRET_VARIABLES, "SecurityCtrlr")):
            text = _ATTRIBUTE_VALUE.sub(_mask_json_string, text)
        return _PASSWORD_FIELD.sub(_mask_json_string, text)
    for key, value in set(_secret_fields(decoded)):
        for encoded in {json.dumps(value), json.dumps(value, ensure_ascii=False)}:
            field = re.compile("(" + re.escape(json.dumps(key)) + r"\s*:\s*)" + re.escape(encoded))
            text = field.sub(_mask_json_string, text)
    return text


def _holder(node: dict[str, Any]) -> frozenset[str]:
    """Keys of ``node`` (and of its ``variableAttribute`` items) that hold a credential.

    SetVariables / GetVariables items carry ``attributeValue`` next to ``variable``;
    NotifyReport items carry ``variableAttribute: [{value}]``; 1.6 configuration entries
    carry ``key`` / ``value``.
    """
    variable = node.get("variable")
    if isinstance(variable, dict) and variable.get("name") in SECRET_VARIABLES:
        return frozenset({"attributeValue", "value"})
    key = node.get("key")  # a GetConfiguration.req's ``key`` is a list of names: no value
    if isinstance(key, str) and key in SECRET_CONFIG_KEYS:
        return frozenset({"value"})
    return frozenset()


def _is_secret_key(key: str, holder: frozenset[str]) -> bool:
    return key in holder or bool(_PASSWORD_KEY.search(key))


def _secret_fields(node: Any, holder: frozenset[str] = frozenset()) -> Iterable[tuple[str, str]]:
    if isinstance(node, dict):
        holder = _holder(node) or holder
        for key, value in node.items():
            if isinstance(value, str) and _is_secret_key(key, holder):
                yield key, value
            elif key == "variableAttribute" or not holder:
                yield from _secret_fields(value, holder)
            else:
                yield from _secret_fields(value)
    elif isinstance(node, list):
        for item in node:
            yield from _secret_fields(item, holder)


def _redact_value(value: Any, secrets: list[str], holder: frozenset[str] = frozenset()) -> Any:
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, list):
        return [_redact_value(v, secrets, holder) for v in value]
    if isinstance(value, dict):
        holder = _holder(value) or holder
        return {
            k: MASK if isinstance(v, str) and _is_secret_key(k, holder)
            else _redact_value(v, secrets, holder if k == "variableAttribute" else frozenset())
            for k, v in value.items()
        }
    return value
