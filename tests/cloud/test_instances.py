"""EC2 instances end to end on real sockets: the seed lab's web servers, stop/start, the internet edge."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mock_cloud.cloud import Cloud
from mock_cloud.ec2.instance import Instance
from mock_cloud.ec2.service import AttributeChange, RuleSpec
from mock_cloud.errors import CloudError
from mock_cloud.scenarios import SEED_USER_DATA
from tests.support.cloud import boot, make_config
from tests.support.elbv2 import run_in

HELLO = re.compile(r"<h1>Hello World from (ip-172-31-\d+-\d+\.ap-northeast-2\.compute\.internal)</h1>")


async def web_group(cloud: Cloud, name: str = "web") -> str:
    group = await cloud.ec2.create_security_group(name, "web servers")
    await cloud.ec2.authorize(group.group_id, [RuleSpec("tcp", 80, 80, cidr_ipv4="0.0.0.0/0")])
    return group.group_id


async def test_seed_user_data_serves_hello_world_from_two_hosts(cloud: Cloud) -> None:
    group_id = await web_group(cloud)
    first = await cloud.ec2.run_instances(name="server-1", user_data=SEED_USER_DATA, security_group_ids=[group_id])
    second = await cloud.ec2.run_instances(name="server-2", user_data=SEED_USER_DATA, security_group_ids=[group_id])
    assert first[0].state == "pending"
    await boot(cloud)
    hostnames = []
    for instance in (first[0], second[0]):
        assert instance.state == "running"
        page = await cloud.fetch(f"http://{instance.public_ip}/")
        assert page.status == 200, page
        assert page.headers["Server"].startswith("Apache/2.4")
        match = HELLO.fullmatch(page.text.strip())
        assert match, page.text
        assert match.group(1) == instance.private_dns_name
        hostnames.append(match.group(1))
        # the public DNS name reaches the same server
        by_name = await cloud.fetch(f"http://{instance.public_dns_name}/")
        assert by_name.text == page.text
    assert hostnames[0] != hostnames[1]
    log = cloud.ec2.get_console_output(first[0].instance_id)
    assert "Complete!" in log or "Installed" in log


async def test_stop_closes_the_port_and_start_serves_again_with_a_new_public_ip(cloud: Cloud) -> None:
    group_id = await web_group(cloud)
    [instance] = await cloud.ec2.run_instances(user_data=SEED_USER_DATA, security_group_ids=[group_id])
    await boot(cloud)
    port = instance.local_port(80)
    assert port is not None
    old_public, private = instance.public_ip, instance.private_ip
    await cloud.ec2.stop_instances([instance.instance_id])
    assert instance.state == "stopping"
    await cloud.clock.advance(1)  # the guest shuts its services down first
    assert instance.local_port(80) is None
    await cloud.clock.advance(20)
    assert instance.state == "stopped" and instance.public_ip is None
    gone = await cloud.fetch(f"http://{old_public}/")
    assert gone.status == 502 and "does not exist" in gone.text  # the old public IP no longer resolves
    await cloud.ec2.start_instances([instance.instance_id])
    await boot(cloud, 15)
    assert instance.state == "running"
    assert instance.private_ip == private and instance.public_ip not in (None, old_public)
    page = await cloud.fetch(f"http://{instance.public_ip}/")
    assert page.status == 200 and HELLO.search(page.text)


async def test_without_systemctl_enable_httpd_does_not_come_back(cloud: Cloud) -> None:
    group_id = await web_group(cloud)
    script = SEED_USER_DATA.replace("systemctl enable httpd\n", "")
    [instance] = await cloud.ec2.run_instances(user_data=script, security_group_ids=[group_id])
    await boot(cloud)
    assert (await cloud.fetch(f"http://{instance.public_ip}/")).status == 200
    await cloud.ec2.stop_instances([instance.instance_id])
    await cloud.clock.advance(20)
    await cloud.ec2.start_instances([instance.instance_id])
    await boot(cloud, 15)
    refused = await cloud.fetch(f"http://{instance.public_ip}/")
    assert refused.status == 502 and "refused" in refused.text


async def test_reboot_keeps_the_public_ip_and_enabled_services(cloud: Cloud) -> None:
    group_id = await web_group(cloud)
    [instance] = await cloud.ec2.run_instances(user_data=SEED_USER_DATA, security_group_ids=[group_id])
    await boot(cloud)
    public = instance.public_ip
    await cloud.ec2.reboot_instances([instance.instance_id])
    await cloud.clock.advance(10)
    assert instance.public_ip == public
    assert (await cloud.fetch(f"http://{public}/")).status == 200


async def test_user_data_without_shebang_does_not_run(cloud: Cloud) -> None:
    group_id = await web_group(cloud)
    script = SEED_USER_DATA.split("\n", 1)[1]  # the `#!/bin/bash` line forgotten
    [instance] = await cloud.ec2.run_instances(user_data=script, security_group_ids=[group_id])
    await boot(cloud)
    assert "httpd" not in instance.os.packages
    assert instance.local_port(80) is None
    log = instance.os.fs.read_text("/var/log/cloud-init-output.log")
    assert "Unhandled non-multipart" in log or "not run" in log.lower()
    refused = await cloud.fetch(f"http://{instance.public_ip}/")
    assert refused.status == 502


async def test_user_data_never_touches_the_host(cloud: Cloud, tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    script = (
        "#!/bin/bash\n"
        f"rm -f {victim}\n"
        f"echo pwned > {victim}\n"
        f"touch {tmp_path}/created-by-user-data\n"
        "frobnicate --all\n"
        "rm -rf --no-preserve-root /\n"
    )
    [instance] = await cloud.ec2.run_instances(user_data=script)
    await boot(cloud)
    assert victim.read_text() == "precious"
    assert not (tmp_path / "created-by-user-data").exists()
    log = (
        instance.os.fs.read_text("/var/log/cloud-init-output.log")
        if instance.os.fs.exists("/var/log/cloud-init-output.log")
        else instance.console_output
    )
    assert "frobnicate" in log and "not emulated" in log


async def test_security_group_without_port_80_drops_like_a_lost_packet(cloud: Cloud) -> None:
    [instance] = await cloud.ec2.run_instances(user_data=SEED_USER_DATA)  # the default group: no port 80
    await boot(cloud)
    assert instance.local_port(80) is not None  # httpd runs; the packet is dropped before it
    result = await cloud.fetch(f"http://{instance.public_ip}/")
    assert result.status == 504 and result.elapsed >= 0.25  # the edge waited drop_timeout, then gave up
    await cloud.ec2.authorize(instance.security_group_ids[0], [RuleSpec("tcp", 80, 80, cidr_ipv4="0.0.0.0/0")])
    assert (await cloud.fetch(f"http://{instance.public_ip}/")).status == 200


async def test_unknown_public_name_gets_a_clear_page(cloud: Cloud) -> None:
    result = await cloud.fetch("http://no-such-alb-123.ap-northeast-2.elb.amazonaws.com/")
    assert result.status == 502
    assert "does not exist in this lblab cloud" in result.text


async def test_state_survives_a_restart_and_running_instances_serve_again(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    async with Cloud(config) as cloud:
        group_id = await web_group(cloud)
        [instance] = await cloud.ec2.run_instances(
            name="keep-me", user_data=SEED_USER_DATA, security_group_ids=[group_id]
        )
        await boot(cloud)
        instance_id, public = instance.instance_id, instance.public_ip
        page = (await cloud.fetch(f"http://{public}/")).text
        saved_time = cloud.clock.now()
    async with Cloud(make_config(tmp_path)) as again:
        assert again.clock.now() == saved_time  # cloud time continues; saved deadlines keep their meaning
        restored = again.ec2.instance(instance_id)
        assert restored.name == "keep-me" and restored.state == "running"
        assert restored.os.user_data_ran
        await again.clock.advance(1)
        assert (await again.fetch(f"http://{public}/")).text == page
        # new IDs never collide with restored ones: the ID stream continued where it stopped
        [fresh] = await again.ec2.run_instances()
        assert fresh.instance_id != instance_id
        assert len(again.ec2.security_groups) == 2


@pytest.mark.parametrize(
    "kwargs, code",
    [
        ({"image_id": "ami-12345678901234567"}, "InvalidAMIID.NotFound"),
        ({"image_id": "linux"}, "InvalidAMIID.Malformed"),
        ({"instance_type": "t9.huge"}, "InvalidParameterValue"),
        ({"count": 0}, "InvalidParameterValue"),
        ({"count": 40}, "VcpuLimitExceeded"),
        ({"user_data": "#!/bin/bash\n" + "x" * 17000}, "InvalidParameterValue"),
        ({"subnet_id": "subnet-0000000000000000f"}, "InvalidSubnetID.NotFound"),
        ({"security_group_ids": ["sg-0000000000000000f"]}, "InvalidGroup.NotFound"),
    ],
)
async def test_run_instances_validation(cloud: Cloud, kwargs: dict, code: str) -> None:
    with pytest.raises(CloudError) as caught:
        await cloud.ec2.run_instances(**kwargs)
    assert caught.value.code == code
    assert cloud.ec2.instances == {}


async def test_instance_state_errors(cloud: Cloud) -> None:
    with pytest.raises(CloudError) as caught:
        cloud.ec2.instance("i-0123456789abcdef0")
    assert caught.value.code == "InvalidInstanceID.NotFound"
    assert caught.value.message == "The instance ID 'i-0123456789abcdef0' does not exist"
    [instance] = await cloud.ec2.run_instances()
    await cloud.ec2.terminate_instances([instance.instance_id])
    await cloud.clock.advance(15)
    assert instance.state == "terminated"
    with pytest.raises(CloudError) as caught:
        await cloud.ec2.start_instances([instance.instance_id])
    assert caught.value.code == "IncorrectInstanceState"
    # terminated instances stay listed for about an hour
    await cloud.clock.advance(3000)
    assert instance.instance_id in cloud.ec2.instances
    await cloud.clock.advance(700)
    assert instance.instance_id not in cloud.ec2.instances


async def test_guest_logs_carry_cloud_time(cloud: Cloud) -> None:
    [instance] = await cloud.ec2.run_instances(user_data=SEED_USER_DATA)
    await boot(cloud)
    # A seeded cloud starts on 2026-01-01; the host's wall clock says otherwise.
    log = instance.os.fs.read_text("/var/log/cloud-init-output.log")
    assert "finished at Thu, 01 Jan 2026 00:00:25 +0000" in log


async def test_a_launch_is_one_reservation_across_a_restart_and_old_states_still_load(tmp_path: Path) -> None:
    async with Cloud(make_config(tmp_path)) as cloud:
        pair = await cloud.ec2.run_instances(count=2)
        [single] = await cloud.ec2.run_instances()
    reservation = pair[0].reservation_id
    assert reservation.startswith("r-") and pair[1].reservation_id == reservation != single.reservation_id
    async with Cloud(make_config(tmp_path)) as again:
        assert [again.ec2.instance(i.instance_id).reservation_id for i in pair] == [reservation] * 2
        saved = again.ec2.instance(single.instance_id).to_dict()
    del saved["reservation_id"]  # a state file written before reservations were kept
    legacy = Instance.from_dict(saved)
    assert re.fullmatch(r"r-[0-9a-f]{17}", legacy.reservation_id)


async def test_edited_user_data_is_kept_but_not_run_at_the_next_start(cloud: Cloud) -> None:
    """AWS: if you stop an instance, modify its user data and start it, the updated user data is not run."""
    group_id = await web_group(cloud)
    [instance] = await cloud.ec2.run_instances(user_data=SEED_USER_DATA, security_group_ids=[group_id])
    await boot(cloud)
    edited = "#!/bin/bash\necho '<h1>edited</h1>' > /var/www/html/index.html\n"
    with pytest.raises(CloudError) as running:
        await cloud.ec2.modify_instance_attribute(instance.instance_id, AttributeChange(user_data=edited.encode()))
    assert running.value.code == "IncorrectInstanceState"
    await cloud.ec2.stop_instances([instance.instance_id])
    await cloud.clock.advance(20)
    await cloud.ec2.modify_instance_attribute(instance.instance_id, AttributeChange(user_data=edited.encode()))
    assert instance.user_data == edited
    await cloud.ec2.start_instances([instance.instance_id])
    await boot(cloud, 15)
    page = await cloud.fetch(f"http://{instance.public_ip}/")
    assert page.status == 200 and HELLO.search(page.text) and "edited" not in page.text
    # ... while the instance metadata service serves the attribute as it is now.
    assert await run_in(cloud, instance, "curl -s http://169.254.169.254/latest/user-data") == edited
