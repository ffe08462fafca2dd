"""A local certificate authority and certificate store: ACM as a learner meets it.

`CertificateStore` issues RSA-2048 server certificates signed by the "lblab Local CA", whose
certificate is `ca_pem_path`: trust that file (`curl --cacert`, a browser import,
`ssl.create_default_context(cafile=...)`) and HTTPS listeners verify like real ones.
The PEM files live in the store directory; `to_dict()` holds only the metadata. The keys and
certificates themselves are made in signing.py.
"""

from __future__ import annotations

import os
import random
import re
import ssl
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mock_cloud.elbv2.ssl_policies import ssl_context_for
from mock_cloud.errors import CloudError

if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import rsa

    from mock_cloud.elbv2.signing import Moment

# lblab's simplification note, as its key in the text catalogue (phrasebook/elb.yaml).
ISSUANCE_NOTE = "note.issuance"
CA_NAME = "lblab Local CA"
# ACM's default quota of domain names per certificate; DomainName counts as one of them.
MAX_DOMAIN_NAMES = 10
# RFC 5280 caps the Common Name, which DomainName becomes; longer names must go in the SANs.
_MAX_COMMON_NAME = 64
_MAX_DNS_NAME = 253
_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
# The OIDs of the extended key usages every certificate has (RFC 5280 id-kp-serverAuth, id-kp-clientAuth).
_SERVER_AUTH = "1.3.6.1.5.5.7.3.1"
_CLIENT_AUTH = "1.3.6.1.5.5.7.3.2"


@dataclass
class Certificate:
    arn: str
    domain_name: str
    subject_alternative_names: list[str]  # as ACM reports them: DomainName first
    serial: str
    created_at: datetime
    not_before: datetime
    not_after: datetime
    directory: Path = field(repr=False, compare=False)
    status: str = "ISSUED"

    @property
    def id(self) -> str:
        return self.arn.rsplit("/", 1)[1]

    @property
    def cert_path(self) -> Path:
        return self.directory / f"{self.id}.pem"

    @property
    def key_path(self) -> Path:
        return self.directory / f"{self.id}.key"

    def cert_pem(self) -> bytes:
        return self.cert_path.read_bytes()

    def key_pem(self) -> bytes:
        return self.key_path.read_bytes()

    def match(self, server_name: str) -> int:
        """2 if a name on the certificate is `server_name`, 1 if a wildcard covers it, else 0."""
        host = server_name.lower().rstrip(".")
        if host in self.subject_alternative_names:
            return 2
        _, dot, parent = host.partition(".")
        return 1 if dot and f"*.{parent}" in self.subject_alternative_names else 0

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        del data["directory"]
        for key in ("created_at", "not_before", "not_after"):
            data[key] = data[key].isoformat()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any], directory: Path) -> Certificate:
        fields = dict(data)
        for key in ("created_at", "not_before", "not_after"):
            fields[key] = datetime.fromisoformat(fields[key])
        return cls(directory=directory, **fields)


