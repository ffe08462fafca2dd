"""HTTPS listeners: TLS terminated with a certificate from the local ACM, through the edge's CONNECT."""

from __future__ import annotations

import asyncio
import shlex
import ssl

import aiohttp

from mock_cloud.cloud import Cloud
from mock_cloud.ec2.service import RuleSpec
from mock_cloud.elbv2.ssl_policies import DEFAULT_POLICY
from mock_cloud.scenarios import healthy_lab
from tests.support.elbv2 import echo_handler, forward, plug


async def test_https_listener_terminates_tls_and_forwards_plain_http(cloud: Cloud) -> None:
    lab = await healthy_lab(cloud, count=1)
    await plug(lab.instances[0], echo_handler)
    dns = lab.lb.dns_name.lower()
    site = await cloud.elbv2.request_certificate("www.example.com", [dns])
    api = await cloud.elbv2.request_certificate("api.example.com")
    await cloud.ec2.authorize(lab.lb_sg, [RuleSpec("tcp", 443, 443, cidr_ipv4="0.0.0.0/0")])
    listener = await cloud.elbv2.create_listener(lab.lb.arn, "HTTPS", 443, [forward(lab.group.arn)],
                                                 certificates=[site, api])
    assert listener.ssl_policy == DEFAULT_POLICY and listener.local_port

    trust = ssl.create_default_context(cafile=str(cloud.elbv2.certificates.ca_pem_path))
    async with aiohttp.ClientSession() as session, session.get(
            f"https://{dns}/", proxy=cloud.edge_url, ssl=trust) as response:
        seen = await response.text()
    assert response.status == 200
    assert "X-Forwarded-Proto: https\r\n" in seen and "X-Forwarded-Port: 443\r\n" in seen

    fields = shlex.split(cloud.elbv2.access_log(lab.lb.arn, limit=1)[0])
    assert fields[0] == "https" and fields[14] != "-" and fields[15].startswith("TLSv1.")
    assert (fields[18], fields[19]) == (dns, site)

    # SNI picks the certificate for the name asked for.
    _, writer = await asyncio.open_connection("127.0.0.1", listener.local_port, ssl=trust,
                                              server_hostname="api.example.com")
    names = writer.get_extra_info("peercert")["subjectAltName"]
    writer.close()
    assert names == (("DNS", "api.example.com"),)
    assert cloud.elbv2.certificate_in_use(api)
