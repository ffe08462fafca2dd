"""Diagnosis codes: each broken situation built for real, and the code a learner is given for it."""

from __future__ import annotations

import textwrap

from labs.codes import Diagnosis
from mock_cloud.cloud import Cloud
from mock_cloud.scenarios import SEED_USER_DATA
from phrasebook import load_strings
from tests.support.cloud import boot
from tests.support.labs import code_of, do

PROVISION, INTERVAL = 60.0, 30.0


def launch(names: str, user_data: str, groups: str = "web") -> str:
    return (f"- do: launch_instances\n  names: [{names}]\n  security_groups: {groups}\n  user_data: |\n"
            + textwrap.indent(user_data, "    "))


WEB_GROUP = """
- do: create_security_group
  name: web
  description: web servers
  ingress: [{port: 80, cidr: 0.0.0.0/0}]
"""
BALANCER = """
- do: create_security_group
  name: lb
  description: SG for ALB
  ingress: [{port: 80, cidr: 0.0.0.0/0}]
- do: create_target_group
  name: tg
  targets: [a, b]
- do: create_load_balancer
  name: LB
  security_groups: lb
  listeners: [{protocol: HTTP, port: 80, action: {forward: tg}}]
"""


async def alb(cloud: Cloud, web_ingress: str = "{port: 80, cidr: 0.0.0.0/0}") -> None:
    """Two seed web servers a and b behind LB (still provisioning)."""
    group = WEB_GROUP.replace("{port: 80, cidr: 0.0.0.0/0}", web_ingress)
    await do(cloud, group + launch("a, b", SEED_USER_DATA) + BALANCER)


def test_every_code_reads_in_both_languages() -> None:
    codes = {key: entry for key, entry in load_strings().items() if key.startswith("diagnosis.")}
    assert len(codes) > 50
    for key, entry in codes.items():
        assert entry["ko"] and entry["en"] and entry["ko"] != entry["en"], key
    message = Diagnosis("TARGET_STOPPED", {"names": ["a", "b"]}).message
    assert message.en.startswith("a, b are unused") and message.ko.startswith("a, b는")


# == instances and user data ================================================================================


async def test_user_data_problems(cloud: Cloud) -> None:
    await do(cloud, WEB_GROUP
             + launch("no-shebang", SEED_USER_DATA.removeprefix("#!/bin/bash\n"))
             + launch("no-httpd", "#!/bin/bash\necho hello > /tmp/hello\n")
             + "- do: launch_instances\n  names: empty\n")
    assert await code_of(cloud, "type: instances\nnames: no-shebang\nweb_server: true") == "INSTANCE_PENDING"
    await boot(cloud)
    assert await code_of(cloud, "type: instances\nnames: no-shebang\nweb_server: true") == "NO_SHEBANG"
    assert await code_of(cloud, "type: instances\nnames: no-httpd\nweb_server: true") == "USER_DATA_NO_HTTPD"
    assert await code_of(cloud, "type: instances\nnames: empty\nweb_server: true") == "NO_USER_DATA"
    assert await code_of(cloud, "type: instances\nnames: nobody") == "INSTANCE_MISSING"


async def test_user_data_still_running(cloud: Cloud) -> None:
    await do(cloud, WEB_GROUP + launch("web", SEED_USER_DATA))
    await cloud.clock.advance(12)  # running, cloud-init not done
    assert await code_of(cloud, "type: instances\nnames: web\nweb_server: true") == "USER_DATA_RUNNING"


async def test_httpd_not_enabled_after_a_stop_and_start(cloud: Cloud) -> None:
    script = SEED_USER_DATA.replace("systemctl enable httpd\n", "")
    await do(cloud, WEB_GROUP + launch("web", script))
    await boot(cloud)
    assert await code_of(cloud, "type: instance_http\ninstances: web") is None
    assert await code_of(cloud, "type: instances\nnames: web\nenabled_at_boot: true") == "HTTPD_NOT_ENABLED"
    await do(cloud, "- do: stop_instances\n  names: web\n- do: start_instances\n  names: web\n")
    assert await code_of(cloud, "type: instances\nnames: web\nstate: [stopping, stopped]") == "INSTANCE_NOT_STOPPED"
    await cloud.clock.advance(15)
    assert await code_of(cloud, "type: instances\nnames: web\nweb_server: true") == "HTTPD_NOT_ENABLED"


