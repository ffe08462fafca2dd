"""An EC2 instance's operating system as plain data: filesystem, packages, services, owners.

Nothing here runs on the host. The filesystem is a VirtualFS; "services" are flags that
the shell flips and the runtime reads (an active web service gets a real listener). File
ownership is kept as a sparse map because VirtualFS only stores modes: a path belongs to
the nearest listed ancestor's owner, and to root when none is listed.
"""

from __future__ import annotations

import posixpath
import re
import time
import zlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from mock_cloud.guestos.distros import AL_HOSTS, BASE_DIRS, DISTROS, UBUNTU_HOSTS, UNIT_DIR, Distro
from mock_cloud.guestos.packages.catalogue import BASE_PACKAGES
from mock_cloud.guestos.packages.web_configs import unit_text, web_spec
from mock_cloud.guestos.vfs import VfsError, VirtualFS, normalize

HttpHandler = Callable[[str, str], tuple[int, dict[str, str], bytes]]
StartResult = Literal["ok", "not-found", "failed"]


@dataclass
class ServiceState:
    enabled: bool = False  # systemctl enable -> starts on every boot
    active: bool = False  # currently running
    failed: bool = False  # the last start failed (systemctl status shows "failed")


@dataclass(frozen=True)
class WebServer:
    """An active service answering HTTP, as its configuration files describe it right now."""

    name: str
    flavor: str  # "apache" | "nginx"
    docroot: str
    port: int
    log_path: str


_PERM_BITS = {"r": 4, "w": 2, "x": 1}


