"""The seed lab built and driven with boto3 alone, over the Query API, with traffic through the edge."""

from __future__ import annotations

import itertools
import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from mock_cloud.scenarios import HELLO, SEED_USER_DATA
from tests.support.api import FAST, WAIT, LiveCloud
from tests.support.cloud import make_config

pytest.importorskip("boto3", reason="boto3 is a test dependency of the AWS API (pip install boto3)")

DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback, whatever *_proxy says


@pytest.fixture
def live() -> Iterator[LiveCloud]:
    with LiveCloud(make_config(time_scale=FAST)) as running:
        yield running


def hostnames(live: LiveCloud, url: str, count: int) -> list[str]:
    names = []
    for _ in range(count):
        result = live.fetch(url)
        match = HELLO.search(result.text)
        assert result.status == 200 and match, (result.status, result.error, result.text[:200])
        names.append(match.group(1))
    return names


def build_seed_lab(ec2: Any, elbv2: Any) -> dict[str, Any]:
    """The course's seed lab, step by step as a learner's boto3 script would build it."""
    vpc_id = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]},
                                            {"Name": "default-for-az", "Values": ["true"]}])["Subnets"]
    assert sorted(s["AvailabilityZone"] for s in subnets) == [f"ap-northeast-2{z}" for z in "abcd"]
    image = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": ["al2023-ami-*"]}])
    web = ec2.create_security_group(GroupName="web", Description="web servers", VpcId=vpc_id)["GroupId"]
    lb_sg = ec2.create_security_group(GroupName="demo-sg-load-balancer", Description="SG for ALB",
                                      VpcId=vpc_id)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=lb_sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    ec2.authorize_security_group_ingress(GroupId=web, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "UserIdGroupPairs": [{"GroupId": lb_sg}]}])
    launched = ec2.run_instances(
        ImageId=image["Images"][0]["ImageId"], InstanceType="t2.micro", MinCount=2, MaxCount=2,
        UserData=SEED_USER_DATA, SecurityGroupIds=[web],
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "web"}]}])
    instance_ids = [i["InstanceId"] for i in launched["Instances"]]
    group = elbv2.create_target_group(Name="demo-tg", Protocol="HTTP", Port=80, VpcId=vpc_id,
                                      TargetType="instance")["TargetGroups"][0]
    lb = elbv2.create_load_balancer(Name="DemoALB", Subnets=[s["SubnetId"] for s in subnets],
                                    SecurityGroups=[lb_sg], Scheme="internet-facing", Type="application",
                                    IpAddressType="ipv4")["LoadBalancers"][0]
    listener = elbv2.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80, DefaultActions=[
        {"Type": "forward", "TargetGroupArn": group["TargetGroupArn"]}])["Listeners"][0]
    return {"vpc_id": vpc_id, "instance_ids": instance_ids, "group": group, "lb": lb, "listener": listener,
            "web_sg": web, "lb_sg": lb_sg}


def test_seed_lab_with_boto3_waiters_traffic_and_failover(live: LiveCloud) -> None:
    ec2, elbv2 = live.client("ec2"), live.client("elbv2")
    lab = build_seed_lab(ec2, elbv2)
    first, second = lab["instance_ids"]
    group_arn, lb_arn = lab["group"]["TargetGroupArn"], lab["lb"]["LoadBalancerArn"]
    assert lab["lb"]["State"]["Code"] == "provisioning" and len(lab["lb"]["AvailabilityZones"]) == 4

    ec2.get_waiter("instance_running").wait(InstanceIds=[first, second], WaiterConfig=WAIT)
    elbv2.register_targets(TargetGroupArn=group_arn, Targets=[{"Id": first}, {"Id": second}])
    elbv2.get_waiter("load_balancer_available").wait(LoadBalancerArns=[lb_arn], WaiterConfig=WAIT)
    elbv2.get_waiter("target_in_service").wait(TargetGroupArn=group_arn, WaiterConfig=WAIT)

    reservations = ec2.describe_instances(Filters=[{"Name": "tag:Name", "Values": ["web"]},
                                                   {"Name": "instance-state-name", "Values": ["running"]}])
    instances = {i["InstanceId"]: i for r in reservations["Reservations"] for i in r["Instances"]}
    assert set(instances) == {first, second}
    assert all(i["State"] == {"Code": 16, "Name": "running"} for i in instances.values())
    dns = {i["PrivateDnsName"] for i in instances.values()}
    url = f"http://{lab['lb']['DNSName']}/"
    names = hostnames(live, url, 6)
    assert set(names) == dns
    assert all(a != b for a, b in itertools.pairwise(names))  # round robin alternates

    stopped = ec2.stop_instances(InstanceIds=[first])["StoppingInstances"][0]
    assert (stopped["PreviousState"]["Name"], stopped["CurrentState"]["Name"]) == ("running", "stopping")
    rows = {d["Target"]["Id"]: d["TargetHealth"]
            for d in elbv2.describe_target_health(TargetGroupArn=group_arn)["TargetHealthDescriptions"]}
    assert (rows[first]["State"], rows[first]["Reason"]) == ("unused", "Target.InvalidState")
    assert rows[second]["State"] == "healthy"
    assert set(hostnames(live, url, 4)) == {instances[second]["PrivateDnsName"]}

    group = elbv2.describe_target_groups(Names=["demo-tg"])["TargetGroups"][0]
    assert group["LoadBalancerArns"] == [lb_arn] and group["HealthCheckPath"] == "/"
    listeners = elbv2.describe_listeners(LoadBalancerArn=lb_arn)["Listeners"]
    assert [(x["Protocol"], x["Port"]) for x in listeners] == [("HTTP", 80)]
    rules = elbv2.describe_rules(ListenerArn=listeners[0]["ListenerArn"])["Rules"]
    assert [(r["Priority"], r["IsDefault"]) for r in rules] == [("default", True)]


