"""The local ACM (certificates.py) and the ELB SSL policies (ssl_policies.py), down to real TLS handshakes."""

from __future__ import annotations

import asyncio
import json
import random
import re
import shutil
import ssl
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mock_cloud.elbv2.certificates import (
    MAX_DOMAIN_NAMES,
    Certificate,
    CertificateStore,
    select_certificate,
    sni_context,
)
from mock_cloud.elbv2.ssl_policies import DEFAULT_POLICY, list_policies, ssl_context_for, tls_notes
from mock_cloud.errors import CloudError

ACCOUNT, REGION = "123456789012", "ap-northeast-2"
TLS13_12 = "ELBSecurityPolicy-TLS13-1-2-2021-06"
ARN_RE = re.compile(
    r"arn:aws:acm:ap-northeast-2:123456789012:certificate/"
    r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
)


# One CA and a few certificates for the whole module: RSA key generation is the slow part.
@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> CertificateStore:
    return CertificateStore(tmp_path_factory.mktemp("acm"), ACCOUNT, REGION, random.Random(7))


@pytest.fixture(scope="module")
def www(store: CertificateStore) -> Certificate:
    return store.request_certificate("www.example.com", ["example.com", "WWW.example.com"])


@pytest.fixture(scope="module")
def shop(store: CertificateStore) -> Certificate:
    return store.request_certificate("shop.example.org")


@pytest.fixture(scope="module")
def apps(store: CertificateStore) -> Certificate:
    return store.request_certificate("*.apps.example.net")


def client_context(store: CertificateStore, max_version: ssl.TLSVersion | None = None) -> ssl.SSLContext:
    """A client that trusts only the lblab CA and checks the hostname."""
    ctx = ssl.create_default_context(cafile=str(store.ca_pem_path))
    if max_version is not None:
        ctx.maximum_version = max_version
    return ctx


async def handshake(server_ctx: ssl.SSLContext, client_ctx: ssl.SSLContext, name: str) -> ssl.SSLObject:
    """Serve TLS on 127.0.0.1:0 and connect once; returns the client's SSL object after a round trip."""

    async def reply(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"ok")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(reply, "127.0.0.1", 0, ssl=server_ctx)
    port = server.sockets[0].getsockname()[1]
    try:
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", port, ssl=client_ctx, server_hostname=name
        )
        assert await reader.read() == b"ok"
        ssl_object = writer.get_extra_info("ssl_object")
        writer.close()
        return ssl_object
    finally:
        server.close()
        await server.wait_closed()


# A refused handshake reaches the client as the server's alert or, if the server hangs up first, as a reset.
REFUSED = (ssl.SSLError, ConnectionResetError)


def peer_names(ssl_object: ssl.SSLObject) -> list[str]:
    return [value for kind, value in ssl_object.getpeercert()["subjectAltName"] if kind == "DNS"]


# --- TLS -------------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_certificate_verifies_against_local_ca(store: CertificateStore, www: Certificate) -> None:
    server_ctx = ssl_context_for(TLS13_12, www.cert_pem(), www.key_pem())
    for name in ("www.example.com", "example.com"):
        ssl_object = await handshake(server_ctx, client_context(store), name)
        assert ssl_object.version() in ("TLSv1.2", "TLSv1.3")
        assert peer_names(ssl_object) == ["www.example.com", "example.com"]


@pytest.mark.asyncio
async def test_wrong_hostname_fails_verification(store: CertificateStore, www: Certificate) -> None:
    server_ctx = ssl_context_for(TLS13_12, www.cert_pem(), www.key_pem())
    with pytest.raises(ssl.SSLCertVerificationError, match="Hostname mismatch"):
        await handshake(server_ctx, client_context(store), "evil.example.com")


@pytest.mark.asyncio
async def test_sni_picks_the_certificate_for_the_name(
    store: CertificateStore, www: Certificate, shop: Certificate, apps: Certificate
) -> None:
    server_ctx = sni_context(TLS13_12, [shop, apps], default=www)
    client = client_context(store)
    assert peer_names(await handshake(server_ctx, client, "shop.example.org")) == ["shop.example.org"]
    assert peer_names(await handshake(server_ctx, client, "a.apps.example.net")) == ["*.apps.example.net"]
    assert "www.example.com" in peer_names(await handshake(server_ctx, client, "www.example.com"))
    # No certificate matches: the default one is served, and it is not valid for this name.
    with pytest.raises(ssl.SSLCertVerificationError):
        await handshake(server_ctx, client, "nothing.example.org")