async def test_httpd_stopped_through_connect(cloud: Cloud) -> None:
    await do(cloud, WEB_GROUP + launch("web", SEED_USER_DATA))
    await boot(cloud)
    await do(cloud, "- do: run_commands\n  instances: web\n  commands: sudo systemctl stop httpd\n")
    assert await code_of(cloud, "type: instances\nnames: web\nweb_server: true") == "HTTPD_STOPPED"


async def test_pages_and_the_instance_firewall(cloud: Cloud) -> None:
    await do(cloud, WEB_GROUP + launch("web", SEED_USER_DATA)
             + launch("bare", "#!/bin/bash\nyum install -y httpd\nsystemctl enable --now httpd\n")
             + "- do: create_security_group\n  name: ssh\n  description: ssh only\n"
               "  ingress: [{port: 22, cidr: 0.0.0.0/0}]\n"
             + launch("closed", SEED_USER_DATA, groups="ssh"))
    await boot(cloud)
    assert await code_of(cloud, "type: instance_http\ninstances: web\ncontains: Hello World") is None
    assert await code_of(cloud, "type: instance_http\ninstances: web\npath: /health") == "PATH_NOT_FOUND"
    assert await code_of(cloud, "type: instance_http\ninstances: web\ncontains: Goodbye") == "CONTENT_MISMATCH"
    assert await code_of(cloud, "type: instance_http\ninstances: bare") == "INDEX_MISSING"
    assert await code_of(cloud, "type: instance_http\ninstances: closed") == "SG_BLOCKS_HTTP"


# == security groups and target groups ======================================================================


async def test_security_group_and_target_group_settings(cloud: Cloud) -> None:
    sg = "type: security_group\nname: demo-sg-load-balancer\ndescription: SG for ALB\n" \
         "ingress: [{port: 80, cidr: 0.0.0.0/0}]"
    assert await code_of(cloud, sg) == "SG_MISSING"
    await do(cloud, "- do: create_security_group\n  name: demo-sg-load-balancer\n  description: for ALB\n")
    assert await code_of(cloud, sg) == "SG_DESCRIPTION"
    assert await code_of(cloud, sg.replace("description: SG for ALB\n", "")) == "SG_RULE_MISSING"

    await do(cloud, WEB_GROUP + launch("a", SEED_USER_DATA))
    tg = "type: target_group\nname: demo-tg\nport: 80\ntargets: a"
    assert await code_of(cloud, tg) == "TG_MISSING"
    await do(cloud, "- do: create_target_group\n  name: demo-tg\n  port: 8080\n")
    assert await code_of(cloud, tg) == "TG_SETTING"
    assert await code_of(cloud, tg.replace("port: 80\n", "")) == "TARGET_NOT_REGISTERED"


# == target health =============================================================================================


async def test_target_health_from_registration_to_recovery(cloud: Cloud) -> None:
    await alb(cloud)
    await do(cloud, "- do: modify_target_group\n  name: tg\n  health_check: {path: /health}\n")
    healthy = "type: target_health\ntarget_group: tg"
    assert await code_of(cloud, healthy) == "TARGETS_REGISTERING"
    await cloud.clock.advance(PROVISION + INTERVAL)  # one failed check: still initial, but /health is missing
    assert await code_of(cloud, healthy) == "HEALTH_PATH_404"
    await do(cloud, "- do: run_commands\n  instances: [a, b]\n  commands: sudo touch /var/www/html/health\n")
    assert await code_of(cloud, healthy) == "TARGETS_INITIAL"

    await do(cloud, "- do: modify_target_group\n  name: tg\n  health_check: {path: /missing}\n")
    await cloud.clock.advance(2 * INTERVAL)
    assert await code_of(cloud, healthy) == "HEALTH_PATH_404"
    assert await code_of(cloud, healthy + "\nstate: unhealthy\nreason: Target.ResponseCodeMismatch") is None
    await do(cloud, "- do: modify_target_group\n  name: tg\n  health_check: {path: /health}\n")
    assert await code_of(cloud, healthy) == "TARGETS_RECOVERING"
    await cloud.clock.advance(5 * INTERVAL)  # back from unhealthy: the healthy threshold
    assert await code_of(cloud, healthy) is None
    assert await code_of(cloud, healthy + "\nstate: unhealthy") == "TARGET_STILL_HEALTHY"

    await do(cloud, "- do: run_commands\n  instances: b\n  commands: sudo systemctl stop httpd\n")
    await cloud.clock.advance(2 * INTERVAL)
    assert await code_of(cloud, healthy) == "HTTPD_STOPPED"
    await do(cloud, "- do: stop_instances\n  names: b\n")
    assert await code_of(cloud, healthy) == "TARGET_STOPPED"


