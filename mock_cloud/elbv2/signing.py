"""The cryptography half of the local ACM (certificates.py): RSA keys, the CA's certificate and the
server certificates it signs, PEM in and out.

A module of its own so that `cryptography`, slow to import, loads when the CA or a certificate is
first made or read, not with every cloud: certificates.py imports it where it needs it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

_CA_VALIDITY = timedelta(days=3650)
LEAF_VALIDITY = timedelta(days=395)  # ACM's 13 months
# Backdating NotBefore keeps a client whose clock runs slightly behind (a VM, a container) from
# rejecting a certificate that was issued a moment ago.
_CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class Moment:
    """When a certificate is issued: on the cloud clock (what ACM and the console report) and on the
    host's (what TLS clients on this machine check). The cloud clock may run far ahead (×30) or be
    paused behind, so the X.509 validity covers both; the ACM dates follow the cloud alone."""

    cloud: datetime
    host: datetime

    def valid_from(self) -> datetime:
        return min(self.cloud, self.host) - _CLOCK_SKEW

    def valid_until(self, validity: timedelta) -> datetime:
        return max(self.cloud, self.host) + validity


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def random_serial_number() -> int:
    return x509.random_serial_number()


def load_ca(cert_pem: bytes, key_pem: bytes) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    key = cast(rsa.RSAPrivateKey, serialization.load_pem_private_key(key_pem, password=None))
    return x509.load_pem_x509_certificate(cert_pem), key


def sign_ca(key: rsa.RSAPrivateKey, ca_name: str, serial: int, now: Moment) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "lblab"),
                      x509.NameAttribute(NameOID.COMMON_NAME, ca_name)])
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(now.valid_from())
        .not_valid_after(now.valid_until(_CA_VALIDITY))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )


def sign_leaf(
    names: list[str],
    key: rsa.RSAPrivateKey,
    ca_cert: x509.Certificate,
    ca_key: rsa.RSAPrivateKey,
    serial: int,
    now: Moment,
) -> x509.Certificate:
    ca_ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(now.valid_from())
        # A leaf outliving its CA would fail verification at the end, so cap it.
        .not_valid_after(min(now.valid_until(LEAF_VALIDITY), ca_cert.not_valid_after_utc))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=False), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
        .sign(ca_key, hashes.SHA256())
    )


def key_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _key_usage(cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=not cert_sign,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )
