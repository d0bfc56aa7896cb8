"""Issuers' RSA signing keys: generation and encryption at rest.

Private keys are encrypted with Fernet (AES-128-CBC + HMAC-SHA256) under ``KEY_ENCRYPTION_KEYS``.
The first key in that list encrypts; every key in it can decrypt, so the encryption key can be
rotated by putting a new one first, running ``manage.py rotate_encryption_key`` and then removing
the old one. Decrypted private keys live only in memory while a badge is being signed.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Model

from issuers.registry import Registry

RSA_KEY_BITS = 2048

#: Models of the layers above holding other private keys or secrets under the same encryption (a
#: ``private_key_encrypted`` field, or the fields a model names in ``ENCRYPTED_FIELDS``), which
#: ``manage.py rotate_encryption_key`` re-encrypts too.
ENCRYPTED_KEY_MODELS: Registry[type[Model]] = Registry("models with private keys under KEY_ENCRYPTION_KEYS")


def _fernet() -> MultiFernet:
    try:
        return MultiFernet([Fernet(key.encode()) for key in settings.KEY_ENCRYPTION_KEYS])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            "KEY_ENCRYPTION_KEYS must be Fernet keys (make one with "
            "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`)."
        ) from exc


def generate_key_pair() -> tuple[str, bytes]:
    """A new RSA key pair as (public PEM, encrypted private PEM)."""
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_KEY_BITS)
    public_pem = private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    private_pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return public_pem.decode(), _fernet().encrypt(private_pem)


def decrypt_private_key(encrypted: bytes | memoryview) -> rsa.RSAPrivateKey:
    try:
        pem = _fernet().decrypt(bytes(encrypted))
    except InvalidToken as exc:
        raise ImproperlyConfigured("A signing key cannot be decrypted with KEY_ENCRYPTION_KEYS.") from exc
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ImproperlyConfigured("Signing keys must be RSA keys.")
    return key


def encrypt_secret(secret: bytes) -> bytes:
    """Any other private key (the Ed25519 keys of Open Badges 3.0) or secret that must be read back (webhook
    signing secrets) encrypted the same way."""
    return _fernet().encrypt(secret)


def decrypt_secret(encrypted: bytes | memoryview) -> bytes:
    try:
        return _fernet().decrypt(bytes(encrypted))
    except InvalidToken as exc:
        raise ImproperlyConfigured("A private key cannot be decrypted with KEY_ENCRYPTION_KEYS.") from exc


def reencrypt(encrypted: bytes | memoryview) -> bytes:
    """The same secret encrypted under the first (newest) encryption key."""
    return _fernet().rotate(bytes(encrypted))
