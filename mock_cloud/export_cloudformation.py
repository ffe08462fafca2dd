"""`lblab export --format cloudformation`: the setup as one CloudFormation template (YAML).

What exists in every account (the default VPC, its subnets and security group) and what only
exists here (AMI IDs) become Parameters; AMIs default to AWS's public SSM parameters. Rules
between security groups are resources of their own, so groups that name each other do not make
a dependency cycle. Intrinsic functions are written in their long form (`Ref`, `Fn::GetAtt`),
which any YAML reader understands.
"""

from __future__ import annotations

from typing import Any

import yaml

from mock_cloud.ec2.catalogue import IMAGES
from mock_cloud.ec2.images import PUBLIC_PARAMETERS
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
    logical_names,
    tg_attributes,
    with_refs,
)

# CloudFormation cannot declare a group without outbound rules; AWS's documented workaround is
# one rule that allows nothing.
NO_EGRESS = {"IpProtocol": "-1", "CidrIp": "127.0.0.1/32", "Description": "no outbound traffic"}
_DISTRO_LABELS = {"al2023": "Amazon Linux 2023", "al2": "Amazon Linux 2", "ubuntu": "Ubuntu 24.04"}


def _ref(name: str) -> dict[str, str]:
    return {"Ref": name}


def _tags(tags: dict[str, str]) -> list[dict[str, str]] | None:
    return [{"Key": k, "Value": v} for k, v in tags.items()] or None


def _ports(rule: SgRule) -> dict[str, Any]:
    ports = {} if rule.protocol == "-1" else {"FromPort": rule.from_port, "ToPort": rule.to_port}
    return {"IpProtocol": rule.protocol, **ports, **({"Description": rule.description} if rule.description else {})}


def _pruned(properties: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in properties.items() if v is not None}