async def test_targets_time_out_when_the_instance_group_drops_the_balancer(cloud: Cloud) -> None:
    await alb(cloud, web_ingress="{port: 22, cidr: 0.0.0.0/0}")
    assert await code_of(cloud, "type: lb_reaches_targets\ntarget_group: tg") == "INSTANCE_SG_BLOCKS_LB"
    await cloud.clock.advance(PROVISION + 3 * INTERVAL)
    assert await code_of(cloud, "type: target_health\ntarget_group: tg") == "TARGETS_UNHEALTHY_SG_BLOCKS_LB"
    await do(cloud, "- do: authorize_ingress\n  group: web\n  ingress: [{port: 80, source_group: lb}]\n")
    assert await code_of(cloud, "type: lb_reaches_targets\ntarget_group: tg") is None


async def test_a_target_group_no_listener_uses(cloud: Cloud) -> None:
    await do(cloud, WEB_GROUP + launch("a", SEED_USER_DATA)
             + "- do: create_target_group\n  name: spare\n  targets: a\n")
    assert await code_of(cloud, "type: target_health\ntarget_group: spare") == "TG_NOT_IN_USE"


# == load balancers, listeners, rules, traffic ====================================================================


async def test_load_balancer_settings(cloud: Cloud) -> None:
    lb = "type: load_balancer\nname: DemoALB\nzones: all\nsecurity_groups: demo-sg-load-balancer"
    assert await code_of(cloud, lb) == "LB_MISSING"
    await do(cloud, "- do: create_security_group\n  name: demo-sg-load-balancer\n  description: SG for ALB\n")
    subnets = [s.subnet_id for s in cloud.ec2.subnets_of(cloud.ec2.default_vpc.vpc_id)]
    await cloud.elbv2.create_load_balancer("DemoALB", subnets[:2])
    assert await code_of(cloud, lb) == "LB_ZONES_MISSING"
    await cloud.elbv2.set_subnets(cloud.elbv2.describe_load_balancers(names=["DemoALB"])[0].arn, subnets)
    assert await code_of(cloud, lb) == "LB_DEFAULT_SG"
    await do(cloud, "- do: create_security_group\n  name: other\n  description: other\n"
                    "- do: create_load_balancer\n  name: DemoALB\n  security_groups: other\n")
    assert await code_of(cloud, lb) == "LB_SG_MISSING"
    await do(cloud, "- do: create_load_balancer\n  name: DemoALB\n  security_groups: demo-sg-load-balancer\n")
    assert await code_of(cloud, lb) is None
    assert await code_of(cloud, "type: load_balancer\nname: DemoALB\nstate: active") == "LB_PROVISIONING"
    assert await code_of(cloud, "type: traffic\nload_balancer: DemoALB") == "LB_PROVISIONING"
    await cloud.clock.advance(PROVISION)
    assert await code_of(cloud, "type: traffic\nload_balancer: DemoALB") == "LB_SG_BLOCKS"
    listener = "type: listener\nload_balancer: DemoALB\nprotocol: HTTP\nport: 80\naction: {forward: tg}"
    assert await code_of(cloud, listener) == "LISTENER_MISSING"


