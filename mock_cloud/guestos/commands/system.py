"""Identity and system commands: hostname(ctl), whoami, id, groups, sleep, printenv, uname, date,
and the user-management commands.

User data prints these into pages (`$(hostname -f)`), so they answer from the instance's metadata
and distro exactly as the AMI would.
"""

from __future__ import annotations

import re

from mock_cloud.guestos.commands.registry import Ctx, command, join_lines, split_flags


@command("hostname")
def _hostname(ctx: Ctx) -> int:
    flags, _values, names = split_flags(ctx.args)
    os = ctx.os
    ip = os.metadata.get("local-ipv4", "")
    if names:
        return ctx.error("you must be root to change the host name" if not ctx.root
                         else "lblab: changing the hostname is not emulated (use hostnamectl set-hostname)")
    if flags & {"I", "--all-ip-addresses"}:
        ctx.out.write(f"{ip} \n")
    elif flags & {"i", "--ip-address"}:
        ctx.out.write(f"{ip}\n")
    elif flags & {"f", "A", "--fqdn", "--long", "--all-fqdns"}:
        ctx.out.write(os.hostname + "\n")
    elif flags & {"s", "--short"}:
        ctx.out.write(os.short_hostname + "\n")
    elif flags & {"d", "--domain"}:
        ctx.out.write(os.hostname.partition(".")[2] + "\n")
    else:
        ctx.out.write((os.hostname if os.spec.full_hostname else os.short_hostname) + "\n")
    return 0


@command("hostnamectl")
def _hostnamectl(ctx: Ctx) -> int:
    args = [a for a in ctx.args if not a.startswith("-")]
    if args[:1] == ["set-hostname"] and len(args) == 2:
        if not ctx.root:
            return ctx.error("Could not set static hostname: Access denied")
        ctx.os.hostname = args[1]
        ctx.fs.write_text("/etc/hostname", args[1] + "\n")
        return 0
    if args and args[0] != "status":
        return ctx.error(f"lblab: 'hostnamectl {args[0]}' is not emulated")
    pretty = re.search(r'PRETTY_NAME="([^"]*)"', ctx.os.spec.os_release)
    ctx.out.write(f" Static hostname: {ctx.os.hostname}\n       Icon name: computer-vm\n"
                  f"         Chassis: vm\n  Virtualization: amazon\n"
                  f"Operating System: {pretty.group(1) if pretty else ''}\n"
                  f"          Kernel: Linux {ctx.os.spec.kernel}\n    Architecture: x86-64\n"
                  "Hardware Vendor: Amazon EC2\n")
    return 0


@command("whoami")
def _whoami(ctx: Ctx) -> int:
    ctx.out.write(ctx.user + "\n")
    return 0


@command("id")
def _id(ctx: Ctx) -> int:
    flags, _values, names = split_flags(ctx.args)
    user = names[0] if names else ctx.user
    entry = ctx.os.passwd().get(user)
    if entry is None:
        return ctx.error(f"‘{user}’: no such user")
    uid, gid = entry[2], entry[3]
    if flags & {"u", "g"}:
        number = uid if "u" in flags else gid
        ctx.out.write((user if "n" in flags else number) + "\n")
        return 0
    groups = ctx.os.spec.groups if user == ctx.os.login_user else f"{gid}({user})"
    selinux = ctx.os.spec.selinux and not names
    context = " context=unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c1023" if selinux else ""
    ctx.out.write(f"uid={uid}({user}) gid={gid}({user}) groups={groups}{context}\n")
    return 0


@command("groups")
def _groups(ctx: Ctx) -> int:
    user = ctx.args[0] if ctx.args else ctx.user
    if user not in ctx.os.passwd():
        return ctx.error(f"‘{user}’: no such user")
    names = re.findall(r"\(([^)]*)\)", ctx.os.spec.groups) if user == ctx.os.login_user else [user]
    ctx.out.write(("" if not ctx.args else f"{user} : ") + " ".join(names) + "\n")
    return 0


@command("sleep")
def _sleep(ctx: Ctx) -> int:
    # Nothing waits: the emulator's clock does not need to pass for scripts to make progress.
    if not ctx.args:
        return ctx.error("missing operand\nTry 'sleep --help' for more information.")
    for arg in ctx.args:
        if not re.fullmatch(r"[0-9]*\.?[0-9]+[smhd]?|infinity", arg):
            return ctx.error(f"invalid time interval ‘{arg}’")
    return 0


@command("printenv")
def _printenv(ctx: Ctx) -> int:
    if not ctx.args:
        ctx.out.write("".join(f"{k}={v}\n" for k, v in sorted(ctx.env.items())))
        return 0
    found = [ctx.env[name] for name in ctx.args if name in ctx.env]
    ctx.out.write(join_lines(found))
    return 0 if len(found) == len(ctx.args) else 1


@command("uname")
def _uname(ctx: Ctx) -> int:
    flags, _values, _names = split_flags(ctx.args)
    spec = ctx.os.spec
    node = ctx.os.hostname if spec.full_hostname else ctx.os.short_hostname
    fields = {"s": "Linux", "n": node, "r": spec.kernel, "v": spec.kernel_build, "m": "x86_64", "p": "x86_64",
              "i": "x86_64", "o": "GNU/Linux"}
    wanted = "snrvmpio" if flags & {"a", "--all"} else "".join(f for f in "snrvmpio" if f in flags) or "s"
    ctx.out.write(" ".join(fields[f] for f in wanted) + "\n")
    return 0


@command("date")
def _date(ctx: Ctx) -> int:
    now = ctx.os.now()
    formats = [a[1:] for a in ctx.args if a.startswith("+")]
    if formats:
        fmt = formats[0].replace("%e", f"{now.day:2d}").replace("%N", f"{now.microsecond * 1000:09d}")
        try:
            text = now.strftime(fmt)
        except ValueError:
            text = fmt
    elif any(a in ("-R", "--rfc-email") for a in ctx.args):
        text = now.strftime("%a, %d %b %Y %H:%M:%S +0000")
    elif any(a.startswith(("-I", "--iso-8601")) for a in ctx.args):
        text = now.strftime("%Y-%m-%d")
    else:
        text = f"{now:%a %b} {now.day:2d} {now:%H:%M:%S} UTC {now:%Y}"
    ctx.out.write(text + "\n")
    return 0


@command("useradd", "adduser", "usermod", "groupadd", "userdel")
def _users(ctx: Ctx) -> int:
    if not ctx.root:
        return ctx.error(f"Permission denied.\n{ctx.name}: cannot lock /etc/passwd; try again later.")
    flags, _values, names = split_flags(ctx.args, "sGgcduk")
    if not names:
        return ctx.error(f"Usage: {ctx.name} [options] LOGIN", 2)
    name = names[-1]
    users = ctx.os.passwd()
    if ctx.name in ("usermod", "userdel") and name not in users:
        return ctx.error(f"user '{name}' does not exist", 6)
    if ctx.name in ("useradd", "adduser") and name in users:
        return ctx.error(f"user '{name}' already exists", 9)
    if ctx.name in ("useradd", "adduser"):
        uid = max([1000, *(int(e[2]) for e in users.values() if int(e[2]) < 60000)]) + 1
        home = f"/home/{name}"
        ctx.fs.write_text("/etc/passwd", f"{name}:x:{uid}:{uid}::{home}:/bin/bash\n", append=True)
        if "m" in flags or ctx.name == "adduser" or ctx.os.distro != "ubuntu":
            if not ctx.fs.exists(home):
                ctx.fs.mkdir(home, mode=0o700)
            ctx.os.chown(home, name)
    return 0