class TemplateWriter:
    def __init__(self, setup: Setup) -> None:
        self.setup = setup
        self.names = logical_names()
        self.parameters: dict[str, Any] = {}
        self.resources: dict[str, Any] = {}
        self.outputs: dict[str, Any] = {}
        self.notes: list[str] = []
        self.refs: dict[str, Any] = {}  # lblab ID or ARN -> how the template names it
        self.logical: dict[str, str] = {}  # lblab ID or ARN -> logical ID

    # -- parameters (added when first used) -------------------------------------------------------------
    def parameter(self, name: str, spec: dict[str, Any]) -> dict[str, str]:
        self.parameters.setdefault(name, spec)
        return _ref(name)

    def vpc(self) -> dict[str, str]:
        return self.parameter("VpcId", {"Type": "AWS::EC2::VPC::Id",
                                        "Description": "The VPC to build in (lblab used the default VPC)."})

    def subnet(self, subnet_id: str) -> dict[str, Any]:
        zones = self.setup.zones_used()
        listed = ", ".join(self.setup.region + z for z in zones)
        subnets = self.parameter("Subnets", {
            "Type": "List<AWS::EC2::Subnet::Id>",
            "Description": f"One subnet in each of these Availability Zones, in this order: {listed} "
                           "(lblab used the default subnets).",
        })
        return {"Fn::Select": [zones.index(self.setup.zone_suffix(subnet_id)), subnets]}

    def group(self, group_id: str) -> dict[str, Any]:
        if self.setup.is_default_group(group_id):
            return self.parameter("DefaultSecurityGroupId", {
                "Type": "AWS::EC2::SecurityGroup::Id",
                "Description": "The VPC's security group named 'default'.",
            })
        return {"Fn::GetAtt": [self.logical[group_id], "GroupId"]}

    def image(self, image_id: str) -> dict[str, str]:
        image = IMAGES.get(image_id)
        distro = image.distro if image else "al2023"
        return self.parameter(f"ImageId{distro.capitalize()}", {
            "Type": "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>",
            "Default": PUBLIC_PARAMETERS[distro],
            "Description": f"The latest {_DISTRO_LABELS[distro]} AMI (an SSM public parameter), or an AMI ID.",
        })

    def resource(self, key: str, logical: str, kind: str, properties: dict[str, Any]) -> str:
        self.resources[logical] = {"Type": kind, "Properties": _pruned(properties)}
        self.logical[key] = logical
        return logical

    # -- resources ------------------------------------------------------------------------------------------
    def security_groups(self) -> None:
        for group in self.setup.created_groups:
            logical = self.names("SecurityGroup", group.group_name)
            self.logical[group.group_id] = logical
        for group in self.setup.created_groups:
            self.security_group(group)
        for group in self.setup.groups:
            for rule in extra_rules(group):
                if rule.referenced_group_id or self.setup.is_default_group(group.group_id):
                    self.group_rule(group, rule)
        if any(g.group_name == "default" and not any(is_default_egress(r) for r in g.rules)
               for g in self.setup.groups):
            self.notes.append("The default security group's removed outbound rule is not exported.")

    def security_group(self, group: SecurityGroup) -> None:
        extra = extra_rules(group)
        cidr_in = [{**_ports(r), "CidrIp": r.cidr_ipv4} for r in extra if not r.egress and r.cidr_ipv4]
        egress: list[dict[str, Any]] | None = None
        if any(r.egress for r in extra) or not any(is_default_egress(r) for r in group.rules):
            egress = [{**_ports(r), "CidrIp": r.cidr_ipv4} for r in group.rules if r.egress and r.cidr_ipv4]
            egress = egress or [NO_EGRESS]
        self.resource(group.group_id, self.logical[group.group_id], "AWS::EC2::SecurityGroup", {
            "GroupName": group.group_name,
            "GroupDescription": group.description,
            "VpcId": self.vpc(),
            "SecurityGroupIngress": cidr_in or None,
            "SecurityGroupEgress": egress,
            "Tags": _tags(group.tags),
        })

    def group_rule(self, group: SecurityGroup, rule: SgRule) -> None:
        direction = "Egress" if rule.egress else "Ingress"
        peer: dict[str, Any] = {"CidrIp": rule.cidr_ipv4} if rule.cidr_ipv4 else {
            "DestinationSecurityGroupId" if rule.egress else "SourceSecurityGroupId":
                self.group(rule.referenced_group_id or "")}
        name = self.names("SecurityGroup", group.group_name, direction, rule.protocol.replace("-1", "all"),
                          str(max(rule.from_port, 0)))
        self.resource(rule.rule_id, name, f"AWS::EC2::SecurityGroup{direction}",
                      {"GroupId": self.group(group.group_id), **_ports(rule), **peer})

    def instances(self) -> None:
        for index, instance in enumerate(self.setup.instances, start=1):
            self.instance(instance, index)

    def instance(self, instance: Instance, index: int) -> None:
        label = instance.name or str(index)
        groups = [self.group(g) for g in instance.security_group_ids]
        network: dict[str, Any] = {"SubnetId": self.subnet(instance.subnet_id), "SecurityGroupIds": groups}
        if not instance.associate_public_ip:
            network = {"NetworkInterfaces": [{"DeviceIndex": "0", "AssociatePublicIpAddress": False,
                                              "SubnetId": self.subnet(instance.subnet_id), "GroupSet": groups}]}
        self.resource(instance.instance_id, self.names("Instance", label), "AWS::EC2::Instance", {
            "ImageId": self.image(instance.image_id),
            "InstanceType": instance.instance_type,
            **network,
            "UserData": {"Fn::Base64": instance.user_data} if instance.user_data else None,
            "DisableApiTermination": True if instance.disable_api_termination else None,
            "BlockDeviceMappings": self.block_devices(instance),
            "Tags": _tags(instance.tags),
        })
        if instance.state in ("stopping", "stopped"):
            self.notes.append(f"Instance {label} was stopped in lblab; CloudFormation starts it.")
        if instance.key_name:
            self.notes.append(f"Instance {label} used key pair '{instance.key_name}': add KeyName once it exists.")

    def target_id(self, target: RegisteredTarget) -> dict[str, Any]:
        """An instance target by reference; an ip target as the address of the instance that holds it."""
        instance = self.setup.instance_behind(target)
        assert instance is not None  # targets_of exports only these
        logical = self.logical[instance.instance_id]
        return _ref(logical) if target.id.startswith("i-") else {"Fn::GetAtt": [logical, "PrivateIp"]}

    def block_devices(self, instance: Instance) -> list[dict[str, Any]] | None:
        volume = self.setup.changed_root_volume(instance)
        if volume is None:
            return None
        return [{"DeviceName": volume.device, "Ebs": {"VolumeSize": volume.size, "VolumeType": volume.volume_type,
                                                      "DeleteOnTermination": volume.delete_on_termination}}]

    def target_groups(self) -> None:
        for group in self.setup.target_groups:
            self.target_group(group)

    def target_group(self, group: TargetGroup) -> None:
        hc = group.health_check
        targets = [{"Id": self.target_id(t), "Port": t.port} for t in self.setup.targets_of(group)]
        logical = self.resource(group.arn, self.names("TargetGroup", group.name),
                                "AWS::ElasticLoadBalancingV2::TargetGroup", {
            "Name": group.name,
            "Protocol": group.protocol,
            "ProtocolVersion": group.protocol_version,
            "Port": group.port,
            "VpcId": self.vpc(),
            "TargetType": group.target_type,
            "HealthCheckEnabled": hc.enabled,
            "HealthCheckProtocol": hc.protocol,
            "HealthCheckPort": hc.port,
            "HealthCheckPath": hc.path,
            "HealthCheckIntervalSeconds": hc.interval_seconds,
            "HealthCheckTimeoutSeconds": hc.timeout_seconds,
            "HealthyThresholdCount": hc.healthy_threshold_count,
            "UnhealthyThresholdCount": hc.unhealthy_threshold_count,
            "Matcher": {"HttpCode": hc.matcher},
            "TargetGroupAttributes": _key_values(tg_attributes(group)),
            "Targets": targets or None,
            "Tags": _tags(group.tags),
        })
        self.refs[group.arn] = _ref(logical)

    def load_balancers(self) -> None:
        for lb in self.setup.load_balancers:
            self.load_balancer(lb)

    def load_balancer(self, lb: LoadBalancer) -> None:
        if any(k.startswith("access_logs.") and v == "true" for k, v in lb.attributes.items()):
            self.notes.append(f"{lb.name}: {LOG_NOTE}.")
        logical = self.resource(lb.arn, self.names("LoadBalancer", lb.name),
                                "AWS::ElasticLoadBalancingV2::LoadBalancer", {
            "Name": lb.name,
            "Type": lb.type,
            "Scheme": lb.scheme,
            "IpAddressType": lb.ip_address_type,
            "Subnets": [self.subnet(s) for s in lb.subnet_ids],
            "SecurityGroups": [self.group(g) for g in lb.security_groups],
            "LoadBalancerAttributes": _key_values(lb_attributes(lb)),
            "Tags": _tags(lb.tags),
        })
        self.outputs[f"{logical}DNSName"] = {"Description": f"The DNS name of {lb.name}",
                                             "Value": {"Fn::GetAtt": [logical, "DNSName"]}}
        for listener in self.setup.listeners_of(lb):
            self.listener(lb, listener, logical)

    def listener(self, lb: LoadBalancer, listener: Listener, lb_logical: str) -> None:
        https = listener.protocol == "HTTPS"
        certificate = self.parameter("CertificateArn", {
            "Type": "String", "Description": "An ACM certificate for your domain (HTTPS listeners need one).",
        }) if https else None
        logical = self.resource(listener.arn, self.names("Listener", lb.name, listener.protocol, str(listener.port)),
                                "AWS::ElasticLoadBalancingV2::Listener", {
            "LoadBalancerArn": _ref(lb_logical),
            "Protocol": listener.protocol,
            "Port": listener.port,
            "DefaultActions": with_refs([a.to_dict() for a in listener.default_actions], self.refs),
            "Certificates": [{"CertificateArn": certificate}] if certificate else None,
            "SslPolicy": listener.ssl_policy if https else None,
        })
        for rule in listener.rules:
            if not rule.is_default:
                rule_dict = with_refs(rule.to_dict(), self.refs)
                self.resource(rule.arn, self.names("ListenerRule", lb.name, str(listener.port), str(rule.priority)),
                              "AWS::ElasticLoadBalancingV2::ListenerRule", {
                    "ListenerArn": _ref(logical),
                    "Priority": rule.priority,
                    "Conditions": rule_dict["Conditions"],
                    "Actions": rule_dict["Actions"],
                })

    def template(self) -> dict[str, Any]:
        description = f"What you built in lblab (region {self.setup.region}), exported by `lblab export`."
        if self.notes:
            description += " Not exported: " + " ".join(self.notes)
        return _pruned({
            "AWSTemplateFormatVersion": "2010-09-09",
            "Description": description[:1024],
            "Parameters": self.parameters or None,
            "Resources": self.resources,
            "Outputs": self.outputs or None,
        })


def _key_values(attributes: dict[str, str]) -> list[dict[str, str]] | None:
    return [{"Key": k, "Value": v} for k, v in attributes.items()] or None


class _Dumper(yaml.SafeDumper):
    """Block style for multi-line strings (user data stays readable); no anchors (CloudFormation rejects them)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def cloudformation_template(setup: Setup) -> str:
    writer = TemplateWriter(setup)
    writer.security_groups()
    writer.instances()
    writer.target_groups()
    writer.load_balancers()
    return yaml.dump(writer.template(), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=10_000)