class CertificateStore:
    def __init__(
        self, directory: Path, account_id: str, region: str, rng: random.Random | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.directory = Path(directory)
        self.clock = clock  # cloud time as a Unix timestamp: what ACM reports a certificate's dates in
        self.account_id = account_id
        self.region = region
        self._rng = rng
        self._certificates: dict[str, Certificate] = {}
        self._ca: tuple[x509.Certificate, rsa.RSAPrivateKey] | None = None

    @property
    def ca_pem_path(self) -> Path:
        self._ensure_ca()
        return self.directory / "ca.pem"

    def request_certificate(
        self, domain_name: str, subject_alternative_names: Sequence[str] = ()
    ) -> Certificate:
        """RequestCertificate, issued at once (see ISSUANCE_NOTE)."""
        from mock_cloud.elbv2 import signing  # local: cryptography loads with the first certificate, not every start

        names = _validated_names(domain_name, subject_alternative_names)
        ca_cert, ca_key = self._ensure_ca()
        cert_id = self._new_id()
        key = signing.new_key()
        now = self._moment()
        cert = signing.sign_leaf(names, key, ca_cert, ca_key, self._serial_number(), now)
        certificate = Certificate(
            arn=f"arn:aws:acm:{self.region}:{self.account_id}:certificate/{cert_id}",
            domain_name=names[0],
            subject_alternative_names=names,
            serial=_acm_serial(cert.serial_number),
            created_at=now.cloud,
            not_before=now.cloud,
            not_after=now.cloud + signing.LEAF_VALIDITY,
            directory=self.directory,
        )
        _write_atomic(certificate.key_path, signing.key_pem(key), 0o600)
        _write_atomic(certificate.cert_path, signing.cert_pem(cert), 0o644)
        self._certificates[certificate.arn] = certificate
        return certificate

    def get(self, arn: str) -> Certificate:
        """ACM's view: an unknown ARN is ResourceNotFoundException."""
        try:
            return self._certificates[arn]
        except KeyError:
            raise CloudError(
                "ResourceNotFoundException",
                f"Certificate '{arn}' not found: the specified certificate cannot be found in the caller's "
                "account.",
                400,
            ) from None

    def listener_certificate(self, arn: str) -> Certificate:
        """ELBv2's view, for a listener's certificate: an unknown ARN is CertificateNotFound."""
        try:
            return self._certificates[arn]
        except KeyError:
            raise CloudError("CertificateNotFound", f"Certificate '{arn}' not found", 400) from None

    def describe(self, arn: str, in_use_by: Sequence[str] = ()) -> dict[str, object]:
        """DescribeCertificate's CertificateDetail; `in_use_by`: ARNs of the load balancers using it."""
        c = self.get(arn)
        return {
            "CertificateArn": c.arn,
            "DomainName": c.domain_name,
            "SubjectAlternativeNames": list(c.subject_alternative_names),
            "DomainValidationOptions": [
                {"DomainName": n, "ValidationDomain": n, "ValidationStatus": "SUCCESS",
                 "ValidationMethod": "DNS"}
                for n in c.subject_alternative_names
            ],
            "Serial": c.serial,
            "Subject": f"CN={c.domain_name}",
            "Issuer": CA_NAME,
            "CreatedAt": c.created_at,
            "IssuedAt": c.created_at,
            "Status": c.status,
            "NotBefore": c.not_before,
            "NotAfter": c.not_after,
            "KeyAlgorithm": "RSA-2048",
            "SignatureAlgorithm": "SHA256WITHRSA",
            "InUseBy": list(in_use_by),
            "Type": "AMAZON_ISSUED",
            "KeyUsages": [{"Name": "DIGITAL_SIGNATURE"}, {"Name": "KEY_ENCIPHERMENT"}],
            "ExtendedKeyUsages": [
                {"Name": "TLS_WEB_SERVER_AUTHENTICATION", "OID": _SERVER_AUTH},
                {"Name": "TLS_WEB_CLIENT_AUTHENTICATION", "OID": _CLIENT_AUTH},
            ],
            "RenewalEligibility": "ELIGIBLE" if in_use_by else "INELIGIBLE",
        }

    def delete(self, arn: str, in_use: Callable[[str], bool] | None = None) -> None:
        """DeleteCertificate; `in_use(arn)` says whether a listener still uses it."""
        certificate = self.get(arn)
        if in_use is not None and in_use(arn):
            raise CloudError(
                "ResourceInUseException",
                f"Certificate '{arn}' is in use by another AWS service in the caller's account. "
                "Remove the association and try again.",
                400,
            )
        del self._certificates[arn]
        certificate.key_path.unlink(missing_ok=True)
        certificate.cert_path.unlink(missing_ok=True)

    def to_dict(self) -> dict[str, object]:
        return {"certificates": [c.to_dict() for c in self._certificates.values()]}

    @classmethod
    def from_dict(
        cls,
        data: dict[str, Any],
        directory: Path,
        account_id: str,
        region: str,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.time,
    ) -> CertificateStore:
        store = cls(directory, account_id, region, rng, clock)
        for item in data["certificates"]:
            certificate = Certificate.from_dict(item, store.directory)
            store._certificates[certificate.arn] = certificate
        return store

    def _ensure_ca(self) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
        if self._ca is None:
            self._ca = self._load_ca() or self._create_ca()
        return self._ca

    def _load_ca(self) -> tuple[x509.Certificate, rsa.RSAPrivateKey] | None:
        from mock_cloud.elbv2 import signing  # local: cryptography loads with the CA, not every start

        cert_path, key_path = self.directory / "ca.pem", self.directory / "ca.key"
        if not cert_path.exists() and not key_path.exists():
            return None
        if not (cert_path.exists() and key_path.exists()):
            # Silently making a new CA would leave every issued certificate untrusted.
            raise CloudError(
                "InternalFailure", f"lblab CA in {self.directory} is incomplete: need ca.pem and ca.key", 500
            )
        return signing.load_ca(cert_path.read_bytes(), key_path.read_bytes())

    def _create_ca(self) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
        from mock_cloud.elbv2 import signing  # local: cryptography loads with the CA, not every start

        key = signing.new_key()
        cert = signing.sign_ca(key, CA_NAME, self._serial_number(), self._moment())
        # Key first: a crash in between leaves no certificate whose key is lost.
        _write_atomic(self.directory / "ca.key", signing.key_pem(key), 0o600)
        _write_atomic(self.directory / "ca.pem", signing.cert_pem(cert), 0o644)
        return cert, key

    def _moment(self) -> Moment:
        from mock_cloud.elbv2 import signing  # local: see request_certificate

        return signing.Moment(datetime.fromtimestamp(self.clock(), UTC), datetime.now(UTC))

    def _new_id(self) -> str:
        # A store reloaded with the same seed replays the same ids; skip the ones already taken.
        while True:
            cert_id = str(uuid.UUID(int=self._rng.getrandbits(128), version=4) if self._rng else uuid.uuid4())
            if not any(c.id == cert_id for c in self._certificates.values()):
                return cert_id

    def _serial_number(self) -> int:
        from mock_cloud.elbv2 import signing  # local: cryptography loads with the CA, not every start

        return (self._rng.getrandbits(159) or 1) if self._rng else signing.random_serial_number()

    def list(self) -> list[Certificate]:
        return list(self._certificates.values())


def select_certificate(server_name: str, certificates: Sequence[Certificate]) -> Certificate | None:
    """The certificate an ALB would present for an SNI name: exact names beat wildcards, then the
    longest remaining validity wins (ALB's last tie-breaker; all lblab keys are RSA-2048)."""
    matching = [c for c in certificates if c.match(server_name)]
    # max() returns the first of equals, so on a full tie the earlier certificate wins.
    return max(matching, key=lambda c: (c.match(server_name), c.not_after), default=None)


def sni_context(policy: str, certificates: Sequence[Certificate], default: Certificate) -> ssl.SSLContext:
    """A listener's server context: the certificate matching the client's SNI name, else `default`
    (also used when the client sends no SNI), as an ALB HTTPS listener with a certificate list."""
    candidates = list({c.arn: c for c in (default, *certificates)}.values())
    contexts = {c.arn: ssl_context_for(policy, c.cert_pem(), c.key_pem()) for c in candidates}

    def pick(sock: ssl.SSLObject | ssl.SSLSocket, server_name: str | None, _: ssl.SSLContext) -> None:
        chosen = select_certificate(server_name, candidates) if server_name else None
        if chosen is not None:
            sock.context = contexts[chosen.arn]

    base = contexts[default.arn]
    base.sni_callback = pick
    return base


def _validated_names(domain_name: str, subject_alternative_names: Sequence[str]) -> list[str]:
    names = [_validated_name(domain_name, "domainName")]
    if len(names[0]) > _MAX_COMMON_NAME:
        raise _validation_error(
            domain_name, "domainName",
            f"Member must have length less than or equal to {_MAX_COMMON_NAME} (it becomes the certificate's "
            "Common Name); put longer names in subjectAlternativeNames",
        )
    for name in subject_alternative_names:
        checked = _validated_name(name, "subjectAlternativeNames")
        if checked not in names:
            names.append(checked)
    if len(names) > MAX_DOMAIN_NAMES:
        raise CloudError(
            "LimitExceededException",
            f"Cannot request a certificate for {len(names)} domain names: the default quota is "
            f"{MAX_DOMAIN_NAMES} domain names per certificate, DomainName included",
            400,
        )
    return names


def _validated_name(name: str, parameter: str) -> str:
    """An FQDN as ACM accepts it: labels of letters, digits and inner hyphens; '*.' only leftmost."""
    lowered = name.lower()
    if not 1 <= len(lowered) <= _MAX_DNS_NAME:
        raise _validation_error(name, parameter, f"Member must have length between 1 and {_MAX_DNS_NAME}")
    labels = lowered.split(".")
    if labels[0] == "*":
        labels = labels[1:]
    if len(labels) < 2 or not all(_LABEL.fullmatch(label) for label in labels):
        raise _validation_error(
            name, parameter,
            "Member must be a fully qualified domain name such as www.example.com or *.example.com: labels "
            "of 1-63 letters, digits or hyphens, not starting or ending with a hyphen, '*' only as the "
            "whole first label",
        )
    return lowered


def _validation_error(value: str, parameter: str, constraint: str) -> CloudError:
    return CloudError(
        "ValidationException",
        f"1 validation error detected: Value '{value}' at '{parameter}' failed to satisfy constraint: "
        f"{constraint}",
        400,
    )


def _acm_serial(serial: int) -> str:
    """ACM shows serials as colon-separated hex bytes, e.g. '0f:3a:...'."""
    return ":".join(f"{b:02x}" for b in serial.to_bytes((serial.bit_length() + 7) // 8, "big"))


def _write_atomic(path: Path, data: bytes, mode: int) -> None:
    """Replace `path` so readers see the old file or the whole new one, never a torn write;
    the temp file gets `mode` before any byte of a key lands in it."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), mode)
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)  # makes the rename itself durable
    finally:
        os.close(dir_fd)
