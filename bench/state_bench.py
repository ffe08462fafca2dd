"""A large state file: how long it takes to load, and how long each later save takes.

Builds a state of about `--mb` megabytes (default 150) with the shapes a busy cloud has: thousands
of security groups of many rules each, thousands of (stopped) instances with their file systems and
console output, and target groups full of targets. It is generated from resources the real
services create (one of each, cloned with fresh IDs), written as lblab writes it, then:

- load: a fresh `Cloud.start()` on it, split into reading the JSON, building the resources,
  validating them, and the save a start makes;
- save: `--saves` times, one small change (a tag on one security group) and its save, split into
  building the state, encoding it (reusing the JSON of unchanged resources, as saves do; and,
  for comparison, whole), and writing it (temp file, fsync, rename).

Prints the medians in seconds, and the file's size. Nothing is timed in the test suite.

    python bench/state_bench.py [--mb 150] [--saves 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mock_cloud import store as store_module
from mock_cloud.cloud import Cloud, CloudConfig
from mock_cloud.ec2.service import RuleSpec
from mock_cloud.elbv2.target_group import TargetSpec
from mock_cloud.ids import IdFactory
from mock_cloud.state_model import check_loaded

RULES_PER_GROUP = 40
TARGETS_PER_GROUP = 100
CONSOLE_LINES = 60  # of boot log kept per instance


async def templates() -> dict[str, Any]:
    """One cloud's worth of real resources (an instance, a group of many rules, a target group)."""
    async with Cloud(CloudConfig(seed=7, time_scale=0, edge_port=None)) as cloud:
        group = await cloud.ec2.create_security_group("template", "many rules")
        await cloud.ec2.authorize(group.group_id, [RuleSpec("tcp", port, port, cidr_ipv4=f"10.{port % 250}.0.0/16",
                                                            description=f"rule {port}")
                                                   for port in range(1000, 1000 + RULES_PER_GROUP)])
        [instance] = await cloud.ec2.run_instances(name="template")
        await cloud.clock.advance(120)  # booted: its file system is as big as a running one's
        target_group = await cloud.elbv2.create_target_group("template", "HTTP", 80)
        await cloud.elbv2.register_targets(target_group.arn, [TargetSpec(instance.instance_id)])
        # Stopped, so that loading the big state starts no instance.
        await cloud.ec2.stop_instances([instance.instance_id])
        await cloud.clock.advance(120)
        state = cloud.to_dict()
    state["template_instance"] = instance.to_dict()
    state["template_group"] = group.to_dict()
    state["template_target_group"] = target_group.to_dict()
    return state


def build(base: dict[str, Any], megabytes: float) -> dict[str, Any]:
    ids = IdFactory(11)
    state = {k: v for k, v in base.items() if not k.startswith("template_")}
    instance, group, target_group = base["template_instance"], base["template_group"], base["template_target_group"]
    instance = {**instance, "console_output": "cloud-init: a line of the boot log, as a long-lived instance keeps it\n"
                * CONSOLE_LINES}
    sizes = {name: len(json.dumps(x)) for name, x in (("i", instance), ("sg", group), ("tg", target_group))}
    budget = megabytes * 1_000_000
    # A third of the bytes each: instances, security groups, target groups (whose targets are small).
    count_i = int(budget / 3 / sizes["i"])
    count_sg = int(budget / 3 / sizes["sg"])
    count_tg = int(budget / 3 / (sizes["tg"] + TARGETS_PER_GROUP * 110))
    instances = []
    for _ in range(count_i):
        instance_id = ids.resource_id("i")
        instances.append({**instance, "instance_id": instance_id, "tags": {"Name": instance_id}})
    state["ec2"]["instances"] = instances
    groups = state["ec2"]["security_groups"]
    for n in range(count_sg):
        rules = [{**rule, "rule_id": ids.resource_id("sgr")} for rule in group["rules"]]
        groups.append({**group, "group_id": ids.resource_id("sg"), "group_name": f"group-{n}", "rules": rules})
    target_groups = state["elbv2"]["target_groups"]
    target = target_group["targets"][0]
    for n in range(count_tg):
        arn = target_group["arn"].replace("/template/", f"/tg-{n}/").rsplit("/", 1)[0] + f"/{ids.hex(16)}"
        targets = [{**target, "id": instances[(n * TARGETS_PER_GROUP + k) % count_i]["instance_id"]}
                   for k in range(TARGETS_PER_GROUP)]
        target_groups.append({**target_group, "arn": arn, "name": f"tg-{n}", "targets": targets})
    return state