def test_instance_lifecycle_console_output_and_status(live: LiveCloud) -> None:
    ec2 = live.client("ec2")
    launched = ec2.run_instances(ImageId="ami-0c9c942bd7bf113a2", MinCount=1, MaxCount=1, UserData=SEED_USER_DATA)
    instance_id = launched["Instances"][0]["InstanceId"]
    assert launched["Instances"][0]["State"]["Name"] == "pending"
    ec2.get_waiter("instance_running").wait(InstanceIds=[instance_id], WaiterConfig=WAIT)
    ec2.get_waiter("instance_status_ok").wait(InstanceIds=[instance_id], WaiterConfig=WAIT)
    ec2.reboot_instances(InstanceIds=[instance_id])
    output = ec2.get_console_output(InstanceId=instance_id)["Output"]  # boto3 decodes the base64
    assert "Cloud-init" in output
    ec2.create_tags(Resources=[instance_id], Tags=[{"Key": "team", "Value": "blue"}])
    tagged = ec2.describe_instances(Filters=[{"Name": "tag:team", "Values": ["blue"]}])["Reservations"]
    assert [i["InstanceId"] for r in tagged for i in r["Instances"]] == [instance_id]
    ec2.stop_instances(InstanceIds=[instance_id])
    ec2.get_waiter("instance_stopped").wait(InstanceIds=[instance_id], WaiterConfig=WAIT)
    started = ec2.start_instances(InstanceIds=[instance_id])["StartingInstances"][0]
    assert (started["PreviousState"]["Name"], started["CurrentState"]["Name"]) == ("stopped", "pending")
    ec2.terminate_instances(InstanceIds=[instance_id])
    ec2.get_waiter("instance_terminated").wait(InstanceIds=[instance_id], WaiterConfig=WAIT)