def test_select_certificate_prefers_exact_over_wildcard(
    store: CertificateStore, shop: Certificate, apps: Certificate
) -> None:
    exact = Certificate(
        arn=apps.arn.replace(apps.id, "exact"), domain_name="x.apps.example.net",
        subject_alternative_names=["x.apps.example.net"], serial="01", created_at=apps.created_at,
        not_before=apps.not_before, not_after=apps.not_after, directory=store.directory,
    )
    assert select_certificate("X.apps.example.net.", [apps, exact]) is exact
    assert select_certificate("y.apps.example.net", [apps, exact]) is apps
    assert select_certificate("apps.example.net", [apps, shop]) is None  # a wildcard covers one label only
    assert select_certificate("a.b.apps.example.net", [apps]) is None


@pytest.mark.asyncio
async def test_tls13_only_policy_refuses_a_tls12_client(store: CertificateStore, www: Certificate) -> None:
    server_ctx = ssl_context_for("ELBSecurityPolicy-TLS13-1-3-2021-06", www.cert_pem(), www.key_pem())
    with pytest.raises(REFUSED):
        await handshake(server_ctx, client_context(store, ssl.TLSVersion.TLSv1_2), "www.example.com")
    assert (await handshake(server_ctx, client_context(store), "www.example.com")).version() == "TLSv1.3"


@pytest.mark.asyncio
async def test_tls12_only_policy_caps_the_version(store: CertificateStore, www: Certificate) -> None:
    server_ctx = ssl_context_for("ELBSecurityPolicy-TLS-1-2-2017-01", www.cert_pem(), www.key_pem())
    assert (await handshake(server_ctx, client_context(store), "www.example.com")).version() == "TLSv1.2"


@pytest.mark.asyncio
async def test_policy_ciphers_are_enforced(store: CertificateStore, www: Certificate) -> None:
    server_ctx = ssl_context_for("ELBSecurityPolicy-FS-1-2-Res-2020-10", www.cert_pem(), www.key_pem())
    no_forward_secrecy = client_context(store, ssl.TLSVersion.TLSv1_2)
    no_forward_secrecy.set_ciphers("AES128-GCM-SHA256")
    with pytest.raises(REFUSED):
        await handshake(server_ctx, no_forward_secrecy, "www.example.com")
    ssl_object = await handshake(server_ctx, client_context(store, ssl.TLSVersion.TLSv1_2), "www.example.com")
    assert ssl_object.cipher()[0] in ("ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384")


@pytest.mark.asyncio
async def test_legacy_policy_clamped_to_tls12(store: CertificateStore, www: Certificate) -> None:
    notes = tls_notes("ELBSecurityPolicy-2016-08")
    assert notes.startswith("lblab simplification:") and "TLSv1, TLSv1.1 not offered" in notes
    assert tls_notes(TLS13_12) == ""
    server_ctx = ssl_context_for("ELBSecurityPolicy-2016-08", www.cert_pem(), www.key_pem())
    assert server_ctx.minimum_version == ssl.TLSVersion.TLSv1_2
    ssl_object = await handshake(server_ctx, client_context(store, ssl.TLSVersion.TLSv1_2), "www.example.com")
    assert ssl_object.version() == "TLSv1.2"


# --- SSL policies as data ----------------------------------------------------------------------------


def test_unknown_policy_is_an_error(www: Certificate) -> None:
    with pytest.raises(CloudError) as err:
        ssl_context_for("ELBSecurityPolicy-Nope", www.cert_pem(), www.key_pem())
    assert (err.value.code, err.value.status) == ("SSLPolicyNotFound", 400)
    assert err.value.message == "SSL policy 'ELBSecurityPolicy-Nope' not found"
    with pytest.raises(CloudError, match="SSLPolicyNotFound"):
        list_policies([TLS13_12, "nope"])


