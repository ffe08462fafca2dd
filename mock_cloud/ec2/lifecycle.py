"""What happens inside an instance as it boots, stops and reboots.

Boot runs user-data (first boot only, through the safe interpreter), then brings up the
services that are active; every active web service gets a real server on loopback.
Durations are cloud seconds, close to what a learner sees on AWS.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import time
from collections.abc import Callable

from mock_cloud.ec2.httpd import WebServer
from mock_cloud.ec2.instance import Instance
from mock_cloud.ec2.vfs import VfsError

BOOT_SECONDS = 10.0  # pending -> running
USER_DATA_SECONDS = 15.0  # running -> cloud-init final stage done (httpd up)
STOP_SECONDS = 15.0  # stopping -> stopped
TERMINATE_SECONDS = 10.0  # shutting-down -> terminated
REBOOT_SECONDS = 5.0  # services down while the instance reboots
TERMINATED_VISIBLE_SECONDS = 3600.0  # terminated instances stay listed about an hour
ACCESS_LOG_LIMIT = 256 * 1024


def gmt(epoch: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S GMT", time.gmtime(epoch))


def console_boot_lines(instance: Instance, epoch: float) -> str:
    return (
        f"[    0.000000] Linux version 6.1.112-122.189.amzn2023.x86_64 (mockbuild@ip-10-0-43-132) #1 SMP\n"
        f"[    0.000000] Command line: BOOT_IMAGE=(hd0,gpt1)/boot/vmlinuz root=UUID=... console=ttyS0\n"
        f"[    2.104113] systemd[1]: Hostname set to <{instance.private_dns_name}>.\n"
        f"[    4.882719] cloud-init[1642]: Cloud-init v. 22.2.2 running 'init' at {gmt(epoch)}.\n"
        f"ci-info: | eth0 | True | {instance.private_ip} | 255.255.240.0 | global |\n"
    )


async def run_first_boot(instance: Instance) -> None:
    """cloud-init's final stage: user-data, exactly once in the instance's life.

    The script runs in a worker thread, on a copy of the guest that then becomes the guest: the
    interpreter is bounded (commands, output, I/O and, last, wall time: shell_commands.MAX_SECONDS),
    but a hostile script can keep it busy for that whole budget, and the event loop (every listener,
    health check and API call of the cloud) must not wait for it. Changes made to the guest by other
    means while the script runs (a Connect shell opened during the first boot) are replaced."""
    from mock_cloud.ec2.shell import run_user_data  # local: the interpreter is slow to import, and no start needs it

    guest = copy.copy(instance.os)  # runtime hooks (the cloud clock, curl localhost) are shared ...
    for spec in dataclasses.fields(guest):
        if spec.compare:  # ... the guest's state is the script's own copy
            setattr(guest, spec.name, copy.deepcopy(getattr(instance.os, spec.name)))
    log = await asyncio.to_thread(run_user_data, guest, instance.user_data)
    for spec in dataclasses.fields(guest):
        if spec.compare:
            setattr(instance.os, spec.name, getattr(guest, spec.name))
    instance.console_output += log


async def start_services(instance: Instance) -> None:
    """Make the real servers match the guest's active web services (one per port: the guest
    itself refuses to start a second server on a taken port, as a real host would)."""
    wanted = {service.port: service for service in instance.os.web_servers()}
    for port, server in list(instance.servers.items()):
        service = wanted.get(port)
        if service is None or server.flavor != service.flavor or server.docroot != service.docroot:
            await server.stop()
            del instance.servers[port]
    for port, service in wanted.items():
        if port in instance.servers:
            continue
        server = WebServer()
        await server.start(
            instance.os.fs, service.flavor, service.docroot, on_request=_access_logger(instance, service.log_path)
        )
        instance.servers[port] = server


async def stop_services(instance: Instance) -> None:
    for server in instance.servers.values():
        await server.stop()
    instance.servers.clear()


def _access_logger(instance: Instance, path: str) -> Callable[[str], None]:
    """Buffers access-log lines and flushes them about once a second: appending to the
    virtual file on every request would copy the whole log each time (hot path)."""
    fs = instance.os.fs
    pending: list[str] = []

    def flush() -> None:
        text = "".join(pending)
        pending.clear()
        try:
            old = fs.read_bytes(path) if fs.is_file(path) else b""
            fs.write_bytes(path, (old + text.encode("utf-8"))[-ACCESS_LOG_LIMIT:])
        except VfsError:
            pass  # a full or broken disk stops logging, never serving

    def log(line: str) -> None:
        if not pending:
            asyncio.get_running_loop().call_later(1.0, flush)
        pending.append(line + "\n")

    return log
