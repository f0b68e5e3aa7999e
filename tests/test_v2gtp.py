"""V2GTP framing (ISO 15118-2 §7.8.3): header encode/decode, every malformed case, the streaming reader."""

from __future__ import annotations

import pytest

from harness.protocols import v2gtp
from harness.protocols.v2gtp import Action, Reason, V2gtpError, V2gtpReader


def test_encode_layout() -> None:
    frame = v2gtp.encode(v2gtp.EXI, b"\x80\x00\xdb")
    assert frame == bytes.fromhex("01fe8001 00000003 8000db")
    assert v2gtp.encode(v2gtp.SDP_REQUEST, b"\x10\x00").hex() == "01fe9000000000021000"


def test_decode_header_roundtrip() -> None:
    header = v2gtp.decode_header(v2gtp.encode(v2gtp.SDP_RESPONSE, bytes(20)))
    assert header == v2gtp.Header(0x01, 0xFE, 0x9001, 20)
    assert header.pack() == bytes.fromhex("01fe900100000014")
    assert "SDP response 20 B" in header.describe()


def test_encode_rejects_what_does_not_fit() -> None:
    with pytest.raises(ValueError, match="2 bytes"):
        v2gtp.encode(0x1_0000, b"")


@pytest.mark.parametrize(("raw", "reason", "action", "text"), [
    (bytes.fromhex("01fe8001"), Reason.TRUNCATED, Action.CLOSE, "4 of 8"),
    (bytes.fromhex("02fd800100000000"), Reason.WRONG_VERSION, Action.CLOSE, "version 0x02"),
    (bytes.fromhex("0100800100000000"), Reason.INVERSE_MISMATCH, Action.CLOSE, "inverse 0x00"),
    (bytes.fromhex("01fe800200000000"), Reason.UNKNOWN_PAYLOAD_TYPE, Action.DISCARD, "0x8002"),
    (bytes.fromhex("01fea00000000000"), Reason.UNKNOWN_PAYLOAD_TYPE, Action.DISCARD, "manufacturer"),
    (bytes.fromhex("01fe800100010001"), Reason.PAYLOAD_TOO_LARGE, Action.DISCARD, "65537 B announced"),
])
def test_malformed_headers(raw: bytes, reason: Reason, action: Action, text: str) -> None:
    with pytest.raises(V2gtpError) as info:
        v2gtp.decode_header(raw)
    assert info.value.reason is reason
    assert info.value.action is action
    assert text in str(info.value)
    assert "§7.8.3.2" in str(info.value)


def test_15118_20_types_known_only_when_asked() -> None:
    raw = v2gtp.encode(0x8004, b"x")
    with pytest.raises(V2gtpError):
        v2gtp.decode_header(raw)
    assert v2gtp.decode_header(raw, known_types=v2gtp.ISO15118_20_TYPES).payload_type == 0x8004
    assert v2gtp.payload_type_name(0x8004) == "15118-20 DC messages"


def test_configured_maximum() -> None:
    raw = v2gtp.encode(v2gtp.EXI, bytes(100))
    assert v2gtp.decode_header(raw, max_payload=100).payload_length == 100
    with pytest.raises(V2gtpError, match="buffer 99 B"):
        v2gtp.decode_header(raw, max_payload=99)


def test_datagram_length_must_match() -> None:
    raw = v2gtp.encode(v2gtp.SDP_REQUEST, b"\x10\x00")
    assert v2gtp.decode_datagram(raw).payload == b"\x10\x00"
    with pytest.raises(V2gtpError) as info:
        v2gtp.decode_datagram(raw + b"\x00")
    assert info.value.reason is Reason.LENGTH_MISMATCH
    with pytest.raises(V2gtpError) as info:
        v2gtp.decode_datagram(raw[:-1])
    assert info.value.reason is Reason.LENGTH_MISMATCH


# ---- streaming reader ------------------------------------------------------------------------
def test_reader_split_byte_by_byte() -> None:
    data = v2gtp.encode(v2gtp.EXI, b"hello") + v2gtp.encode(v2gtp.EXI, b"")
    reader = V2gtpReader()
    out: list = []
    for i in range(len(data)):
        out += reader.feed(data[i:i + 1])
    assert [f.payload for f in out] == [b"hello", b""]
    assert reader.buffered == 0 and reader.eof() is None


def test_reader_coalesced_frames() -> None:
    data = b"".join(v2gtp.encode(v2gtp.EXI, bytes([n]) * n) for n in range(1, 6))
    frames = V2gtpReader().feed(data)
    assert [len(f.payload) for f in frames] == [1, 2, 3, 4, 5]  # type: ignore[union-attr]


def test_reader_discards_unknown_type_and_goes_on() -> None:
    bad = v2gtp.encode(0x8002, b"skip me, I am 15118-20")
    good = v2gtp.encode(v2gtp.EXI, b"ok")
    reader = V2gtpReader()
    stream = bad + good
    out = reader.feed(stream[:12]) + reader.feed(stream[12:20]) + reader.feed(stream[20:])
    assert isinstance(out[0], V2gtpError) and out[0].reason is Reason.UNKNOWN_PAYLOAD_TYPE
    assert isinstance(out[1], v2gtp.Frame) and out[1].payload == b"ok"
    assert len(out) == 2


def test_reader_discards_oversize_message() -> None:
    reader = V2gtpReader(max_payload=4)
    out = reader.feed(v2gtp.encode(v2gtp.EXI, b"123456") + v2gtp.encode(v2gtp.EXI, b"1234"))
    assert isinstance(out[0], V2gtpError) and out[0].reason is Reason.PAYLOAD_TOO_LARGE
    assert out[1].payload == b"1234"  # type: ignore[union-attr]


def test_reader_bad_version_kills_the_stream() -> None:
    reader = V2gtpReader()
    out = reader.feed(v2gtp.encode(v2gtp.EXI, b"a") + v2gtp.encode(v2gtp.EXI, b"b", version=2)
                      + v2gtp.encode(v2gtp.EXI, b"c"))
    assert out[0].payload == b"a"  # type: ignore[union-attr]
    assert isinstance(out[1], V2gtpError) and out[1].action is Action.CLOSE
    assert len(out) == 2
    with pytest.raises(RuntimeError, match="already failed"):
        reader.feed(b"")


def test_reader_lenient_takes_bad_version() -> None:
    out = V2gtpReader(lenient=True).feed(v2gtp.encode(v2gtp.EXI, b"x", version=2, inverse=0x00))
    assert isinstance(out[0], v2gtp.Frame)
    assert out[0].header.version == 2 and out[0].payload == b"x"


def test_reader_eof_mid_frame_is_truncated() -> None:
    reader = V2gtpReader()
    reader.feed(v2gtp.encode(v2gtp.EXI, b"abcdef")[:10])
    err = reader.eof()
    assert err is not None and err.reason is Reason.TRUNCATED and "2 of 6 payload bytes" in str(err)
    reader = V2gtpReader()
    reader.feed(b"\x01\xfe\x80")
    assert "3 of 8 header bytes" in str(reader.eof())


def test_raw_codec_is_a_message_codec() -> None:
    codec = v2gtp.RawCodec()
    assert isinstance(codec, v2gtp.MessageCodec)
    assert codec.decode(codec.encode(b"\x80\x98")) == b"\x80\x98"
    assert codec.describe(b"\x80\x98") == "2 B 8098"
    with pytest.raises(TypeError):
        codec.encode("text")