def test_policy_list_and_describe_shape() -> None:
    names = [p.name for p in list_policies()]
    for required in (
        TLS13_12, "ELBSecurityPolicy-TLS13-1-2-Res-2021-06", "ELBSecurityPolicy-TLS13-1-3-2021-06",
        "ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06", "ELBSecurityPolicy-2016-08",
        "ELBSecurityPolicy-TLS-1-2-2017-01", "ELBSecurityPolicy-FS-1-2-Res-2020-10", DEFAULT_POLICY,
    ):
        assert required in names
    [tls13] = list_policies(["ELBSecurityPolicy-TLS13-1-3-2021-06"])
    assert tls13.to_dict() == {
        "Name": "ELBSecurityPolicy-TLS13-1-3-2021-06",
        "SslProtocols": ["TLSv1.3"],
        "Ciphers": [
            {"Name": "TLS_AES_128_GCM_SHA256", "Priority": 1},
            {"Name": "TLS_AES_256_GCM_SHA384", "Priority": 2},
            {"Name": "TLS_CHACHA20_POLY1305_SHA256", "Priority": 3},
        ],
    }
    [res] = list_policies(["ELBSecurityPolicy-TLS13-1-2-Res-2021-06"])
    assert res.tls12_ciphers == (
        "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
    )


# --- the store ---------------------------------------------------------------------------------------


def test_key_files_are_private_and_no_temp_files_remain(store: CertificateStore, www: Certificate) -> None:
    for key in (store.directory / "ca.key", www.key_path):
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert store.ca_pem_path == store.directory / "ca.pem"
    assert not [p for p in store.directory.iterdir() if p.name.endswith(".tmp")]


def test_arn_format_and_determinism(tmp_path: Path, store: CertificateStore, www: Certificate) -> None:
    assert ARN_RE.fullmatch(www.arn)
    arns = []
    for name in ("a", "b"):  # two stores sharing the module's CA, so no new CA key is generated
        directory = tmp_path / name
        directory.mkdir()
        for ca_file in ("ca.pem", "ca.key"):
            shutil.copy2(store.directory / ca_file, directory / ca_file)
        arns.append(CertificateStore(directory, ACCOUNT, REGION, random.Random(42)).request_certificate(
            "det.example.com").arn)
    assert arns[0] == arns[1] and ARN_RE.fullmatch(arns[0])


def test_describe(store: CertificateStore, www: Certificate) -> None:
    lb = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:loadbalancer/app/web/50dc6c495c0c9188"
    detail = store.describe(www.arn, in_use_by=[lb])
    assert detail["CertificateArn"] == www.arn
    assert detail["DomainName"] == "www.example.com"
    # DomainName first, a duplicate SAN (differing only in case) dropped, as ACM reports them.
    assert detail["SubjectAlternativeNames"] == ["www.example.com", "example.com"]
    assert detail["Status"] == "ISSUED"
    assert (detail["Type"], detail["KeyAlgorithm"]) == ("AMAZON_ISSUED", "RSA-2048")
    assert detail["InUseBy"] == [lb]
    assert detail["NotBefore"] < detail["NotAfter"]
    assert re.fullmatch(r"[0-9a-f]{2}(:[0-9a-f]{2})*", detail["Serial"])
    assert store.describe(www.arn)["InUseBy"] == []


@pytest.mark.parametrize(
    "domain, sans",
    [
        ("-bad.example.com", []),
        ("bad-.example.com", []),
        ("a..example.com", []),
        ("localhost", []),
        ("*.*.example.com", []),
        ("www.*.example.com", []),
        ("under_score.example.com", []),
        ("example.com.", []),
        ("x" * 60 + ".example.com", []),  # > 64: too long for the Common Name
        ("example.com", ["a" * 64 + ".example.com"]),  # a label > 63
        ("example.com", [".".join(["a" * 63] * 4)]),  # > 253
    ],
)
def test_invalid_domain_names(store: CertificateStore, domain: str, sans: list[str]) -> None:
    with pytest.raises(CloudError) as err:
        store.request_certificate(domain, sans)
    assert (err.value.code, err.value.status) == ("ValidationException", 400)


