"""Installable packages per distro: names, versions, dependencies, files and commands.

Data the package managers, `which` and bash's "command not found" hints all read, so a package
that exists on one distro and not another behaves so everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mock_cloud.guestos.packages.web_configs import (
    APACHE2_PORTS,
    APACHE2_SITE,
    APACHE2_UBUNTU_INDEX,
    HTTPD_CONF,
    NGINX_CONF_AL,
    NGINX_SITE_UBUNTU,
    NGINX_WELCOME,
    NOINDEX_AL2,
    NOINDEX_AL2023,
    WELCOME_CONF,
)

Dep = tuple[str, str, str]  # name, version, arch

# Commands that live in /usr/sbin (what `which` and `type` print, and where packages put them).
SBIN_COMMANDS = frozenset({"httpd", "nginx", "apachectl", "apache2", "useradd", "usermod", "groupadd",
                           "chkconfig", "service", "sshd"})


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    arch: str = "x86_64"
    deps: tuple[Dep, ...] = ()
    commands: tuple[str, ...] = ()
    service: str | None = None
    description: str = ""  # the unit's Description=, used in systemd log lines
    exec_start: str = ""
    files: tuple[tuple[str, str], ...] = ()
    dirs: tuple[tuple[str, int], ...] = ()
    passwd: str = ""  # the system user the package creates, as an /etc/passwd line
    extras_topic: str = ""  # Amazon Linux 2: only installable after `amazon-linux-extras install TOPIC`


def _deps(spec: str, arch: str = "x86_64") -> tuple[Dep, ...]:
    out: list[Dep] = []
    for line in spec.strip().splitlines():
        fields = line.split()
        out.append((fields[0], fields[1], fields[2] if len(fields) > 2 else arch))
    return tuple(out)


# -- the catalogue ------------------------------------------------------------------------------

_HTTPD_DIRS = (
    ("/etc/httpd", 0o755), ("/etc/httpd/conf", 0o755), ("/etc/httpd/conf.d", 0o755),
    ("/etc/httpd/conf.modules.d", 0o755), ("/var/www", 0o755), ("/var/www/html", 0o755),
    ("/var/www/cgi-bin", 0o755), ("/var/log/httpd", 0o700), ("/usr/share/httpd/noindex", 0o755),
)
_HTTPD_COMMON: dict[str, Any] = {
    "commands": ("httpd", "apachectl", "htpasswd", "ab"),
    "service": "httpd",
    "description": "The Apache HTTP Server",
    "exec_start": "/usr/sbin/httpd $OPTIONS -DFOREGROUND",
    "dirs": _HTTPD_DIRS,
    "passwd": "apache:x:48:48:Apache:/usr/share/httpd:/sbin/nologin",
}
_NGINX_AL_COMMON: dict[str, Any] = {
    "commands": ("nginx",),
    "service": "nginx",
    "description": "The nginx HTTP and reverse proxy server",
    "exec_start": "/usr/sbin/nginx",
    "files": (("/etc/nginx/nginx.conf", NGINX_CONF_AL), ("/usr/share/nginx/html/index.html", NGINX_WELCOME)),
    "dirs": (("/etc/nginx/conf.d", 0o755), ("/usr/share/nginx/html", 0o755), ("/var/log/nginx", 0o711)),
    "passwd": "nginx:x:991:991:Nginx web server:/var/lib/nginx:/sbin/nologin",
}
_DOCKER: dict[str, Any] = {
    "commands": ("docker",),
    "service": "docker",
    "description": "Docker Application Container Engine",
    "exec_start": "/usr/bin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock",
}

_AL2023: tuple[Package, ...] = (
    Package(
        "httpd", "2.4.62-1.amzn2023",
        deps=_deps("""
            apr 1.7.5-1.amzn2023.0.4
            apr-util 1.6.3-1.amzn2023.0.1
            generic-logos-httpd 18.0.0-12.amzn2023.0.3 noarch
            httpd-core 2.4.62-1.amzn2023
            httpd-filesystem 2.4.62-1.amzn2023 noarch
            httpd-tools 2.4.62-1.amzn2023
            libbrotli 1.0.9-4.amzn2023.0.2
            mailcap 2.1.49-3.amzn2023.0.3 noarch
            apr-util-openssl 1.6.3-1.amzn2023.0.1
            mod_http2 2.0.27-1.amzn2023.0.3
            mod_lua 2.4.62-1.amzn2023
        """),
        files=(
            ("/etc/httpd/conf/httpd.conf", HTTPD_CONF), ("/etc/httpd/conf.d/welcome.conf", WELCOME_CONF),
            ("/usr/share/httpd/noindex/index.html", NOINDEX_AL2023),
        ),
        **_HTTPD_COMMON,
    ),
    Package(
        "nginx", "1:1.24.0-1.amzn2023.0.4",
        deps=_deps("""
            generic-logos-httpd 18.0.0-12.amzn2023.0.3 noarch
            gperftools-libs 2.9.1-1.amzn2023.0.3
            libunwind 1.4.0-5.amzn2023.0.2
            nginx-core 1:1.24.0-1.amzn2023.0.4
            nginx-filesystem 1:1.24.0-1.amzn2023.0.4 noarch
            nginx-mimetypes 2.1.49-3.amzn2023.0.3 noarch
        """),
        **_NGINX_AL_COMMON,
    ),
    Package("mod_ssl", "1:2.4.62-1.amzn2023", deps=_deps("sscg 3.0.5-1.amzn2023.0.4")),
    Package(
        "php8.3", "8.3.10-1.amzn2023.0.1", commands=("php",),
        deps=_deps("""
            php8.3-cli 8.3.10-1.amzn2023.0.1
            php8.3-common 8.3.10-1.amzn2023.0.1
            php8.3-fpm 8.3.10-1.amzn2023.0.1
        """),
    ),
    Package("git", "2.40.1-1.amzn2023.0.3", commands=("git",), deps=_deps("git-core 2.40.1-1.amzn2023.0.3")),
    Package("python3", "3.9.16-1.amzn2023.0.9", commands=("python3",)),
    Package("python3-pip", "21.3.1-2.amzn2023.0.8", arch="noarch", commands=("pip3", "pip")),
    Package("curl-minimal", "8.5.0-1.amzn2023.0.4", commands=("curl",)),
    Package("wget", "1.21.3-1.amzn2023.0.4", commands=("wget",)),
    Package("htop", "3.2.1-87.amzn2023.0.3", commands=("htop",)),
    Package("stress", "1.0.4-29.amzn2023.0.2", commands=("stress",)),
    Package("stress-ng", "0.17.01-1.amzn2023.0.1", commands=("stress-ng",)),
    Package("nodejs", "1:18.20.4-1.amzn2023.0.1", commands=("node", "npm"),
            deps=_deps("nodejs-libs 1:18.20.4-1.amzn2023.0.1\nnodejs-npm 1:10.7.0-1.18.20.4.1.amzn2023.0.1")),
    Package("docker", "25.0.6-1.amzn2023.0.2",
            deps=_deps("containerd 1.7.23-1.amzn2023.0.1\nrunc 1.1.14-1.amzn2023.0.1\n"
                       "pigz 2.5-1.amzn2023.0.3"),
            **_DOCKER),
    Package("cronie", "1.5.7-1.amzn2023.0.2", commands=("crontab",), service="crond",
            description="Command Scheduler", exec_start="/usr/sbin/crond -n $CRONDARGS"),
    Package("tree", "1.8.0-6.amzn2023.0.2", commands=("tree",)),
    Package("jq", "1.7.1-1.amzn2023.0.1", commands=("jq",)),
    Package("unzip", "6.0-57.amzn2023.0.2", commands=("unzip",)),
    Package("nano", "5.8-3.amzn2023.0.2", commands=("nano",)),
    Package("mariadb105", "3:10.5.25-1.amzn2023.0.1", commands=("mysql", "mariadb")),
    Package("amazon-efs-utils", "2.0.4-1.amzn2023", arch="noarch", deps=_deps("stunnel 5.58-1.amzn2023.0.2")),
)

_AL2: tuple[Package, ...] = (
    Package(
        "httpd", "2.4.62-1.amzn2.0.2",
        deps=_deps("""
            apr 1.7.2-1.amzn2.0.1
            apr-util 1.6.3-1.amzn2.0.1
            apr-util-bdb 1.6.3-1.amzn2.0.1
            generic-logos-httpd 18.0.0-4.amzn2 noarch
            httpd-filesystem 2.4.62-1.amzn2.0.2 noarch
            httpd-tools 2.4.62-1.amzn2.0.2
            mailcap 2.1.41-2.amzn2 noarch
            mod_http2 1.15.19-1.amzn2.0.2
        """),
        files=(
            ("/etc/httpd/conf/httpd.conf", HTTPD_CONF), ("/etc/httpd/conf.d/welcome.conf", WELCOME_CONF),
            ("/usr/share/httpd/noindex/index.html", NOINDEX_AL2),
        ),
        **_HTTPD_COMMON,
    ),
    Package("nginx", "1:1.22.1-1.amzn2.0.3", extras_topic="nginx1",
            deps=_deps("gperftools-libs 2.6.1-1.amzn2\nnginx-filesystem 1:1.22.1-1.amzn2.0.3 noarch"),
            **_NGINX_AL_COMMON),
    Package("mod_ssl", "1:2.4.62-1.amzn2.0.2"),
    Package("php", "5.4.16-46.amzn2.0.2", commands=("php",),
            deps=_deps("php-cli 5.4.16-46.amzn2.0.2\nphp-common 5.4.16-46.amzn2.0.2")),
    Package("git", "2.40.1-1.amzn2.0.3", commands=("git",), deps=_deps("git-core 2.40.1-1.amzn2.0.3")),
    Package("python3", "3.7.16-1.amzn2.0.9", commands=("python3", "pip3")),
    Package("curl", "8.3.0-1.amzn2.0.6", commands=("curl",)),
    Package("wget", "1.14-18.amzn2.1", commands=("wget",)),
    Package("htop", "2.2.0-3.amzn2.0.3", commands=("htop",)),
    Package("epel-release", "7-11", arch="noarch", extras_topic="epel"),
    Package("stress", "1.0.4-16.el7", commands=("stress",), extras_topic="epel"),
    Package("docker", "25.0.6-1.amzn2.0.2", deps=_deps("containerd 1.7.23-1.amzn2.0.1\nrunc 1.1.14-1.amzn2"),
            **_DOCKER),
    Package("cronie", "1.4.11-23.amzn2", commands=("crontab",), service="crond",
            description="Command Scheduler", exec_start="/usr/sbin/crond -n $CRONDARGS"),
    Package("tree", "1.6.0-10.amzn2.0.1", commands=("tree",)),
    Package("jq", "1.5-1.amzn2.0.2", commands=("jq",)),
    Package("unzip", "6.0-57.amzn2.0.1", commands=("unzip",)),
    Package("amazon-efs-utils", "2.0.4-1.amzn2", arch="noarch"),
)

_UBUNTU: tuple[Package, ...] = (
    Package(
        "apache2", "2.4.58-1ubuntu8.5", arch="amd64",
        deps=_deps("""
            apache2-bin 2.4.58-1ubuntu8.5
            apache2-data 2.4.58-1ubuntu8.5 all
            apache2-utils 2.4.58-1ubuntu8.5
            libapr1t64 1.7.2-3.1ubuntu0.1
            libaprutil1-dbd-sqlite3 1.6.3-1.1ubuntu7
            libaprutil1-ldap 1.6.3-1.1ubuntu7
            libaprutil1t64 1.6.3-1.1ubuntu7
            liblua5.4-0 5.4.6-3build2
            ssl-cert 1.1.2ubuntu1 all
        """, arch="amd64"),
        commands=("apache2", "apache2ctl", "apachectl", "a2ensite", "a2enmod"),
        service="apache2", description="The Apache HTTP Server", exec_start="/usr/sbin/apachectl start",
        files=(
            ("/etc/apache2/ports.conf", APACHE2_PORTS),
            ("/etc/apache2/sites-available/000-default.conf", APACHE2_SITE),
            ("/etc/apache2/sites-enabled/000-default.conf", APACHE2_SITE),
            ("/var/www/html/index.html", APACHE2_UBUNTU_INDEX),
        ),
        dirs=(("/etc/apache2", 0o755), ("/var/www/html", 0o755), ("/var/log/apache2", 0o750)),
    ),
    Package(
        "nginx", "1.24.0-2ubuntu7.1", arch="amd64",
        deps=_deps("nginx-common 1.24.0-2ubuntu7.1 all"),
        commands=("nginx",), service="nginx",
        description="A high performance web server and a reverse proxy server",
        exec_start="/usr/sbin/nginx -g 'daemon on; master_process on;'",
        files=(
            ("/etc/nginx/sites-available/default", NGINX_SITE_UBUNTU),
            ("/etc/nginx/sites-enabled/default", NGINX_SITE_UBUNTU),
            ("/var/www/html/index.nginx-debian.html", NGINX_WELCOME),
        ),
        dirs=(("/etc/nginx", 0o755), ("/var/www/html", 0o755), ("/var/log/nginx", 0o755)),
    ),
    Package("php", "2:8.3+93ubuntu2", arch="all", commands=("php",),
            deps=_deps("php8.3 8.3.6-0ubuntu0.24.04.3 all\nphp8.3-cli 8.3.6-0ubuntu0.24.04.3", arch="amd64")),
    Package("git", "1:2.43.0-1ubuntu7.1", arch="amd64", commands=("git",)),
    Package("python3", "3.12.3-0ubuntu2", arch="amd64", commands=("python3",)),
    Package("python3-pip", "24.0+dfsg-1ubuntu1", arch="all", commands=("pip3", "pip")),
    Package("curl", "8.5.0-2ubuntu10.5", arch="amd64", commands=("curl",)),
    Package("wget", "1.21.4-1ubuntu4.1", arch="amd64", commands=("wget",)),
    Package("htop", "3.3.0-4build1", arch="amd64", commands=("htop",)),
    Package("stress", "1.0.7-1", arch="amd64", commands=("stress",)),
    Package("stress-ng", "0.17.06-1build1", arch="amd64", commands=("stress-ng",)),
    Package("nodejs", "18.19.1+dfsg-6ubuntu5", arch="amd64", commands=("node",),
            deps=_deps("libnode109 18.19.1+dfsg-6ubuntu5", arch="amd64")),
    Package("npm", "9.2.0~ds1-2", arch="all", commands=("npm",)),
    Package("docker.io", "24.0.7-0ubuntu4.1", arch="amd64",
            deps=_deps("containerd 1.7.12-0ubuntu4.1\nrunc 1.1.12-0ubuntu3.1", arch="amd64"), **_DOCKER),
    Package("tree", "2.1.1-2ubuntu3", arch="amd64", commands=("tree",)),
    Package("jq", "1.7.1-3build1", arch="amd64", commands=("jq",)),
    Package("unzip", "6.0-28ubuntu4", arch="amd64", commands=("unzip",)),
)

CATALOGUE: dict[str, dict[str, Package]] = {
    distro: {p.name: p for p in pkgs}
    for distro, pkgs in (("al2023", _AL2023), ("al2", _AL2), ("ubuntu", _UBUNTU))
}

# What a fresh AMI already has; a package's commands work only while it is installed.
BASE_PACKAGES: dict[str, tuple[str, ...]] = {
    "al2023": ("bash", "coreutils", "sudo", "systemd", "dnf", "cloud-init", "openssh-server", "chrony",
               "amazon-ssm-agent", "python3", "curl-minimal", "wget"),
    "al2": ("bash", "coreutils", "sudo", "systemd", "yum", "cloud-init", "openssh-server", "chrony",
            "amazon-ssm-agent", "python3", "curl", "wget", "cronie"),
    "ubuntu": ("bash", "coreutils", "sudo", "systemd", "apt", "cloud-init", "openssh-server", "chrony",
               "python3", "curl", "wget", "git", "htop", "cron"),
}

# Names learners type that the distro spells differently.
_ALIASES: dict[str, dict[str, str]] = {
    "al2023": {"php": "php8.3", "curl": "curl-minimal", "mariadb": "mariadb105", "pip": "python3-pip",
               "python3-pip": "python3-pip"},
    "al2": {},
    "ubuntu": {"docker": "docker.io"},
}

PROTECTED = {"bash", "coreutils", "sudo", "systemd", "dnf", "yum", "apt"}

EXTRAS_TOPICS = {"nginx1": ("nginx",), "epel": ("epel-release",), "docker": ("docker",), "php8.2": ("php",)}

TOOLS: dict[str, tuple[str, ...]] = {
    "al2023": ("dnf", "yum", "rpm"),
    "al2": ("yum", "rpm", "amazon-linux-extras"),
    "ubuntu": ("apt", "apt-get", "dpkg"),
}


def lookup(distro: str, name: str) -> Package | None:
    catalogue = CATALOGUE[distro]
    return catalogue.get(_ALIASES[distro].get(name, name))


def command_packages(distro: str, command: str) -> list[str]:
    """Packages that provide `command` on `distro` (empty when the command is not packaged here)."""
    return [p.name for p in CATALOGUE[distro].values() if command in p.commands]


def nevra(name: str, version: str, arch: str) -> str:
    return f"{name}-{version}.{arch}"
