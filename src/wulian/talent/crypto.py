"""Identity numbers at rest: AES-GCM encryption and an HMAC blind index, from one master key.

The master key (32 bytes, WULIAN_TALENT_KEY as 64 hex digits) lives in the settings, never in
the database. Two keys are derived from it with HKDF (one to encrypt, one for the blind index),
so the index reveals nothing that would help decrypt. Each value is encrypted with a fresh
96-bit nonce; the stored bytes are nonce + ciphertext + tag. The blind index is an HMAC-SHA256
of the normalised number: equal numbers have equal indexes, so a person is found (and a
duplicate refused) without decrypting every row.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from wulian.core.errors import WulianError

NONCE_BYTES = 12
_AAD = b"wulian.talent.identity"


class KeyMissing(WulianError):
    status = 503
    code = "talent_key_missing"
    title = (
        "未配置人才个人信息加密密钥（WULIAN_TALENT_KEY，64 位十六进制），"
        "人才个人信息暂不能录入或查看，请联系系统管理员"
    )


class KeyMismatch(WulianError):
    status = 500
    code = "talent_key_mismatch"
    title = (
        "身份证号无法解密：加密密钥与录入时不同。请系统管理员换回原密钥，"
        "或用 wulian talent rotate-key 把已存的身份证号改用新密钥加密"
    )


def _derive(master: bytes, label: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label).derive(master)


@dataclass(frozen=True)
class Keys:
    """The derived encryption and index keys (built from the master key in the settings)."""

    encrypt_key: bytes
    index_key: bytes

    @classmethod
    def from_master(cls, master_hex: str) -> Keys:
        """Keys from the master key as 64 hex digits; KeyMissing when it is empty or malformed."""
        text = master_hex.strip()
        if not text:
            raise KeyMissing()
        try:
            master = bytes.fromhex(text)
        except ValueError:
            raise KeyMissing(
                "人才个人信息加密密钥（WULIAN_TALENT_KEY）格式不对：应为 64 位十六进制"
            ) from None
        if len(master) != 32:
            raise KeyMissing(
                "人才个人信息加密密钥（WULIAN_TALENT_KEY）长度不对：应为 32 字节（64 位十六进制）"
            )
        return cls(
            _derive(master, b"wulian talent aes-gcm"), _derive(master, b"wulian talent hmac")
        )

    def encrypt(self, plaintext: str) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return nonce + AESGCM(self.encrypt_key).encrypt(nonce, plaintext.encode(), _AAD)

    def decrypt(self, stored: bytes) -> str:
        nonce, body = stored[:NONCE_BYTES], stored[NONCE_BYTES:]
        try:
            return AESGCM(self.encrypt_key).decrypt(nonce, body, _AAD).decode()
        except InvalidTag:
            raise KeyMismatch() from None

    def index(self, plaintext: str) -> str:
        return hmac.new(self.index_key, plaintext.encode(), hashlib.sha256).hexdigest()


def mask(number: str) -> str:
    """An identity number as shown: the first four and the last four characters (3301…1234)."""
    if len(number) <= 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


_WHOLE_NUMBER = re.compile(r"^[0-9]{17}[0-9X]$|^[0-9]{15}$")
_MASKED = re.compile(r"^[0-9]{4}\*{10}[0-9]{3}[0-9X]$|^[0-9]{4}\*{7}[0-9]{4}$")


def shown_identity(value: str | None) -> str | None:
    """What a message may echo of an identity-number cell: a whole number masked (3301…1234);
    nothing for anything else (a number Excel turned into 3.301021990010113E+17 keeps 16 of the
    18 digits, a short fragment would be shown in full)."""
    if value is None:
        return None
    number = value.replace(" ", "").upper()
    if _MASKED.match(number):  # masked already (a second look, as the API's safety net takes)
        return number
    return mask(number) if _WHOLE_NUMBER.match(number) else None
