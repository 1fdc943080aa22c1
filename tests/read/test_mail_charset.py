"""Charset labels, tolerant decoding and encoded-word decoding of header fields."""

from __future__ import annotations

from email import message_from_string
from email.policy import default

import pytest

from chainwatch.read.mail_charset import (
    decode_bytes,
    decode_encoded_words,
    decode_raw_header,
    resolve_codec,
)


@pytest.mark.parametrize(
    ("label", "codec"),
    [
        ("ks_c_5601-1987", "cp949"),
        ("KS_C_5601-1989", "cp949"),
        ('"UTF-8"', "utf-8"),
        ("iso-8859-1", "cp1252"),
        ("us-ascii", "cp1252"),
        ("gb2312", "gbk"),
        ("windows-1251", "cp1251"),
    ],
)
def test_label_resolved(label: str, codec: str) -> None:
    assert resolve_codec(label) == codec


@pytest.mark.parametrize("label", ["uft-8", "1", "iso-8859-8-i-bogus", "base64", "rot13", "", None])
def test_label_unknown(label: str | None) -> None:
    assert resolve_codec(label) is None


def test_unknown_label_tries_utf8_first() -> None:
    text, defect = decode_bytes("Grüße".encode(), "uft-8")

    assert text == "Grüße"
    assert defect == "charset:uft-8"


def test_unknown_label_falls_back_to_cp1252() -> None:
    text, defect = decode_bytes("Grüße €5".encode("cp1252"), "x-unknown")

    assert text == "Grüße €5"
    assert defect == "charset:x-unknown"


def test_bad_bytes_in_known_charset_replaced() -> None:
    text, defect = decode_bytes(b"ok \xff\xfe end", "utf-8")

    assert text == "ok \ufffd\ufffd end"
    assert defect is None


def test_defect_label_has_no_line_breaks() -> None:
    _, defect = decode_bytes(b"x", 'utf-8"\r\n junk')

    assert defect == 'charset:utf-8" junk'


@pytest.mark.parametrize(
    "value",
    [
        "[EXTERNAL]=?utf-8?B?w5xiZXJ3ZWlzdW5nIGhldXRlIGJlc3TDpHRpZ2Vu?=",
        "Re: =?utf-8?Q??=",
        "=?utf-8?B?w5w=?= =?utf-8?B?w5w=?=",
        "x =?utf-8?q?a?=  =?iso-8859-1?q?=E9?= y",
        "=?UTF-8?Q?Rechnung_Nr=2E_42?= bitte",
        "plain subject",
        "a=?utf-8?q?b?=c",
    ],
)
def test_encoded_words_match_policy_default(value: str) -> None:
    expected = message_from_string(f"Subject: {value}\n\n", policy=default)["Subject"]

    assert decode_encoded_words(value) == str(expected)


def test_multibyte_character_split_across_words() -> None:
    # "송" is EC 86 A1 in UTF-8; a mailer cut it between two encoded words.
    assert decode_encoded_words("=?utf-8?B?7IY=?= =?utf-8?B?oQ==?=") == "송"


def test_unknown_charset_in_header_recorded() -> None:
    defects: list[str] = []

    text = decode_encoded_words("=?uft-8?Q?caf=C3=A9?=", defects)

    assert text == "café"
    assert defects == ["charset:uft-8"]


def test_broken_base64_word_does_not_raise() -> None:
    assert isinstance(decode_encoded_words("=?utf-8?B?###?="), str)


def test_raw_utf8_header_bytes_decoded() -> None:
    # The compat32 bytes parser keeps raw header bytes as surrogate escapes.
    value = "Grüße".encode().decode("ascii", errors="surrogateescape")

    assert decode_raw_header(value) == "Grüße"


def test_raw_cp1252_header_bytes_decoded() -> None:
    value = "Grüße".encode("cp1252").decode("ascii", errors="surrogateescape")

    assert decode_raw_header(value) == "Grüße"