def test_security_group_rules_round_trip_through_ip_permissions(live: LiveCloud) -> None:
    ec2 = live.client("ec2")
    group_id = ec2.create_security_group(GroupName="app", Description="app tier",
                                         TagSpecifications=[{"ResourceType": "security-group",
                                                             "Tags": [{"Key": "Name", "Value": "app"}]}])["GroupId"]
    peer = ec2.create_security_group(GroupName="peer", Description="peer")["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
         "IpRanges": [{"CidrIp": "10.0.0.0/8", "Description": "ssh"}, {"CidrIp": "192.168.0.0/16"}]},
        {"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8090, "UserIdGroupPairs": [{"GroupId": peer}]}])
    ec2.authorize_security_group_egress(GroupId=group_id, IpPermissions=[
        {"IpProtocol": "udp", "FromPort": 53, "ToPort": 53, "IpRanges": [{"CidrIp": "8.8.8.8/32"}]}])
    # The legacy flat form, as older scripts send it.
    ec2.authorize_security_group_ingress(GroupName="app", IpProtocol="tcp", FromPort=443, ToPort=443,
                                         CidrIp="0.0.0.0/0")
    described = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["app"]}])["SecurityGroups"]
    assert len(described) == 1 and described[0]["Tags"] == [{"Key": "Name", "Value": "app"}]
    ingress = {(p["IpProtocol"], p.get("FromPort"), p.get("ToPort")): p for p in described[0]["IpPermissions"]}
    assert [r["CidrIp"] for r in ingress[("tcp", 22, 22)]["IpRanges"]] == ["10.0.0.0/8", "192.168.0.0/16"]
    assert ingress[("tcp", 22, 22)]["IpRanges"][0]["Description"] == "ssh"
    assert [g["GroupId"] for g in ingress[("tcp", 8080, 8090)]["UserIdGroupPairs"]] == [peer]
    assert ("tcp", 443, 443) in ingress
    egress = {(p["IpProtocol"], p.get("FromPort")) for p in described[0]["IpPermissionsEgress"]}
    assert egress == {("-1", None), ("udp", 53)}

    ec2.revoke_security_group_ingress(GroupId=group_id, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}])
    rules = ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]["IpPermissions"]
    ssh = next(p for p in rules if p.get("FromPort") == 22)
    assert [r["CidrIp"] for r in ssh["IpRanges"]] == ["192.168.0.0/16"]
    by_vpc = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [described[0]["VpcId"]]}])
    assert {"default", "app", "peer"} <= {g["GroupName"] for g in by_vpc["SecurityGroups"]}
    zones = ec2.describe_availability_zones()["AvailabilityZones"]
    assert [(z["ZoneName"], z["ZoneId"]) for z in zones][:1] == [("ap-northeast-2a", "apne2-az1")]


def test_rules_attributes_tags_and_policies(live: LiveCloud) -> None:
    ec2, elbv2 = live.client("ec2"), live.client("elbv2")
    lab = build_seed_lab(ec2, elbv2)
    listener_arn, group_arn = lab["listener"]["ListenerArn"], lab["group"]["TargetGroupArn"]
    lb_arn = lab["lb"]["LoadBalancerArn"]
    api = elbv2.create_rule(ListenerArn=listener_arn, Priority=10, Conditions=[
        {"Field": "path-pattern", "PathPatternConfig": {"Values": ["/api/*"]}},
        {"Field": "query-string", "QueryStringConfig": {"Values": [{"Key": "v", "Value": "2"}]}},
    ], Actions=[{"Type": "fixed-response",
                 "FixedResponseConfig": {"StatusCode": "200", "ContentType": "text/plain", "MessageBody": "api"}}])
    rule_arn = api["Rules"][0]["RuleArn"]
    other = elbv2.create_rule(ListenerArn=listener_arn, Priority=20, Conditions=[
        {"Field": "host-header", "HostHeaderConfig": {"Values": ["*.example.com"]}}],
        Actions=[{"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443",
                                                          "StatusCode": "HTTP_301"}}])["Rules"][0]
    assert other["Actions"][0]["RedirectConfig"]["Host"] == "#{host}"
    elbv2.set_rule_priorities(RulePriorities=[{"RuleArn": rule_arn, "Priority": 30}])
    elbv2.modify_rule(RuleArn=rule_arn, Actions=[{"Type": "forward", "ForwardConfig": {
        "TargetGroups": [{"TargetGroupArn": group_arn, "Weight": 1}],
        "TargetGroupStickinessConfig": {"Enabled": True, "DurationSeconds": 60}}}])
    rules = elbv2.describe_rules(ListenerArn=listener_arn)["Rules"]
    assert [r["Priority"] for r in rules] == ["20", "30", "default"]
    assert rules[1]["Actions"][0]["ForwardConfig"]["TargetGroupStickinessConfig"] == {"Enabled": True,
                                                                                      "DurationSeconds": 60}
    elbv2.delete_rule(RuleArn=other["RuleArn"])

    elbv2.modify_target_group(TargetGroupArn=group_arn, HealthCheckPath="/health", Matcher={"HttpCode": "200-299"},
                              HealthCheckIntervalSeconds=10)
    elbv2.modify_target_group_attributes(TargetGroupArn=group_arn, Attributes=[
        {"Key": "stickiness.enabled", "Value": "true"}, {"Key": "deregistration_delay.timeout_seconds", "Value": "30"}])
    attributes = {a["Key"]: a["Value"] for a in
                  elbv2.describe_target_group_attributes(TargetGroupArn=group_arn)["Attributes"]}
    assert attributes["stickiness.enabled"] == "true" and attributes["deregistration_delay.timeout_seconds"] == "30"
    group = elbv2.describe_target_groups(TargetGroupArns=[group_arn])["TargetGroups"][0]
    assert (group["HealthCheckPath"], group["Matcher"], group["HealthCheckIntervalSeconds"]) == (
        "/health", {"HttpCode": "200-299"}, 10)
    elbv2.modify_load_balancer_attributes(LoadBalancerArn=lb_arn, Attributes=[
        {"Key": "idle_timeout.timeout_seconds", "Value": "120"}])
    lb_attributes = elbv2.describe_load_balancer_attributes(LoadBalancerArn=lb_arn)["Attributes"]
    assert {"Key": "idle_timeout.timeout_seconds", "Value": "120"} in lb_attributes

    elbv2.add_tags(ResourceArns=[lb_arn, group_arn], Tags=[{"Key": "env", "Value": "lab"}])
    elbv2.remove_tags(ResourceArns=[group_arn], TagKeys=["env"])
    tags = {d["ResourceArn"]: d["Tags"] for d in
            elbv2.describe_tags(ResourceArns=[lb_arn, group_arn, listener_arn])["TagDescriptions"]}
    assert tags == {lb_arn: [{"Key": "env", "Value": "lab"}], group_arn: [], listener_arn: []}
    policies = elbv2.describe_ssl_policies(Names=["ELBSecurityPolicy-TLS13-1-2-2021-06"])["SslPolicies"]
    assert "TLSv1.3" in policies[0]["SslProtocols"]
    assert len(elbv2.describe_ssl_policies()["SslPolicies"]) > 5

    new_listener = elbv2.create_listener(LoadBalancerArn=lb_arn, Protocol="HTTP", Port=8080, DefaultActions=[
        {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "503"}}])["Listeners"][0]
    modified = elbv2.modify_listener(ListenerArn=new_listener["ListenerArn"], Port=8081)["Listeners"][0]
    assert modified["Port"] == 8081
    elbv2.delete_listener(ListenerArn=new_listener["ListenerArn"])
    groups = elbv2.set_security_groups(LoadBalancerArn=lb_arn, SecurityGroups=[lab["lb_sg"], lab["web_sg"]])
    assert groups["SecurityGroupIds"] == [lab["lb_sg"], lab["web_sg"]]
    subnets = [z["SubnetId"] for z in lab["lb"]["AvailabilityZones"]][:2]
    zones = elbv2.set_subnets(LoadBalancerArn=lb_arn, Subnets=subnets)["AvailabilityZones"]
    assert [z["ZoneName"] for z in zones] == ["ap-northeast-2a", "ap-northeast-2b"]
    elbv2.deregister_targets(TargetGroupArn=group_arn, Targets=[{"Id": lab["instance_ids"][0]}])
    elbv2.delete_load_balancer(LoadBalancerArn=lb_arn)
    elbv2.get_waiter("load_balancers_deleted").wait(LoadBalancerArns=[lb_arn], WaiterConfig=WAIT)
    elbv2.delete_target_group(TargetGroupArn=group_arn)
    assert elbv2.describe_target_groups()["TargetGroups"] == []


