"""systemd and logs: systemctl, service, chkconfig, journalctl, logger.

Services are flags in `InstanceOS`; starting a web service here is what makes the guest open a
real listener, so the messages and exit codes follow systemd's (polkit refusals included).
"""

from __future__ import annotations

from mock_cloud.guestos.commands.registry import Ctx, command, join_lines, split_flags, text_lines
from mock_cloud.guestos.shell.numbers import bounded

_MANAGE = {"start", "stop", "restart", "reload", "try-restart", "reload-or-restart", "enable", "disable",
           "daemon-reload", "mask", "unmask"}


def _unit(name: str) -> str:
    return name.removesuffix(".service")


def _polkit_refusal(ctx: Ctx, verb: str, unit: str) -> int:
    """What a non-root systemctl gets from polkit in a terminal: a password prompt ec2-user cannot answer."""
    entry = ctx.os.passwd().get(ctx.user)
    gecos = entry[4] if entry and entry[4] else ctx.user
    files = verb in ("enable", "disable", "daemon-reload", "mask", "unmask")
    action = "manage-unit-files" if files else "manage-units"
    what = "manage system service or unit files" if files else f"{verb} '{unit}.service'"
    failure = (f"Failed to {verb} unit: Access denied" if files else
               f"Failed to {verb} {unit}.service: Access denied\n"
               f"See system logs and 'systemctl status {unit}.service' for details.")
    ctx.err.write(f"==== AUTHENTICATING FOR org.freedesktop.systemd1.{action} ====\n"
                  f"Authentication is required to {what}.\n"
                  f"Authenticating as: {gecos} ({ctx.user})\nPassword: \n"
                  "polkit-agent-helper-1: pam_authenticate failed: Authentication failure\n"
                  f"==== AUTHENTICATION FAILED ====\n{failure}\n")
    return 1


def _start(ctx: Ctx, unit: str, verb: str = "start") -> int:
    result = ctx.os.start_service(unit)
    if result == "not-found":
        return ctx.error(f"Failed to {verb} {unit}.service: Unit {unit}.service not found.", 5)
    if result == "failed":
        journal = "journalctl -xe" if ctx.os.distro == "al2" else f"journalctl -xeu {unit}.service"
        ctx.err.write(f"Job for {unit}.service failed because the control process exited with error code.\n"
                      f"See \"systemctl status {unit}.service\" and \"{journal}\" for details.\n")
        return 1
    return 0


def _enable(ctx: Ctx, unit: str, now: bool) -> int:
    if not ctx.os.has_unit(unit):
        return ctx.error(f"Failed to enable unit: Unit file {unit}.service does not exist.")
    if ctx.os.enable_service(unit):
        ctx.err.write(f"Created symlink /etc/systemd/system/multi-user.target.wants/{unit}.service → "
                      f"/usr/lib/systemd/system/{unit}.service.\n")
    return _start(ctx, unit) if now else 0


def _disable(ctx: Ctx, unit: str, now: bool) -> int:
    if not ctx.os.has_unit(unit):
        return ctx.error(f"Failed to disable unit: Unit file {unit}.service does not exist.")
    if ctx.os.disable_service(unit):
        link = f"/etc/systemd/system/multi-user.target.wants/{unit}.service"
        ctx.err.write(f"Removed symlink {link}.\n" if ctx.os.distro == "al2" else f'Removed "{link}".\n')
    if now:
        ctx.os.stop_service(unit)
    return 0


def _status(ctx: Ctx, unit: str) -> int:
    os = ctx.os
    if not os.has_unit(unit):
        return ctx.error(f"Unit {unit}.service could not be found.", 4)
    state = os.services.get(unit)
    enabled = "enabled" if state and state.enabled else "disabled"
    preset = "enabled" if os.distro == "ubuntu" else "disabled"
    path = f"/usr/lib/systemd/system/{unit}.service"
    if state and state.active:
        dot, active = "●", "active (running)"
    elif state and state.failed:
        dot, active = "×", "failed (Result: exit-code)"
    else:
        dot, active = "○", "inactive (dead)"
    if os.distro == "al2":
        ctx.out.write(f"● {unit}.service - {os.unit_description(unit)}\n"
                      f"   Loaded: loaded ({path}; {enabled}; vendor preset: {preset})\n"
                      f"   Active: {active}\n")
    else:
        ctx.out.write(f"{dot} {unit}.service - {os.unit_description(unit)}\n"
                      f"     Loaded: loaded ({path}; {enabled}; preset: {preset})\n     Active: {active}\n")
    if state and state.active:
        indent = "  " if os.distro == "al2" else "   "
        ctx.out.write(f"{indent}Main PID: {os.fake_pid(unit)} ({unit})\n")
    return 0 if state and state.active else 3


