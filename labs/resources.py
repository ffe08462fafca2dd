"""Finding the learner's resources by the names the lab gives them, as the console's search box would."""

from __future__ import annotations

from mock_cloud import Cloud, Instance, Listener, LoadBalancer, SecurityGroup, TargetGroup

GONE = ("shutting-down", "terminated")
# A learner who relaunched keeps the old one around for a while: prefer the one that can serve.
_STATE_PREFERENCE = {"running": 0, "pending": 1, "stopping": 2, "stopped": 3}


def instance_named(cloud: Cloud, name: str) -> Instance | None:
    """The live instance tagged Name=`name` (the running one, then the newest, if there are several)."""
    found = [i for i in cloud.ec2.instances.values() if i.name == name and i.state not in GONE]
    if not found:
        return None
    return min(found, key=lambda i: (_STATE_PREFERENCE.get(i.state, 9), -i.launch_time))


def instance_name(cloud: Cloud, instance_id: str) -> str:
    instance = cloud.ec2.instances.get(instance_id)
    return (instance.name or instance_id) if instance is not None else instance_id


def security_group_named(cloud: Cloud, name: str) -> SecurityGroup | None:
    vpc_id = cloud.ec2.default_vpc.vpc_id
    return next((g for g in cloud.ec2.security_groups.values() if g.group_name == name and g.vpc_id == vpc_id), None)


def security_group_name(cloud: Cloud, group_id: str) -> str:
    group = cloud.ec2.security_groups.get(group_id)
    return group.group_name if group is not None else group_id


def target_group_named(cloud: Cloud, name: str) -> TargetGroup | None:
    return next((g for g in cloud.elbv2.target_groups.values() if g.name == name), None)


def target_group_name(cloud: Cloud, arn: str | None) -> str:
    group = cloud.elbv2.target_groups.get(arn or "")
    return group.name if group is not None else (arn or "-")


def load_balancer_named(cloud: Cloud, name: str) -> LoadBalancer | None:
    return next((lb for lb in cloud.elbv2.load_balancers.values() if lb.name == name), None)


def listener_on(cloud: Cloud, lb: LoadBalancer, port: int) -> Listener | None:
    return next((x for x in cloud.elbv2.listeners.values() if x.load_balancer_arn == lb.arn and x.port == port), None)


def default_subnets(cloud: Cloud) -> list[str]:
    """The default VPC's subnets, one per Availability Zone, in zone order."""
    return [s.subnet_id for s in cloud.ec2.subnets_of(cloud.ec2.default_vpc.vpc_id)]
