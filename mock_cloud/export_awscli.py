"""`lblab export --format aws-cli`: a bash script of `aws ec2` / `aws elbv2` calls that builds the setup again.

IDs and ARNs only exist once the script creates them, so each is captured into a shell variable
(`--query ... --output text`) and later calls name the variable. Structured arguments are JSON
(no shorthand quoting pitfalls); a JSON argument that names a variable is spliced as
`'...'"$VAR"'...'`. The endpoint is never written down: `AWS` (default `aws`) may carry
`--endpoint-url`, a profile or a region.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from typing import Any

from mock_cloud.ec2.catalogue import IMAGES
from mock_cloud.ec2.images import PUBLIC_PARAMETERS, SSM_PREFIX
from mock_cloud.ec2.instance import Instance
from mock_cloud.ec2.security_group import SecurityGroup, SgRule
from mock_cloud.elbv2.listener import Listener
from mock_cloud.elbv2.load_balancer import LoadBalancer
from mock_cloud.elbv2.target_group import RegisteredTarget, TargetGroup
from mock_cloud.export_model import (
    LOG_NOTE,
    Setup,
    extra_rules,
    is_default_egress,
    lb_attributes,
    rules_changed,
    shell_names,
    tg_attributes,
    with_refs,
)

HEADER = """#!/usr/bin/env bash
# Builds again, with the aws CLI, what you made in lblab (exported from region {region}).
#
# On AWS:       bash {{this file}}            (your default profile and region; AWS_PROFILE/AWS_REGION work)
# On lblab:     AWS="aws --endpoint-url http://127.0.0.1:4566 --region {region}" bash {{this file}}
#
# On AWS this costs money: instances and load balancers are billed while they exist. Delete them
# when you are done (terminate-instances, delete-load-balancer, delete-target-group, ...).
set -euo pipefail

AWS=${{AWS:-aws}}
WORKDIR=$(mktemp -d)
trap 'rm -rf "$WORKDIR"' EXIT