def timed(call: Any) -> tuple[Any, float]:
    """The call's result and the CPU seconds it took (CPU time: the machine is shared, wall time is not steady)."""
    started = time.process_time()
    result = call()
    return result, time.process_time() - started


async def measure_load(path: Path) -> dict[str, float]:
    """A start (wall time), and each part of it on its own (CPU time)."""
    cloud = Cloud(CloudConfig(state_path=path, edge_port=None, time_scale=0))
    started = time.perf_counter()
    await cloud.start()
    parts = {"start_wall": time.perf_counter() - started}
    assert cloud.restore_error is None, cloud.restore_error
    await cloud.close()
    state, parts["read_json"] = timed(store_module.StateStore(path).load)
    again = Cloud(CloudConfig(edge_port=None, time_scale=0))
    _, parts["build_resources"] = timed(lambda: (again.ec2.load(state["ec2"]), again.elbv2.load(state["elbv2"])))
    _, parts["validate"] = timed(lambda: check_loaded(again._by_key, state))
    return parts


async def measure_saves(path: Path, saves: int) -> dict[str, list[float]]:
    """Each change with its save (wall time), then the save's parts (CPU time): the state as dicts,
    its JSON as a save makes it (reusing each unchanged resource's JSON from the save before) and,
    for comparison, encoded whole; `write_wall` is the temp file, its fsync and the rename."""
    cloud = Cloud(CloudConfig(state_path=path, edge_port=None, time_scale=0))
    await cloud.start()
    assert cloud.store is not None
    group_id = next(iter(cloud.ec2.security_groups))
    figures: dict[str, list[float]] = {"change_and_save_wall": [], "to_dict": [], "encode_reusing": [],
                                       "encode_whole": [], "write_wall": []}
    try:
        for n in range(saves):
            started = time.perf_counter()
            await cloud.ec2.create_tags([group_id], {"Generation": str(n)})
            figures["change_and_save_wall"].append(time.perf_counter() - started)
            state, seconds = timed(cloud.to_dict)
            figures["to_dict"].append(seconds)
            payload, seconds = timed(lambda: cloud._encoder.encode(state))  # noqa: B023
            figures["encode_reusing"].append(seconds)
            figures["encode_whole"].append(timed(lambda: store_module.compact_json(state))[1])  # noqa: B023
            started = time.perf_counter()
            cloud.store.save(state, lambda _: payload)  # noqa: B023
            figures["write_wall"].append(time.perf_counter() - started)
    finally:
        await cloud.close()
    return figures


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=150.0, help="size of the state file to build (MB)")
    parser.add_argument("--saves", type=int, default=5, help="changes to time, each with its save")
    parser.add_argument("--keep", type=Path, help="write the state file here and leave it (to compare versions)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lblab-state-bench-") as scratch:
        path = args.keep or Path(scratch) / "state.json"
        state = build(await templates(), args.mb)
        store_module.StateStore(path).save(state)
        del state
        size = path.stat().st_size
        counts = json.loads(path.read_text())["state"]
        print(f"state file: {size / 1e6:.1f} MB; {len(counts['ec2']['instances'])} instances, "
              f"{len(counts['ec2']['security_groups'])} security groups x {RULES_PER_GROUP} rules, "
              f"{len(counts['elbv2']['target_groups'])} target groups x {TARGETS_PER_GROUP} targets")
        del counts
        load = await measure_load(path)
        print("load (s): " + "  ".join(f"{k}={v:.2f}" for k, v in load.items()))
        saves = await measure_saves(path, args.saves)
        print(f"save, median of {args.saves} (s): "
              + "  ".join(f"{k}={statistics.median(v):.2f}" for k, v in saves.items()))
        print(f"load_s={load['start_wall']:.2f} save_s={statistics.median(saves['change_and_save_wall']):.2f} "
              f"size_mb={size / 1e6:.1f}")


if __name__ == "__main__":
    asyncio.run(main())