@command("systemctl")
def _systemctl(ctx: Ctx) -> int:
    flags, _values, operands = split_flags(ctx.args)
    verb, units = (operands[0], [_unit(u) for u in operands[1:]]) if operands else ("list-units", [])
    now, quiet = "--now" in flags, bool(flags & {"q", "--quiet"})
    if verb in _MANAGE and not ctx.root:
        return _polkit_refusal(ctx, verb, units[0] if units else "")
    if verb in ("start", "stop", "restart", "reload", "try-restart", "reload-or-restart", "enable", "disable",
                "is-active", "is-enabled", "is-failed", "mask", "unmask") and not units:
        return ctx.error("Too few arguments.")
    status = 0
    for unit in units:
        status = _systemctl_one(ctx, verb, unit, now, quiet) or status
    if verb == "daemon-reload":
        return 0
    if verb in ("list-units", "list-unit-files"):
        rows = [f"{n + '.service':<40} loaded active running {ctx.os.unit_description(n)}"
                for n, s in sorted(ctx.os.services.items()) if s.active and ctx.os.has_unit(n)]
        ctx.out.write("  UNIT                                     LOAD   ACTIVE SUB     DESCRIPTION\n"
                      + join_lines(f"  {row}" for row in rows) + f"\n{len(rows)} loaded units listed.\n")
    elif verb == "status" and not units:
        ctx.out.write(f"● {ctx.os.short_hostname}\n    State: running\n")
    elif verb not in _MANAGE | {"status", "is-active", "is-enabled", "is-failed"}:
        return ctx.error(f"Unknown command verb '{verb}'.")
    return status


def _systemctl_one(ctx: Ctx, verb: str, unit: str, now: bool, quiet: bool) -> int:
    os = ctx.os
    state = os.services.get(unit)
    if verb == "start":
        return _start(ctx, unit)
    if verb in ("restart", "reload-or-restart", "try-restart", "reload"):
        if not os.has_unit(unit):
            return ctx.error(f"Failed to {verb} {unit}.service: Unit {unit}.service not found.", 5)
        if verb == "try-restart" and not (state and state.active):
            return 0
        if verb == "reload" and not (state and state.active):
            return ctx.error(f"Job for {unit}.service invalid.", 1)
        os.stop_service(unit)
        return _start(ctx, unit, verb)
    if verb == "stop":
        if not os.has_unit(unit):
            return ctx.error(f"Failed to stop {unit}.service: Unit {unit}.service not loaded.", 5)
        os.stop_service(unit)
        return 0
    if verb == "enable":
        return _enable(ctx, unit, now)
    if verb == "disable":
        return _disable(ctx, unit, now)
    if verb == "status":
        return _status(ctx, unit)
    if verb == "is-active":
        word = "active" if state and state.active else "failed" if state and state.failed else "inactive"
        ctx.out.write("" if quiet else word + "\n")
        return 0 if word == "active" else 3
    if verb == "is-enabled":
        if not os.has_unit(unit):
            return ctx.error(f"Failed to get unit file state for {unit}.service: No such file or directory")
        word = "enabled" if state and state.enabled else "disabled"
        ctx.out.write("" if quiet else word + "\n")
        return 0 if word == "enabled" else 1
    if verb == "is-failed":
        failed = bool(state and state.failed)
        word = "failed" if failed else "active" if state and state.active else "inactive"
        ctx.out.write("" if quiet else word + "\n")
        return 0 if failed else 1
    return ctx.error(f"lblab: 'systemctl {verb}' is not emulated")


@command("service")
def _service(ctx: Ctx) -> int:
    if len(ctx.args) < 2:
        return ctx.error("Usage: service < option > | --status-all | "
                         "[ service_name [ command | --full-restart ] ]")
    name, action = _unit(ctx.args[0]), ctx.args[1]
    if ctx.os.distro != "ubuntu":
        ctx.err.write(f"Redirecting to /bin/systemctl {action} {name}.service\n")
    return _systemctl(Ctx(**{**ctx.__dict__, "name": "systemctl", "args": [action, name]}))


@command("chkconfig")
def _chkconfig(ctx: Ctx) -> int:
    if len(ctx.args) != 2 or ctx.args[1] not in ("on", "off"):
        return ctx.error("lblab: only 'chkconfig NAME on|off' is emulated")
    name = _unit(ctx.args[0])
    verb = "enable" if ctx.args[1] == "on" else "disable"
    ctx.err.write(f"Note: Forwarding request to 'systemctl {verb} {name}.service'.\n")
    return _systemctl(Ctx(**{**ctx.__dict__, "name": "systemctl", "args": [verb, name]}))


@command("journalctl")
def _journalctl(ctx: Ctx) -> int:
    flags, values, _operands = split_flags(ctx.args, "unp")
    path = ctx.os.spec.syslog
    lines = text_lines(ctx.fs.read_text(path)) if ctx.fs.is_file(path) else []
    unit = _unit(values.get("u", values.get("--unit", "")))
    if unit:
        description = ctx.os.unit_description(unit)
        lines = [line for line in lines if f" {unit}[" in line or f"{unit}.service" in line
                 or (ctx.os.distro == "al2" and description in line)]
    count = values.get("n", values.get("--lines"))
    if count and count.isascii() and count.isdigit():
        lines = lines[-bounded(count, len(lines)) :] if lines else lines
    elif flags & {"e", "--pager-end"}:
        lines = lines[-1000:]
    ctx.out.write(join_lines(lines) if lines else "-- No entries --\n")
    if flags & {"f", "--follow"}:
        ctx.err.write("lblab: journalctl -f shows the log once; following it is not emulated\n")
    return 0


@command("logger")
def _logger(ctx: Ctx) -> int:
    flags, values, words = split_flags(ctx.args, "tpi")
    tag = values.get("t") or ctx.user
    message = " ".join(words) if words else ctx.stdin.read_all().strip()
    ctx.os.log_system(tag, message)
    if "s" in flags:
        ctx.err.write(f"{tag}: {message}\n")
    return 0