need() {{  # need WHAT VALUE: stop when a lookup found nothing
  if [ -z "$2" ] || [ "$2" = None ]; then echo "lblab export: $1 not found" >&2; exit 1; fi
}}
"""
USER_DATA_DELIMITER = "LBLAB_USER_DATA"
_MARK = "\ue000"  # a private-use character: brackets a variable's index in JSON text


@dataclass(frozen=True)
class Var:
    """A shell variable holding an ID or ARN the script captured."""

    name: str

    def __str__(self) -> str:
        return f'"${self.name}"'


def word(value: str | int | Var) -> str:
    return str(value) if isinstance(value, Var) else shlex.quote(str(value))


def json_word(value: Any) -> str:
    """A JSON argument as one shell word, with each Var expanded in place."""
    found: list[Var] = []

    def mark(node: Any) -> Any:
        if isinstance(node, Var):
            found.append(node)
            return f"{_MARK}{len(found) - 1}{_MARK}"
        if isinstance(node, dict):
            return {k: mark(v) for k, v in node.items()}
        if isinstance(node, list):
            return [mark(v) for v in node]
        return node

    text = json.dumps(mark(value), separators=(",", ":"), ensure_ascii=False)
    pieces = text.split(_MARK)
    # Odd pieces are variable indexes, even ones literal JSON.
    return "".join(str(found[int(p)]) if i % 2 else (shlex.quote(p) if p else "") for i, p in enumerate(pieces))


def _tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


class ScriptWriter:
    def __init__(self, setup: Setup) -> None:
        self.setup = setup
        self.lines: list[str] = []
        self.names = shell_names()
        self.refs: dict[str, Var] = {}  # resource ID or ARN -> the variable that holds its new counterpart

    # -- primitives ------------------------------------------------------------------------------------
    def section(self, title: str) -> None:
        self.lines += ["", f"# == {title} " + "=" * max(3, 90 - len(title))]

    def call(self, service: str, operation: str, args: list[str], capture: str | None = None,
             query: str | None = None) -> None:
        command = " ".join(["$AWS", service, operation, *args])
        if capture is None:
            self.lines.append(f"{command} >/dev/null")
        else:
            self.lines.append(f"{capture}=$({command} --query {shlex.quote(query or '')} --output text)")

    def var(self, resource: str, *name_parts: str) -> Var:
        variable = Var(self.names(*name_parts))
        self.refs[resource] = variable
        return variable

    def ref(self, resource: str) -> Var:
        return self.refs[resource]

    # -- sections ----------------------------------------------------------------------------------------
    def lookups(self) -> None:
        setup = self.setup
        self.section("What already exists in your account: the default VPC, its subnets and security group")
        vpc = Var(self.names("VPC_ID"))
        self.lines.append(f"{vpc.name}=$($AWS ec2 describe-vpcs --filters Name=isDefault,Values=true "
                          "--query 'Vpcs[0].VpcId' --output text)")
        self.lines.append(f'need "a default VPC" {vpc}')
        self.refs["vpc"] = vpc
        default = next((g for g in setup.groups if g.group_name == "default"), None)
        if default is not None and setup.uses_group(default.group_id):
            var = self.var(default.group_id, "SG_DEFAULT")
            self.lines.append(f'{var.name}=$($AWS ec2 describe-security-groups '
                              f'--filters "Name=vpc-id,Values=${vpc.name}" Name=group-name,Values=default '
                              "--query 'SecurityGroups[0].GroupId' --output text)")
        zones = setup.zones_used()
        if zones:
            subnets = [self.var(f"zone:{z}", "SUBNET", z) for z in zones]
            query = ", ".join(f"Subnets[?ends_with(AvailabilityZone, '{z}')].SubnetId | [0]" for z in zones)
            self.lines.append(f'read -r {" ".join(v.name for v in subnets)} <<< "$($AWS ec2 describe-subnets '
                              f'--filters "Name=vpc-id,Values=${vpc.name}" Name=default-for-az,Values=true '
                              f'--query "[{query}]" --output text)"')
            self.lines += [f'need "a default subnet in zone {z}" {v}' for z, v in zip(zones, subnets, strict=True)]
        for distro in sorted({IMAGES[i.image_id].distro if i.image_id in IMAGES else "al2023"
                              for i in setup.instances}):
            var = self.var(f"image:{distro}", "IMAGE", distro)
            self.lines.append(f"{var.name}=${{{var.name}:-{SSM_PREFIX}{PUBLIC_PARAMETERS[distro]}}}")

    def security_groups(self) -> None:
        if not self.setup.created_groups:
            return
        self.section("Security groups")
        for group in self.setup.created_groups:
            var = self.var(group.group_id, "SG", group.group_name)
            args = ["--group-name", word(group.group_name), "--description", word(group.description),
                    "--vpc-id", word(self.ref("vpc"))]
            if group.tags:
                args += ["--tag-specifications",
                         json_word([{"ResourceType": "security-group", "Tags": _tag_list(group.tags)}])]
            self.call("ec2", "create-security-group", args, var.name, "GroupId")
        for group in self.setup.groups:
            self.rules(group)

    def rules(self, group: SecurityGroup) -> None:
        if not rules_changed(group):
            return
        group_var = word(self.ref(group.group_id))
        extra = extra_rules(group)
        for egress, operation in ((False, "ingress"), (True, "egress")):
            permissions = [self.permission(r) for r in extra if r.egress == egress]
            if permissions:
                self.call("ec2", f"authorize-security-group-{operation}",
                          ["--group-id", group_var, "--ip-permissions", json_word(permissions)])
        if not any(is_default_egress(r) for r in group.rules):
            everything = [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
            self.call("ec2", "revoke-security-group-egress",
                      ["--group-id", group_var, "--ip-permissions", json_word(everything)])

    def permission(self, rule: SgRule) -> dict[str, Any]:
        permission: dict[str, Any] = {"IpProtocol": rule.protocol}
        if rule.protocol != "-1":
            permission |= {"FromPort": rule.from_port, "ToPort": rule.to_port}
        described = {"Description": rule.description} if rule.description else {}
        if rule.cidr_ipv4:
            permission["IpRanges"] = [{"CidrIp": rule.cidr_ipv4, **described}]
        else:
            permission["UserIdGroupPairs"] = [{"GroupId": self.ref(rule.referenced_group_id or ""), **described}]
        return permission

    def instances(self) -> None:
        if not self.setup.instances:
            return
        self.section("Instances (user data from files, as `--user-data fileb://` sends it unchanged)")
        for index, instance in enumerate(self.setup.instances, start=1):
            self.instance(instance, index)
        waited = " ".join(str(self.ref(i.instance_id)) for i in self.setup.instances)
        self.lines.append(f"$AWS ec2 wait instance-running --instance-ids {waited}")

    def instance(self, instance: Instance, index: int) -> None:
        var = self.var(instance.instance_id, "INSTANCE", instance.name or str(index))
        image = IMAGES.get(instance.image_id)
        args = ["--image-id", word(self.ref(f"image:{image.distro if image else 'al2023'}")),
                "--instance-type", word(instance.instance_type), "--count", "1",
                "--subnet-id", word(self.ref(f"zone:{self.setup.zone_suffix(instance.subnet_id)}")),
                "--security-group-ids", *(word(self.ref(g)) for g in instance.security_group_ids)]
        if instance.user_data:
            path = f"$WORKDIR/{var.name.lower()}.user-data"
            self.user_data_file(instance.user_data, path)
            args += ["--user-data", f'"fileb://{path}"']
        if not instance.associate_public_ip:
            args.append("--no-associate-public-ip-address")
        if instance.disable_api_termination:
            args.append("--disable-api-termination")
        volume = self.setup.changed_root_volume(instance)
        if volume is not None:
            args += ["--block-device-mappings", json_word([{"DeviceName": volume.device, "Ebs": {
                "VolumeSize": volume.size, "VolumeType": volume.volume_type,
                "DeleteOnTermination": volume.delete_on_termination}}])]
        if instance.key_name:
            self.lines.append(f"# {instance.name or instance.instance_id} used key pair {instance.key_name!r}: "
                              "add --key-name once that key pair exists in your account")
        if instance.tags:
            tags = [{"ResourceType": "instance", "Tags": _tag_list(instance.tags)}]
            args += ["--tag-specifications", json_word(tags)]
        self.call("ec2", "run-instances", args, var.name, "Instances[0].InstanceId")

    def user_data_file(self, text: str, path: str) -> None:
        delimiter = USER_DATA_DELIMITER
        while delimiter in text.splitlines():
            delimiter += "_"
        heredoc = [f"<<'{delimiter}'", *text.removesuffix("\n").split("\n"), delimiter]
        if text.endswith("\n"):
            self.lines += [f'cat > "{path}" {heredoc[0]}', *heredoc[1:]]
        else:
            # A heredoc always ends in a newline; $(...) takes it off again.
            self.lines += [f'printf \'%s\' "$(cat {heredoc[0]}', *heredoc[1:], f')" > "{path}"']

    def target_groups(self) -> None:
        if not self.setup.target_groups:
            return
        self.section("Target groups, their attributes and targets")
        for group in self.setup.target_groups:
            self.target_group(group)
        stopped = [i for i in self.setup.instances if i.state in ("stopping", "stopped")]
        if stopped:
            self.lines.append("# These were stopped in lblab (registered while running, as AWS requires).")
            self.call("ec2", "stop-instances", ["--instance-ids", *(word(self.ref(i.instance_id)) for i in stopped)])

    def target_group(self, group: TargetGroup) -> None:
        var = self.var(group.arn, "TG", group.name)
        hc = group.health_check
        args = ["--name", word(group.name), "--protocol", group.protocol, "--protocol-version", group.protocol_version,
                "--port", str(group.port), "--vpc-id", word(self.ref("vpc")), "--target-type", group.target_type,
                "--health-check-protocol", hc.protocol, "--health-check-port", word(hc.port),
                "--health-check-path", word(hc.path), "--health-check-interval-seconds", str(hc.interval_seconds),
                "--health-check-timeout-seconds", str(hc.timeout_seconds),
                "--healthy-threshold-count", str(hc.healthy_threshold_count),
                "--unhealthy-threshold-count", str(hc.unhealthy_threshold_count),
                "--matcher", json_word({"HttpCode": hc.matcher})]
        if group.tags:
            args += ["--tags", json_word(_tag_list(group.tags))]
        self.call("elbv2", "create-target-group", args, var.name, "TargetGroups[0].TargetGroupArn")
        attributes = tg_attributes(group)
        if attributes:
            self.call("elbv2", "modify-target-group-attributes",
                      ["--target-group-arn", word(var), "--attributes", json_word(_key_values(attributes))])
        targets = [{"Id": self.target_id(t), "Port": t.port} for t in self.setup.targets_of(group)]
        if targets:
            self.call("elbv2", "register-targets", ["--target-group-arn", word(var), "--targets", json_word(targets)])

    def target_id(self, target: RegisteredTarget) -> Var:
        """An instance target by its variable; an ip target as the address of the instance that holds it,
        asked of EC2 (the rebuilt instance has an address of its own)."""
        instance = self.setup.instance_behind(target)
        assert instance is not None  # targets_of exports only these
        if target.id.startswith("i-"):
            return self.ref(instance.instance_id)
        key = f"ip:{instance.instance_id}"
        if key not in self.refs:
            address = self.var(key, "IP", instance.name or instance.instance_id)
            self.call("ec2", "describe-instances", ["--instance-ids", word(self.ref(instance.instance_id))],
                      address.name, "Reservations[0].Instances[0].PrivateIpAddress")
        return self.ref(key)

    def load_balancers(self) -> None:
        if not self.setup.load_balancers:
            return
        self.section("Load balancers, listeners and rules")
        for lb in self.setup.load_balancers:
            self.load_balancer(lb)
        for lb in self.setup.load_balancers:
            self.lines.append(f"$AWS elbv2 wait load-balancer-available --load-balancer-arns {self.ref(lb.arn)}")
        for lb in self.setup.load_balancers:
            dns = (f'$($AWS elbv2 describe-load-balancers --load-balancer-arns {self.ref(lb.arn)} '
                   "--query 'LoadBalancers[0].DNSName' --output text)")
            self.lines.append(f'echo "{lb.name}: {dns}"')

    def load_balancer(self, lb: LoadBalancer) -> None:
        var = self.var(lb.arn, "LB", lb.name)
        subnets = [word(self.ref(f"zone:{self.setup.zone_suffix(s)}")) for s in lb.subnet_ids]
        args = ["--name", word(lb.name), "--type", lb.type, "--scheme", lb.scheme, "--ip-address-type",
                lb.ip_address_type, "--subnets", *subnets,
                "--security-groups", *(word(self.ref(g)) for g in lb.security_groups)]
        if lb.tags:
            args += ["--tags", json_word(_tag_list(lb.tags))]
        self.call("elbv2", "create-load-balancer", args, var.name, "LoadBalancers[0].LoadBalancerArn")
        if any(k.startswith("access_logs.") and v == "true" for k, v in lb.attributes.items()):
            self.lines.append(f"# {LOG_NOTE}")
        attributes = lb_attributes(lb)
        if attributes:
            self.call("elbv2", "modify-load-balancer-attributes",
                      ["--load-balancer-arn", word(var), "--attributes", json_word(_key_values(attributes))])
        for listener in self.setup.listeners_of(lb):
            self.listener(lb, listener)

    def listener(self, lb: LoadBalancer, listener: Listener) -> None:
        var = self.var(listener.arn, "LISTENER", lb.name, str(listener.port))
        actions = with_refs([a.to_dict() for a in listener.default_actions], self.refs)
        args = ["--load-balancer-arn", word(self.ref(lb.arn)), "--protocol", listener.protocol,
                "--port", str(listener.port), "--default-actions", json_word(actions)]
        if listener.protocol == "HTTPS":
            self.lines.append(': "${CERTIFICATE_ARN:?set CERTIFICATE_ARN to the ARN of an ACM certificate for '
                              'your domain: HTTPS listeners need one}"')
            args += ["--certificates", 'CertificateArn="$CERTIFICATE_ARN"']
            if listener.ssl_policy:
                args += ["--ssl-policy", word(listener.ssl_policy)]
        self.call("elbv2", "create-listener", args, var.name, "Listeners[0].ListenerArn")
        for rule in listener.rules:
            if rule.is_default:
                continue
            rule_dict = with_refs(rule.to_dict(), self.refs)
            self.call("elbv2", "create-rule", [
                "--listener-arn", word(var), "--priority", str(rule.priority),
                "--conditions", json_word(rule_dict["Conditions"]), "--actions", json_word(rule_dict["Actions"]),
            ])


def _key_values(attributes: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in attributes.items()]


def aws_cli_script(setup: Setup) -> str:
    writer = ScriptWriter(setup)
    writer.lookups()
    writer.security_groups()
    writer.instances()
    writer.target_groups()
    writer.load_balancers()
    return HEADER.format(region=setup.region) + "\n".join(writer.lines) + "\n"