@dataclass
class InstanceOS:
    fs: VirtualFS
    hostname: str  # the private DNS name, e.g. ip-172-31-5-10.ap-northeast-2.compute.internal
    metadata: dict[str, str] = field(default_factory=dict)  # IMDS meta-data keys -> values
    distro: str = "al2023"
    packages: set[str] = field(default_factory=set)
    services: dict[str, ServiceState] = field(default_factory=dict)
    user_data_ran: bool = False
    owners: dict[str, str] = field(default_factory=dict)  # paths not owned by their parent's owner
    http_tokens: str = "optional"  # MetadataOptions.HttpTokens: "required" makes IMDSv1 answer 401
    user_data: str | None = None  # the instance's UserData attribute, which IMDS serves at latest/user-data
    # Runtime only: how `curl localhost` reaches the instance's web server, and cloud time.
    http_handler: HttpHandler | None = field(default=None, repr=False, compare=False)
    clock: Callable[[], float] = field(default=time.time, repr=False, compare=False)

    # -- construction ----------------------------------------------------------------------------
    @classmethod
    def base_image(
        cls, distro: str = "al2023", *, hostname: str, metadata: dict[str, str] | None = None
    ) -> InstanceOS:
        """A freshly launched AMI: the distro's base files, users, services and packages."""
        d = DISTROS[distro]
        fs = VirtualFS()
        for path in BASE_DIRS:
            fs.mkdir(path, parents=True)
        home = f"/home/{d.login_user}"
        for path, mode in (("/tmp", 0o1777), ("/var/tmp", 0o1777), ("/root", 0o550), (home, d.home_mode),
                           (f"{home}/.ssh", 0o700)):
            fs.mkdir(path, mode=mode)
        short = hostname.split(".", 1)[0]
        files = {
            "/etc/os-release": (d.os_release, 0o644),
            "/etc/hostname": ((hostname if d.full_hostname else short) + "\n", 0o644),
            "/etc/hosts": (UBUNTU_HOSTS if distro == "ubuntu" else AL_HOSTS, 0o644),
            "/etc/passwd": (d.passwd, 0o644),
            "/etc/shadow": ("", 0o640 if distro == "ubuntu" else 0o000),
            "/etc/sudoers.d/90-cloud-init-users": (
                f"# Created by cloud-init v. {d.cloud_init}\n\n# User rules for {d.login_user}\n"
                f"{d.login_user} ALL=(ALL) NOPASSWD:ALL\n", 0o440),
            f"{home}/.bashrc": ("# .bashrc\n\n# User specific aliases and functions\n", 0o644),
            f"{home}/.ssh/authorized_keys": ("", 0o600),
            d.syslog: ("", 0o640 if distro == "ubuntu" else 0o600),
            "/var/log/cloud-init.log": ("", 0o644),
            "/var/log/cloud-init-output.log": ("", 0o644),
        }
        if d.system_release:
            files["/etc/system-release"] = (d.system_release, 0o644)
        for path, (text, mode) in files.items():
            fs.write_text(path, text)
            fs.chmod(path, mode)
        owners = {home: d.login_user}
        os = cls(fs=fs, hostname=hostname, metadata=dict(metadata or {}), distro=distro,
                 packages=set(BASE_PACKAGES[distro]), owners=owners)
        for name, description, exec_start in d.base_services:
            fs.write_text(f"{UNIT_DIR}/{name}.service", unit_text(description, exec_start))
            os.services[name] = ServiceState(enabled=True)
        return os

    # -- identity ----------------------------------------------------------------------------------
    @property
    def spec(self) -> Distro:
        return DISTROS[self.distro]

    @property
    def short_hostname(self) -> str:
        return self.hostname.split(".", 1)[0]

    @property
    def login_user(self) -> str:
        return self.spec.login_user

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    def passwd(self) -> dict[str, list[str]]:
        """/etc/passwd as name -> its seven fields."""
        users: dict[str, list[str]] = {}
        if self.fs.is_file("/etc/passwd"):
            for line in self.fs.read_text("/etc/passwd").splitlines():
                fields = line.split(":")
                if len(fields) == 7 and fields[2].isascii() and fields[2].isdigit():
                    users[fields[0]] = fields
        return users

    def home_of(self, user: str) -> str:
        entry = self.passwd().get(user)
        return entry[5] if entry else ("/root" if user == "root" else f"/home/{user}")

    # -- the system log ------------------------------------------------------------------------------
    def log_system(self, ident: str, message: str) -> None:
        """Append one line to the syslog file, as rsyslog would write it."""
        now = self.now()
        if self.distro == "ubuntu":
            stamp = now.isoformat(timespec="microseconds")
        else:
            stamp = f"{now:%b} {now.day:2d} {now:%H:%M:%S}"
        path = self.spec.syslog
        try:
            if not self.fs.is_dir(posixpath.dirname(path)):
                self.fs.mkdir(posixpath.dirname(path), parents=True)
            self.fs.write_text(path, f"{stamp} {self.short_hostname} {ident}: {message}\n", append=True)
        except VfsError:
            pass  # a full or wiped disk loses log lines, as on a real host

    # -- services --------------------------------------------------------------------------------------
    def register_service(self, name: str) -> None:
        self.services.setdefault(name, ServiceState())

    def has_unit(self, name: str) -> bool:
        return self.fs.is_file(f"{UNIT_DIR}/{name}.service")

    def unit_description(self, name: str) -> str:
        unit = f"{UNIT_DIR}/{name}.service"
        if self.fs.is_file(unit):
            for line in self.fs.read_text(unit).splitlines():
                if line.startswith("Description="):
                    return line.removeprefix("Description=")
        return name

    def fake_pid(self, name: str) -> int:
        return 1000 + zlib.crc32(name.encode()) % 30000

    def _unit_label(self, name: str) -> str:
        # systemd 252+ (AL2023, Ubuntu 24.04) names the unit; AL2's systemd 219 only describes it.
        description = self.unit_description(name)
        return description if self.distro == "al2" else f"{name}.service - {description}"

    def start_service(self, name: str) -> StartResult:
        if not self.has_unit(name):
            return "not-found"
        state = self.services.setdefault(name, ServiceState())
        if state.active:
            return "ok"
        label = self._unit_label(name)
        self.log_system("systemd[1]", f"Starting {label}...")
        clash = self._port_clash(name)
        if clash is not None:
            state.failed = True
            self.log_system(f"{name}[{self.fake_pid(name)}]", clash)
            exited = f"{name}.service: Main process exited, code=exited, status=1/FAILURE"
            self.log_system("systemd[1]", exited)
            self.log_system("systemd[1]", f"{name}.service: Failed with result 'exit-code'.")
            self.log_system("systemd[1]", f"Failed to start {label}.")
            return "failed"
        state.active, state.failed = True, False
        self.log_system("systemd[1]", f"Started {label}.")
        return "ok"

    def stop_service(self, name: str) -> None:
        state = self.services.get(name)
        if state is None or not state.active:
            if state is not None:
                state.failed = False
            return
        label = self._unit_label(name)
        self.log_system("systemd[1]", f"Stopping {label}...")
        state.active = False
        if self.distro != "al2":
            self.log_system("systemd[1]", f"{name}.service: Deactivated successfully.")
        self.log_system("systemd[1]", f"Stopped {label}.")

    def enable_service(self, name: str) -> bool:
        """True when the unit was not enabled before (systemctl then prints its symlink)."""
        state = self.services.setdefault(name, ServiceState())
        changed = not state.enabled
        state.enabled = True
        return changed

    def disable_service(self, name: str) -> bool:
        state = self.services.get(name)
        changed = state is not None and state.enabled
        if state is not None:
            state.enabled = False
        return changed

    def boot(self) -> None:
        """Start or reboot: every enabled service comes up."""
        for name, state in sorted(self.services.items()):
            if state.enabled and not state.active:
                self.start_service(name)

    def reset_boot_state(self) -> None:
        """Stop: processes die, enablement and the disk stay."""
        for state in self.services.values():
            state.active = False
            state.failed = False

    # -- web servers -------------------------------------------------------------------------------------
    def web_server(self, name: str) -> WebServer | None:
        """How service `name` would serve HTTP (whether or not it runs), if it is a web server."""
        spec = web_spec(self.distro, name)
        if spec is None:
            return None
        if spec.docroot_key == "DocumentRoot":
            root_re = re.compile(r'\s*DocumentRoot\s+"?([^"\s]+)')
            port_re = re.compile(r"\s*Listen\s+(?:\S+:)?(\d+)\s*$")
        else:
            root_re = re.compile(r"\s*root\s+([^;\s]+)\s*;")
            port_re = re.compile(r"\s*listen\s+(?:[\d.]+:)?(\d+)\b")
        docroot = self._conf_value(spec.docroot_conf, root_re) or spec.default_docroot
        port = self._conf_value(spec.port_conf, port_re)
        return WebServer(name, spec.flavor, normalize(docroot), int(port) if port else 80, spec.log_path)

    def web_servers(self) -> list[WebServer]:
        """Active services that serve HTTP, with their docroot, flavor and port."""
        servers = [self.web_server(name) for name, state in sorted(self.services.items()) if state.active]
        return [server for server in servers if server is not None]

    def _conf_value(self, path: str, pattern: re.Pattern[str]) -> str | None:
        if not self.fs.is_file(path):
            return None
        for line in self.fs.read_text(path).splitlines():
            match = pattern.match(line)
            if match:
                return match.group(1)
        return None

    def _port_clash(self, name: str) -> str | None:
        """The bind error `name` would log if another active web server holds its port."""
        wanted = self.web_server(name)
        if wanted is None or all(other.port != wanted.port for other in self.web_servers()):
            return None
        if wanted.flavor == "nginx":
            return f"nginx: [emerg] bind() to 0.0.0.0:{wanted.port} failed (98: Address already in use)"
        return f"(98)Address already in use: AH00072: make_sock: could not bind to address [::]:{wanted.port}"

    # -- ownership and permissions -----------------------------------------------------------------------
    def owner_of(self, path: str) -> str:
        path = normalize(path)
        while path not in self.owners:
            if path == "/":
                return "root"
            path = posixpath.dirname(path)
        return self.owners[path]

    def note_created(self, path: str, user: str) -> None:
        """A new file or directory belongs to whoever created it."""
        if self.owner_of(path) != user:
            self.owners[normalize(path)] = user

    def forget(self, path: str) -> None:
        """Drop ownership records at and below `path` (after rm, or before chown -R)."""
        path = normalize(path)
        for key in [k for k in self.owners if k == path or k.startswith(path.rstrip("/") + "/")]:
            del self.owners[key]

    def move_owners(self, src: str, dst: str) -> None:
        """After mv: the records under `src` now describe `dst`, and the moved tree keeps its owner."""
        src, dst = normalize(src), normalize(dst)
        owner = self.owner_of(src)
        moved = {dst + key[len(src) :]: who for key, who in self.owners.items()
                 if key == src or key.startswith(src + "/")}
        self.forget(src)
        self.forget(dst)
        self.owners.update(moved)
        if self.owner_of(dst) != owner:
            self.owners[dst] = owner

    def chown(self, path: str, user: str, recursive: bool = False) -> None:
        path = normalize(path)
        if recursive:
            self.forget(path)
        elif self.fs.is_dir(path):
            # Children keep their current owner: only the directory itself changes hands.
            for child in self.fs.listdir(path):
                child_path = posixpath.join(path, child)
                self.owners.setdefault(child_path, self.owner_of(child_path))
        self.owners[path] = user

    def allowed(self, path: str, user: str, want: str) -> bool:
        """May `user` read ("r"), write ("w") or search/execute ("x") `path`? Groups are not modelled."""
        if user == "root":
            return True
        path = normalize(path)
        parents: list[str] = []
        parent = path
        while parent != "/":
            parent = posixpath.dirname(parent)
            parents.append(parent)
        for directory in reversed(parents):
            if not self.fs.is_dir(directory):
                return True  # reported as "No such file or directory" by the caller instead
            if not self._bit(directory, user, "x"):
                return False
        return not self.fs.exists(path) or self._bit(path, user, want)

    def may_create(self, path: str, user: str) -> bool:
        parent = posixpath.dirname(normalize(path))
        return self.allowed(parent, user, "w") and self.allowed(parent, user, "x")

    def may_remove(self, path: str, user: str) -> bool:
        parent = posixpath.dirname(normalize(path))
        if not self.may_create(path, user):
            return False
        sticky = self.fs.exists(parent) and self.fs.mode(parent) & 0o1000
        return user == "root" or not sticky or user in (self.owner_of(path), self.owner_of(parent))

    def _bit(self, path: str, user: str, want: str) -> bool:
        shift = 6 if self.owner_of(path) == user else 0
        return bool(self.fs.mode(path) >> shift & _PERM_BITS[want])

    # -- persistence -------------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "fs": self.fs.to_dict(),
            "hostname": self.hostname,
            "metadata": dict(self.metadata),
            "distro": self.distro,
            "packages": sorted(self.packages),
            "services": {name: asdict(state) for name, state in self.services.items()},
            "user_data_ran": self.user_data_ran,
            "owners": dict(self.owners),
            "http_tokens": self.http_tokens,
            "user_data": self.user_data,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> InstanceOS:
        return cls(
            fs=VirtualFS.from_dict(data["fs"]),
            hostname=data["hostname"],
            metadata=dict(data.get("metadata", {})),
            distro=data.get("distro", "al2023"),
            packages=set(data.get("packages", [])),
            services={name: ServiceState(**state) for name, state in data.get("services", {}).items()},
            user_data_ran=bool(data.get("user_data_ran", False)),
            owners=dict(data.get("owners", {})),
            http_tokens=data.get("http_tokens", "optional"),
            user_data=data.get("user_data"),
        )