def test_domain_name_quota(store: CertificateStore) -> None:
    sans = [f"n{i}.example.com" for i in range(MAX_DOMAIN_NAMES)]  # + DomainName = one too many
    with pytest.raises(CloudError) as err:
        store.request_certificate("example.com", sans)
    assert err.value.code == "LimitExceededException"


def test_not_found_errors(store: CertificateStore) -> None:
    arn = f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/00000000-0000-4000-8000-000000000000"
    with pytest.raises(CloudError) as err:
        store.get(arn)
    assert (err.value.code, err.value.status) == ("ResourceNotFoundException", 400)
    with pytest.raises(CloudError) as err:
        store.listener_certificate(arn)
    assert (err.value.code, err.value.message) == ("CertificateNotFound", f"Certificate '{arn}' not found")


def test_delete(store: CertificateStore) -> None:
    cert = store.request_certificate("gone.example.com")
    with pytest.raises(CloudError) as err:
        store.delete(cert.arn, in_use=lambda arn: arn == cert.arn)
    assert err.value.code == "ResourceInUseException"
    assert cert.key_path.exists() and store.get(cert.arn) is cert
    store.delete(cert.arn, in_use=lambda arn: False)
    assert not cert.key_path.exists() and not cert.cert_path.exists()
    assert cert not in store.list()
    with pytest.raises(CloudError, match="ResourceNotFoundException"):
        store.delete(cert.arn)


@pytest.mark.asyncio
async def test_persistence_round_trip(store: CertificateStore, www: Certificate, shop: Certificate) -> None:
    ca_pem = store.ca_pem_path.read_bytes()
    data = json.loads(json.dumps(store.to_dict()))
    reloaded = CertificateStore.from_dict(data, store.directory, ACCOUNT, REGION, random.Random(7))
    assert reloaded.list() == store.list()
    assert reloaded.describe(shop.arn) == store.describe(shop.arn)
    assert reloaded.ca_pem_path.read_bytes() == ca_pem  # the CA was loaded, not recreated
    again = reloaded.get(www.arn)
    server_ctx = ssl_context_for(TLS13_12, again.cert_pem(), again.key_pem())
    await handshake(server_ctx, client_context(reloaded), "www.example.com")
    # Same seed as the original store: the replayed ids are skipped, not reused.
    fresh = reloaded.request_certificate("new.example.com")
    assert fresh.arn not in {c.arn for c in store.list()}


def test_incomplete_ca_is_an_error(tmp_path: Path, store: CertificateStore) -> None:
    shutil.copy2(store.ca_pem_path, tmp_path / "ca.pem")  # ca_pem_path makes the CA if no earlier test did
    with pytest.raises(CloudError) as err:
        CertificateStore(tmp_path, ACCOUNT, REGION).request_certificate("example.com")
    assert (err.value.code, err.value.status) == ("InternalFailure", 500)


@pytest.mark.asyncio
@pytest.mark.parametrize("days", [40, -3])  # a clock at ×30 far ahead of the host, a paused one behind it
async def test_certificate_dates_follow_the_cloud_clock_and_still_verify_on_this_host(
    tmp_path: Path, days: int
) -> None:
    cloud_now = datetime.now(UTC) + timedelta(days=days)
    store = CertificateStore(tmp_path / "acm", ACCOUNT, REGION, random.Random(3), clock=cloud_now.timestamp)
    cert = store.request_certificate("www.example.com")
    described = store.describe(cert.arn)
    assert abs(described["NotBefore"] - cloud_now) < timedelta(seconds=1)  # what the console shows
    assert abs(described["IssuedAt"] - cloud_now) < timedelta(seconds=1)
    assert abs(described["NotAfter"] - (cloud_now + timedelta(days=395))) < timedelta(seconds=1)
    server_ctx = ssl_context_for(TLS13_12, cert.cert_pem(), cert.key_pem())
    ssl_object = await handshake(server_ctx, client_context(store), "www.example.com")  # a client on this host
    assert peer_names(ssl_object) == ["www.example.com"]