def test_health_endpoint_lists_every_local_address(live: LiveCloud) -> None:
    ec2, elbv2 = live.client("ec2"), live.client("elbv2")
    lab = build_seed_lab(ec2, elbv2)
    ec2.get_waiter("instance_running").wait(InstanceIds=lab["instance_ids"], WaiterConfig=WAIT)
    elbv2.get_waiter("load_balancer_available").wait(LoadBalancerArns=[lab["lb"]["LoadBalancerArn"]],
                                                     WaiterConfig=WAIT)
    ec2.get_waiter("instance_status_ok").wait(InstanceIds=lab["instance_ids"], WaiterConfig=WAIT)
    for _ in range(50):  # user data takes 15 cloud seconds after "running" to bring httpd up
        with DIRECT.open(f"{live.endpoint}/_lblab/health", timeout=5) as response:
            health = json.load(response)
        if all(health["instances"][i]["httpd"] for i in lab["instance_ids"]):
            break
        live.run(live.cloud.clock.sleep(5))
    assert health["region"] == "ap-northeast-2" and health["api"] == live.endpoint
    assert health["edge"] == live.cloud.edge_url
    lb = health["load_balancers"][lab["lb"]["LoadBalancerArn"]]
    assert lb["name"] == "DemoALB"
    assert lb["listeners"][lab["listener"]["ListenerArn"]]["local"].startswith("127.0.0.1:")
    for instance_id in lab["instance_ids"]:
        local = health["instances"][instance_id]["httpd"]["80"]
        with DIRECT.open(f"http://{local}/", timeout=5) as response:
            assert HELLO.search(response.read().decode())