async def test_traffic_diagnoses(cloud: Cloud) -> None:
    await alb(cloud)
    await do(cloud, "- do: create_target_group\n  name: spare\n"
                    "- do: create_rule\n  load_balancer: LB\n  priority: 10\n  conditions: {path: /spare*}\n"
                    "  action: {forward: spare}\n")
    await cloud.clock.advance(PROVISION + 5 * INTERVAL)
    traffic = "type: traffic\nload_balancer: LB\nrequests: 6\n"
    assert await code_of(cloud, traffic + "hosts: distinct") is None
    assert await code_of(cloud, traffic + "hosts: same") == "HOSTS_DIFFER"
    assert await code_of(cloud, traffic + "contains: Goodbye") == "CONTENT_MISMATCH"
    assert await code_of(cloud, traffic + "status: 301\nlocation: 'http://{dns}:80/'") == "STATUS_MISMATCH"
    spare = traffic + "path: /spare\ntarget_group: spare\nstatus: 404\n"
    assert await code_of(cloud, spare) == "NO_TARGETS_AVAILABLE"
    await do(cloud, "- do: register_targets\n  target_group: spare\n  instances: a\n")
    await cloud.clock.advance(5 * INTERVAL)
    assert await code_of(cloud, spare + "hosts: distinct") == "ONE_HOST_ONLY"
    await do(cloud, "- do: stop_instances\n  names: b\n")
    assert await code_of(cloud, traffic + "hosts: distinct") == "TARGET_STOPPED"


async def test_rules_and_redirects(cloud: Cloud) -> None:
    await alb(cloud)
    await cloud.clock.advance(PROVISION)
    rule = "type: rule\nload_balancer: LB\npriority: 5\nconditions: {path: /old*}\n" \
           "action: {redirect: {path: /, status_code: HTTP_301}}"
    assert await code_of(cloud, rule) == "RULE_MISSING"
    await do(cloud, "- do: create_rule\n  load_balancer: LB\n  priority: 5\n  conditions: {path: /old*}\n"
                    "  action: {redirect: {path: /new, status_code: HTTP_302}}\n")
    assert await code_of(cloud, rule) == "RULE_SETTING"
    moved = "type: traffic\nload_balancer: LB\npath: /old\nstatus: 302\nlocation: 'http://{dns}:80/'"
    assert await code_of(cloud, moved) == "REDIRECT_MISMATCH"
    assert await code_of(cloud, moved.replace(":80/'", ":80/new'")) is None


async def test_certificates_and_tls(cloud: Cloud) -> None:
    await alb(cloud)
    await do(cloud, "- do: authorize_ingress\n  group: lb\n  ingress: [{port: 443, cidr: 0.0.0.0/0}]\n")
    await cloud.clock.advance(PROVISION + 5 * INTERVAL)
    assert await code_of(cloud, "type: certificate\nload_balancer: LB") == "CERT_MISSING"
    lb = cloud.elbv2.describe_load_balancers(names=["LB"])[0]
    other = await cloud.elbv2.request_certificate("www.example.com")
    group = cloud.elbv2.describe_target_groups(names=["tg"])[0]
    from mock_cloud.elbv2.listener_rules import Action

    await cloud.elbv2.create_listener(lb.arn, "HTTPS", 443, [Action("forward", target_group_arn=group.arn)],
                                      certificates=[other])
    listener = "type: listener\nload_balancer: LB\nprotocol: HTTPS\nport: 443\ncertificate_covers_dns_name: true"
    assert await code_of(cloud, listener) == "LISTENER_SETTING"
    assert await code_of(cloud, "type: traffic\nload_balancer: LB\nprotocol: HTTPS") == "TLS_FAILED"
    await do(cloud, "- do: create_listener\n  load_balancer: LB\n  protocol: HTTPS\n  port: 443\n"
                    "  certificate: true\n  action: {forward: tg}\n")
    assert await code_of(cloud, listener) is None
    assert await code_of(cloud, "type: traffic\nload_balancer: LB\nprotocol: HTTPS\nrequests: 4\nhosts: distinct") \
        is None
    assert await code_of(cloud, "type: ssl_offload\nload_balancer: LB") is None
