"""Installable packages per distro, and the package managers (dnf, yum, apt) that install them.

Installing only lays files out in the instance's VirtualFS, records the package name and
registers its systemd unit. The transcripts imitate dnf (Amazon Linux 2023), yum (Amazon
Linux 2) and apt (Ubuntu) closely enough that a learner recognises them in
/var/log/cloud-init-output.log, including the classic failures: no sudo, no `-y`, a
package that does not exist on that distro.
"""

from __future__ import annotations

import posixpath
import re
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mock_cloud.ec2.instance_os import InstanceOS

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


@dataclass(frozen=True)
class WebSpec:
    """Where a web server's docroot and port are configured, so edits to its config take effect."""

    flavor: str  # "apache" | "nginx"
    docroot_conf: str
    docroot_key: str  # "DocumentRoot" (apache) or "root" (nginx)
    port_conf: str
    default_docroot: str
    log_path: str  # the access log


def _deps(spec: str, arch: str = "x86_64") -> tuple[Dep, ...]:
    out: list[Dep] = []
    for line in spec.strip().splitlines():
        fields = line.split()
        out.append((fields[0], fields[1], fields[2] if len(fields) > 2 else arch))
    return tuple(out)


def unit_text(description: str, exec_start: str) -> str:
    return (
        f"[Unit]\nDescription={description}\nAfter=network.target\n\n"
        f"[Service]\nExecStart={exec_start}\n\n[Install]\nWantedBy=multi-user.target\n"
    )


# -- file contents ---------------------------------------------------------------------------

HTTPD_CONF = """#
# This is the main Apache HTTP server configuration file.  It contains the
# configuration directives that give the server its instructions.
# See <URL:http://httpd.apache.org/docs/2.4/> for detailed information.
#
ServerRoot "/etc/httpd"

Listen 80

Include conf.modules.d/*.conf

User apache
Group apache

ServerAdmin root@localhost

<Directory />
    AllowOverride none
    Require all denied
</Directory>

DocumentRoot "/var/www/html"

<Directory "/var/www">
    AllowOverride None
    Require all granted
</Directory>

<Directory "/var/www/html">
    Options Indexes FollowSymLinks
    AllowOverride None
    Require all granted
</Directory>

<IfModule dir_module>
    DirectoryIndex index.html
</IfModule>

ErrorLog "logs/error_log"
LogLevel warn

<IfModule log_config_module>
    LogFormat "%h %l %u %t \\"%r\\" %>s %b \\"%{Referer}i\\" \\"%{User-Agent}i\\"" combined
    CustomLog "logs/access_log" combined
</IfModule>

AddDefaultCharset UTF-8

IncludeOptional conf.d/*.conf
"""

WELCOME_CONF = """#
# This configuration file enables the default "Welcome" page if there
# is no default index page present for the root URL.  To disable the
# Welcome page, comment out all the lines below.
#
# NOTE: if this file is removed, it will be restored on upgrades.
#
<LocationMatch "^/+$">
    Options -Indexes
    ErrorDocument 403 /.noindex.html
</LocationMatch>

<Directory /usr/share/httpd/noindex>
    AllowOverride None
    Require all granted
</Directory>

Alias /.noindex.html /usr/share/httpd/noindex/index.html
"""

# AL2023's httpd shows a bare "It works!" page when /var/www/html has no index.html.
NOINDEX_AL2023 = "<html><body><h1>It works!</h1></body></html>\n"

NOINDEX_AL2 = """<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.1//EN" "http://www.w3.org/TR/xhtml11/DTD/xhtml11.dtd">
<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="en">
\t<head>
\t\t<title>Test Page for the Apache HTTP Server</title>
\t\t<meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />
\t</head>
\t<body>
\t\t<h1>Test Page</h1>
\t\t<div class="content">
\t\t\t<p>This page is used to test the proper operation of the Apache HTTP server after it has been
\t\t\tinstalled. If you can read this page, it means that the web server installed at this site is
\t\t\tworking properly, but has not yet been configured.</p>
\t\t</div>
\t</body>
</html>
"""

NGINX_WELCOME = """<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
<style>
html { color-scheme: light dark; }
body { width: 35em; margin: 0 auto;
font-family: Tahoma, Verdana, Arial, sans-serif; }
</style>
</head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and
working. Further configuration is required.</p>

<p>For online documentation and support please refer to
<a href="http://nginx.org/">nginx.org</a>.<br/>
Commercial support is available at
<a href="http://nginx.com/">nginx.com</a>.</p>

<p><em>Thank you for using nginx.</em></p>
</body>
</html>
"""

NGINX_CONF_AL = """# For more information on configuration, see:
#   * Official English Documentation: http://nginx.org/en/docs/

user nginx;
worker_processes auto;
error_log /var/log/nginx/error.log notice;
pid /run/nginx.pid;

include /usr/share/nginx/modules/*.conf;

events {
    worker_connections 1024;
}

http {
    access_log  /var/log/nginx/access.log;

    sendfile            on;
    keepalive_timeout   65;

    include             /etc/nginx/mime.types;
    default_type        application/octet-stream;

    include /etc/nginx/conf.d/*.conf;

    server {
        listen       80;
        listen       [::]:80;
        server_name  _;
        root         /usr/share/nginx/html;

        error_page 404 /404.html;
        error_page 500 502 503 504 /50x.html;
    }
}
"""

NGINX_SITE_UBUNTU = """server {
\tlisten 80 default_server;
\tlisten [::]:80 default_server;

\troot /var/www/html;

\t# Add index.php to the list if you are using PHP
\tindex index.html index.htm index.nginx-debian.html;

\tserver_name _;

\tlocation / {
\t\ttry_files $uri $uri/ =404;
\t}
}
"""

APACHE2_SITE = """<VirtualHost *:80>
\tServerAdmin webmaster@localhost
\tDocumentRoot /var/www/html

\tErrorLog ${APACHE_LOG_DIR}/error.log
\tCustomLog ${APACHE_LOG_DIR}/access.log combined
</VirtualHost>
"""

APACHE2_PORTS = """# If you just change the port or add more ports here, you will likely also
# have to change the VirtualHost statement in
# /etc/apache2/sites-enabled/000-default.conf

Listen 80

<IfModule ssl_module>
\tListen 443
</IfModule>
"""

APACHE2_UBUNTU_INDEX = """<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
  <head>
    <meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />
    <title>Apache2 Ubuntu Default Page: It works</title>
  </head>
  <body>
    <div class="main_page">
      <div class="page_header floating_element">
        <span class="floating_element">Apache2 Ubuntu Default Page</span>
      </div>
      <div class="section_header">
        <div id="about"></div>
        It works!
      </div>
      <div class="content_section_text">
        <p>
          This is the default welcome page used to test the correct operation of the Apache2 server
          after installation on Ubuntu systems. If you can read this page, it means that the Apache
          HTTP server installed at this site is working properly. You should <b>replace this file</b>
          (located at <tt>/var/www/html/index.html</tt>) before continuing to operate your HTTP server.
        </p>
      </div>
    </div>
  </body>
</html>
"""

WEB_SPECS: dict[tuple[str, str], WebSpec] = {
    ("amzn", "httpd"): WebSpec(
        "apache", "/etc/httpd/conf/httpd.conf", "DocumentRoot", "/etc/httpd/conf/httpd.conf",
        "/var/www/html", "/var/log/httpd/access_log",
    ),
    ("amzn", "nginx"): WebSpec(
        "nginx", "/etc/nginx/nginx.conf", "root", "/etc/nginx/nginx.conf",
        "/usr/share/nginx/html", "/var/log/nginx/access.log",
    ),
    ("ubuntu", "apache2"): WebSpec(
        "apache", "/etc/apache2/sites-enabled/000-default.conf", "DocumentRoot", "/etc/apache2/ports.conf",
        "/var/www/html", "/var/log/apache2/access.log",
    ),
    ("ubuntu", "nginx"): WebSpec(
        "nginx", "/etc/nginx/sites-enabled/default", "root", "/etc/nginx/sites-enabled/default",
        "/var/www/html", "/var/log/nginx/access.log",
    ),
}


def web_spec(distro: str, service: str) -> WebSpec | None:
    return WEB_SPECS.get(("ubuntu" if distro == "ubuntu" else "amzn", service))


# -- the catalogue ------------------------------------------------------------------------------

_HTTPD_DIRS = (
    ("/etc/httpd", 0o755), ("/etc/httpd/conf", 0o755), ("/etc/httpd/conf.d", 0o755),
    ("/etc/httpd/conf.modules.d", 0o755), ("/var/www", 0o755), ("/var/www/html", 0o755),
    ("/var/www/cgi-bin", 0o755), ("/var/log/httpd", 0o700), ("/usr/share/httpd/noindex", 0o755),
)
_HTTPD_COMMON = {
    "commands": ("httpd", "apachectl", "htpasswd", "ab"),
    "service": "httpd",
    "description": "The Apache HTTP Server",
    "exec_start": "/usr/sbin/httpd $OPTIONS -DFOREGROUND",
    "dirs": _HTTPD_DIRS,
    "passwd": "apache:x:48:48:Apache:/usr/share/httpd:/sbin/nologin",
}
_NGINX_AL_COMMON = {
    "commands": ("nginx",),
    "service": "nginx",
    "description": "The nginx HTTP and reverse proxy server",
    "exec_start": "/usr/sbin/nginx",
    "files": (("/etc/nginx/nginx.conf", NGINX_CONF_AL), ("/usr/share/nginx/html/index.html", NGINX_WELCOME)),
    "dirs": (("/etc/nginx/conf.d", 0o755), ("/usr/share/nginx/html", 0o755), ("/var/log/nginx", 0o711)),
    "passwd": "nginx:x:991:991:Nginx web server:/var/lib/nginx:/sbin/nologin",
}
_DOCKER = {
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

_PROTECTED = {"bash", "coreutils", "sudo", "systemd", "dnf", "yum", "apt"}

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


def _size_k(name: str) -> int:
    """A stable, plausible package size in kB (real sizes would add nothing for a learner)."""
    return 12 + zlib.crc32(name.encode()) % 1400


def _text(lines: list[str]) -> str:
    return "".join(line + "\n" for line in lines)


def _fmt_size(kb: int) -> str:
    return f"{kb / 1024:.1f} M" if kb >= 1024 else f"{kb} k"


# -- installing into the instance ------------------------------------------------------------------


def _mkdirs(os: InstanceOS, path: str, mode: int = 0o755) -> None:
    if not os.fs.exists(path):
        _mkdirs(os, posixpath.dirname(path))
        os.fs.mkdir(path, mode=mode)


def lay_out(os: InstanceOS, pkg: Package) -> None:
    """Write the package's files, unit and system user; record it (and its dependencies)."""
    for path, mode in pkg.dirs:
        _mkdirs(os, path, mode)
        os.fs.chmod(path, mode)
    for path, text in pkg.files:
        _mkdirs(os, posixpath.dirname(path))
        os.fs.write_text(path, text)
    for command in pkg.commands:
        bin_dir = "/usr/sbin" if command in SBIN_COMMANDS else "/usr/bin"
        _mkdirs(os, bin_dir)
        os.fs.write_text(f"{bin_dir}/{command}", "")
        os.fs.chmod(f"{bin_dir}/{command}", 0o755)
    if pkg.service:
        unit = unit_text(pkg.description, pkg.exec_start)
        os.fs.write_text(f"/usr/lib/systemd/system/{pkg.service}.service", unit)
        os.register_service(pkg.service)
    if pkg.passwd and pkg.passwd.split(":")[0] not in os.passwd():
        os.fs.write_text("/etc/passwd", pkg.passwd + "\n", append=True)
    os.packages.add(pkg.name)
    os.packages.update(dep[0] for dep in pkg.deps)


def _remove(os: InstanceOS, pkg: Package) -> None:
    if pkg.service:
        os.stop_service(pkg.service)
        os.services.pop(pkg.service, None)
        unit = f"/usr/lib/systemd/system/{pkg.service}.service"
        if os.fs.exists(unit):
            os.fs.remove(unit)
    for path, _text in pkg.files:
        if os.fs.is_file(path):
            os.fs.remove(path)
    os.packages.discard(pkg.name)


# -- the package managers ------------------------------------------------------------------------


@dataclass
class PmResult:
    out: str = ""
    err: str = ""
    status: int = 0
    notice: str = ""  # stderr printed before the output (apt's "unstable CLI" warning)


@dataclass
class _Request:
    tool: str
    action: str
    names: list[str]
    yes: bool
    now: datetime


_VALUE_OPTIONS = {"-o", "-c", "-t", "-e", "-d", "-x", "--exclude", "--releasever", "--installroot"}
_WRITE_ACTIONS = {"install", "reinstall", "remove", "erase", "purge", "update", "upgrade", "dist-upgrade",
                  "full-upgrade", "autoremove", "makecache", "clean"}
_DPKG_DATABASE = "(Reading database ... 70641 files and directories currently installed.)"
_AL2_PLUGINS = "Loaded plugins: extras_suggestions, langpacks, priorities, update-motd\n"
_NOT_ROOT_DNF = ("Error: This command has to be run with superuser privileges "
                 "(under the root user on most systems).\n")


def run_package_manager(
    os: InstanceOS, tool: str, args: list[str], *, root: bool, interactive: bool, now: datetime | None = None
) -> PmResult:
    """Run `tool args` (dnf, yum, rpm, amazon-linux-extras, apt, apt-get) against the instance."""
    positional: list[str] = []
    yes = False
    skip_next = False
    for arg in args:
        if skip_next:
            skip_next = False
        elif arg in ("--yes", "--assumeyes", "--assume-yes") or re.fullmatch(r"-q*yq*", arg):
            yes = True
        elif arg in _VALUE_OPTIONS:
            skip_next = True
        elif not arg.startswith("-") or arg == "-":
            positional.append(arg)
    if tool == "rpm":
        return _rpm(os, args)
    req = _Request(tool, positional[0] if positional else "", positional[1:], yes, now or datetime.now(UTC))
    if tool == "amazon-linux-extras":
        return _extras(os, req, root)
    if tool in ("apt", "apt-get"):
        return _apt(os, req, root, interactive)
    if os.distro == "al2":
        return _yum(os, req, root)
    return _dnf(os, req, root)


def _table(title_rows: list[tuple[str, list[Dep]]], repo: str) -> list[str]:
    header = f" {'Package':<26} {'Arch':<8} {'Version':<27} {'Repository':<12} {'Size':>5}"
    lines = ["=" * 80, header, "=" * 80]
    for title, rows in title_rows:
        if rows:
            lines.append(title)
            lines += [f" {n:<26} {a:<8} {v:<27} {repo:<12} {_fmt_size(_size_k(n)):>5}" for n, v, a in rows]
    return lines


def _progress(verb: str, items: list[str], width: int) -> list[str]:
    total = len(items)
    return [f"  {verb:<{width}}: {item:<52} {i}/{total}" for i, item in enumerate(items, 1)]


def _plan(os: InstanceOS, names: list[str]) -> tuple[list[Package], list[Package], list[str]]:
    """Split requested names into (to install, already installed, unknown)."""
    new: list[Package] = []
    present: list[Package] = []
    missing: list[str] = []
    for name in names:
        pkg = lookup(os.distro, name)
        if pkg is None or (pkg.extras_topic and not _topic_enabled(os, pkg.extras_topic)):
            missing.append(name)
        elif pkg.name in os.packages:
            present.append(pkg)
        elif pkg not in new:
            new.append(pkg)
    return new, present, missing


def _new_deps(os: InstanceOS, pkgs: list[Package]) -> list[Dep]:
    seen = {p.name for p in pkgs} | os.packages
    deps: list[Dep] = []
    for pkg in pkgs:
        for dep in pkg.deps:
            if dep[0] not in seen:
                seen.add(dep[0])
                deps.append(dep)
    return deps


def _install_all(os: InstanceOS, pkgs: list[Package]) -> list[str]:
    """Lay the packages out; on Ubuntu their services start at once (Debian policy). Returns notes."""
    notes: list[str] = []
    for pkg in pkgs:
        lay_out(os, pkg)
        if os.distro == "ubuntu" and pkg.service:
            os.enable_service(pkg.service)
            notes.append(
                f"Created symlink /etc/systemd/system/multi-user.target.wants/{pkg.service}.service → "
                f"/usr/lib/systemd/system/{pkg.service}.service."
            )
            if os.start_service(pkg.service) == "failed":
                notes += [
                    f"Job for {pkg.service}.service failed because the control process exited with "
                    "error code.",
                    f'See "systemctl status {pkg.service}.service" and '
                    f'"journalctl -xeu {pkg.service}.service" for details.',
                    f'invoke-rc.d: initscript {pkg.service}, action "start" failed.',
                ]
    return notes


# dnf (Amazon Linux 2023) ------------------------------------------------------------------------


def _dnf_metadata(os: InstanceOS, now: datetime) -> list[str]:
    marker = "/var/cache/dnf/amazonlinux.solv"
    if os.fs.exists(marker):
        return [f"Last metadata expiration check: 0:00:02 ago on {now:%a %b %d %H:%M:%S %Y}."]
    _mkdirs(os, "/var/cache/dnf")
    os.fs.write_text(marker, "")
    return [
        "Amazon Linux 2023 repository                     44 MB/s |  30 MB     00:00",
        "Amazon Linux 2023 Kernel Livepatch repository    62 kB/s |  16 kB     00:00",
    ]


def _dnf(os: InstanceOS, req: _Request, root: bool) -> PmResult:
    action = {"erase": "remove", "update": "upgrade"}.get(req.action, req.action)
    if action not in ("install", "reinstall", "remove", "upgrade", "makecache", "clean", "list",
                      "autoremove"):
        if not action:
            return PmResult(err=f"usage: {req.tool} [options] COMMAND\nError: No command given.\n", status=1)
        return PmResult(err=f"No such command: {action}. Please use /usr/bin/{req.tool} --help\n", status=1)
    if action == "list":
        return PmResult(out=_rpm_list(os, "Installed Packages"))
    if not root:
        return PmResult(err=_NOT_ROOT_DNF, status=1)
    out = _dnf_metadata(os, req.now)
    if action == "makecache":
        return PmResult(out=_text([*out, "Metadata cache created."]))
    if action == "clean":
        return PmResult(out="17 files removed\n")
    if action == "remove":
        return _dnf_remove(os, req, out)
    if action in ("upgrade", "autoremove"):
        return PmResult(out=_text([*out, "Dependencies resolved.", "Nothing to do.", "Complete!"]))
    new, present, missing = _plan(os, req.names)
    out += [f"Package {nevra(p.name, p.version, p.arch)} is already installed." for p in present]
    if missing:
        out += [f"No match for argument: {name}" for name in missing]
        error = f"Error: Unable to find a match: {' '.join(missing)}\n"
        return PmResult(out=_text(out), err=error, status=1)
    if not req.names:
        return PmResult(out=_text(out), err="Error: Need to pass a list of pkgs to install\n", status=1)
    out.append("Dependencies resolved.")
    if not new:
        return PmResult(out=_text([*out, "Nothing to do.", "Complete!"]))
    deps = _new_deps(os, new)
    rows = [(p.name, p.version, p.arch) for p in new]
    out += _table([("Installing:", rows), ("Installing dependencies:", deps)], "amazonlinux")
    count = len(rows) + len(deps)
    total_k = sum(_size_k(n) for n, _v, _a in rows + deps)
    out += ["", "Transaction Summary", "=" * 80, f"Install  {count} Package{'s' if count > 1 else ''}", "",
            f"Total download size: {_fmt_size(total_k)}", f"Installed size: {_fmt_size(total_k * 3)}"]
    if not req.yes:
        return PmResult(out=_text(out) + "Is this ok [y/N]: Operation aborted.\n", status=1)
    items = [nevra(*d) for d in deps] + [nevra(*r) for r in rows]
    out += ["Downloading Packages:", "-" * 80,
            f"Total                                            21 MB/s | {_fmt_size(total_k)}B     00:00",
            "Running transaction check", "Transaction check succeeded.", "Running transaction test",
            "Transaction test succeeded.", "Running transaction",
            f"  {'Preparing':<17}:{'':<53}1/1"]
    out += _progress("Installing", items, 17) + _progress("Verifying", items, 17)
    out += ["", "Installed:"] + [f"  {item}" for item in items] + ["", "Complete!"]
    _install_all(os, new)
    return PmResult(out=_text(out))


def _dnf_remove(os: InstanceOS, req: _Request, out: list[str]) -> PmResult:
    protected = [n for n in req.names if n in _PROTECTED]
    if protected:
        return PmResult(err="Error: \n Problem: The operation would result in removing the following "
                            f"protected packages: {', '.join(protected)}\n", status=1)
    _new, present, missing = _plan(os, req.names)
    out += [f"No match for argument: {name}" for name in missing]
    if not present:
        out += ["No packages marked for removal.", "Dependencies resolved.", "Nothing to do.", "Complete!"]
        return PmResult(out=_text(out))
    rows = [(p.name, p.version, p.arch) for p in present]
    out += ["Dependencies resolved.", *_table([("Removing:", rows)], "@amazonlinux")]
    plural = "s" if len(rows) > 1 else ""
    out += ["", "Transaction Summary", "=" * 80, f"Remove  {len(rows)} Package{plural}", ""]
    if not req.yes:
        return PmResult(out=_text(out) + "Is this ok [y/N]: Operation aborted.\n", status=1)
    items = [nevra(*r) for r in rows]
    out += ["Running transaction", *_progress("Erasing", items, 17)]
    out += ["", "Removed:"] + [f"  {item}" for item in items] + ["", "Complete!"]
    for pkg in present:
        _remove(os, pkg)
    return PmResult(out=_text(out))


def _rpm_list(os: InstanceOS, title: str) -> str:
    lines = [title]
    for pkg in sorted(CATALOGUE[os.distro].values(), key=lambda p: p.name):
        if pkg.name in os.packages:
            repo = "@amzn2-core" if os.distro == "al2" else "@amazonlinux"
            lines.append(f"{pkg.name + '.' + pkg.arch:<40}{pkg.version:<28}{repo}")
    return _text(lines)


def _rpm(os: InstanceOS, args: list[str]) -> PmResult:
    if "-qa" in args:
        out = [nevra(p.name, p.version, p.arch) for p in CATALOGUE[os.distro].values()
               if p.name in os.packages]
        return PmResult(out="".join(line + "\n" for line in sorted(out)))
    if args[:1] == ["-q"] and len(args) > 1:
        out, err, status = [], [], 0
        for name in args[1:]:
            pkg = lookup(os.distro, name)
            if pkg is not None and pkg.name in os.packages:
                out.append(nevra(pkg.name, pkg.version, pkg.arch))
            else:
                out.append(f"package {name} is not installed")
                status = 1
        return PmResult(out="".join(line + "\n" for line in out), err="".join(err), status=status)
    return PmResult(err="lblab: only 'rpm -q NAME' and 'rpm -qa' are emulated\n", status=1)


# yum (Amazon Linux 2) and amazon-linux-extras ----------------------------------------------------------


def _topic_enabled(os: InstanceOS, topic: str) -> bool:
    repo = "/etc/yum.repos.d/amzn2-extras.repo"
    return os.distro != "al2" or (os.fs.is_file(repo) and f"[amzn2extra-{topic}]" in os.fs.read_text(repo))


def _yum_evr(version: str) -> str:
    return version if ":" in version else f"0:{version}"


def _yum(os: InstanceOS, req: _Request, root: bool) -> PmResult:
    action = {"erase": "remove", "upgrade": "update"}.get(req.action, req.action)
    if action not in ("install", "reinstall", "remove", "update", "makecache", "clean", "list"):
        error = f"No such command: {action or '(none)'}. Please use /usr/bin/yum --help\n"
        return PmResult(out=_AL2_PLUGINS, err=error, status=1)
    if action == "list":
        return PmResult(out=_AL2_PLUGINS + _rpm_list(os, "Installed Packages"))
    if not root:
        return PmResult(out=_AL2_PLUGINS, err="You need to be root to perform this command.\n", status=1)
    out = [_AL2_PLUGINS.rstrip("\n")]
    if action == "makecache":
        return PmResult(out=_text([*out, "Metadata Cache Created"]))
    if action == "clean":
        return PmResult(out=_text([*out, "Cleaning repos: amzn2-core", "Cleaning up everything"]))
    if action == "update":
        return PmResult(out=_text([*out, "No packages marked for update"]))
    if action == "remove":
        return _yum_remove(os, req, out)
    new, present, missing = _plan(os, req.names)
    out += [f"No package {name} available." for name in missing]
    out += [f"Package {nevra(p.name, p.version, p.arch)} already installed and latest version"
            for p in present]
    if not new:
        return PmResult(out=_text(out) + _extras_hint(os, missing), err="Error: Nothing to do\n",
                        status=1 if missing or not req.names else 0)
    deps = _new_deps(os, new)
    out += ["Resolving Dependencies", "--> Running transaction check"]
    out += [f"---> Package {p.name}.{p.arch} {_yum_evr(p.version)} will be installed" for p in new]
    for pkg in new:
        out += [f"--> Processing Dependency: {n} for package: {nevra(pkg.name, pkg.version, pkg.arch)}"
                for n, _v, _a in deps if (n, _v, _a) in pkg.deps]
    if deps:
        out.append("--> Running transaction check")
        out += [f"---> Package {n}.{a} {_yum_evr(v)} will be installed" for n, v, a in deps]
    rows = [(p.name, p.version, p.arch) for p in new]
    out += ["--> Finished Dependency Resolution", "", "Dependencies Resolved", ""]
    out += _table([("Installing:", rows), ("Installing for dependencies:", deps)], "amzn2-core")
    plural = "s" if len(rows) > 1 else ""
    summary = f"Install  {len(rows)} Package{plural}"
    if deps:
        summary += f" (+{len(deps)} Dependent packages)"
    total_k = sum(_size_k(n) for n, _v, _a in rows + deps)
    out += ["", "Transaction Summary", "=" * 80, summary, "", f"Total download size: {_fmt_size(total_k)}",
            f"Installed size: {_fmt_size(total_k * 3)}"]
    if not req.yes:
        stamp = f"{req.now:%Y-%m-%d.%H-%M}"
        saved = f"/tmp/yum_save_tx.{stamp}.x8Kq.yumtx"
        return PmResult(out=_text(out) + "Is this ok [y/d/N]: Exiting on user command\n"
                        f"Your transaction was saved, rerun it with:\n yum load-transaction {saved}\n",
                        status=1)
    items = [nevra(*d) for d in deps] + [nevra(*r) for r in rows]
    out += ["Downloading packages:", "-" * 80,
            f"Total                                               18 MB/s | {_fmt_size(total_k)}B  00:00:00",
            "Running transaction check", "Running transaction test", "Transaction test succeeded",
            "Running transaction"]
    out += _progress("Installing", items, 10) + _progress("Verifying", items, 10)
    out += ["", "Installed:", "  " + "  ".join(f"{n}.{a} {_yum_evr(v)}" for n, v, a in rows)]
    if deps:
        out += ["", "Dependency Installed:", "  " + "  ".join(f"{n}.{a} {_yum_evr(v)}" for n, v, a in deps)]
    out += ["", "Complete!"]
    _install_all(os, new)
    return PmResult(out=_text(out))


def _extras_hint(os: InstanceOS, missing: list[str]) -> str:
    hints = []
    for name in missing:
        pkg = lookup(os.distro, name)
        if pkg is not None and pkg.extras_topic:
            hints.append(
                f"\n\n{name} is available in Amazon Linux Extra topic \"{pkg.extras_topic}\"\n\nTo use, run\n"
                f"# sudo amazon-linux-extras install {pkg.extras_topic}\n\nLearn more at\n"
                "https://aws.amazon.com/amazon-linux-2/faqs/#Amazon_Linux_Extras\n"
            )
    return "".join(hints)


def _yum_remove(os: InstanceOS, req: _Request, out: list[str]) -> PmResult:
    _new, present, missing = _plan(os, req.names)
    out += [f"No Match for argument: {name}" for name in missing]
    if not present:
        return PmResult(out=_text([*out, "No Packages marked for removal"]))
    out += ["Resolving Dependencies", "--> Running transaction check"]
    out += [f"---> Package {p.name}.{p.arch} {_yum_evr(p.version)} will be erased" for p in present]
    out += ["--> Finished Dependency Resolution", ""]
    if not req.yes:
        return PmResult(out=_text(out) + "Is this ok [y/N]: Exiting on user command\n", status=1)
    items = [nevra(p.name, p.version, p.arch) for p in present]
    out += ["Running transaction", *_progress("Erasing", items, 10)]
    out += ["", "Removed:", "  " + "  ".join(f"{p.name}.{p.arch} {_yum_evr(p.version)}" for p in present),
            "", "Complete!"]
    for pkg in present:
        _remove(os, pkg)
    return PmResult(out=_text(out))


def _extras(os: InstanceOS, req: _Request, root: bool) -> PmResult:
    if req.action in ("", "list"):
        lines = [f" {i:>2}  {topic:<22} {'enabled' if _topic_enabled(os, topic) else 'available'}"
                 for i, topic in enumerate(EXTRAS_TOPICS, 1)]
        return PmResult(out=_text(lines))
    if req.action not in ("install", "enable"):
        return PmResult(err=f"lblab: 'amazon-linux-extras {req.action}' is not emulated\n", status=1)
    if not root:
        return PmResult(err="You lack permissions to write to system configuration.  "
                            "/etc/yum.repos.d/amzn2-extras.repo\n", status=1)
    unknown = [t for t in req.names if t not in EXTRAS_TOPICS]
    if unknown:
        return PmResult(err=f"Topic {unknown[0]} is not found.\n", status=1)
    repo = "/etc/yum.repos.d/amzn2-extras.repo"
    _mkdirs(os, "/etc/yum.repos.d")
    for topic in req.names:
        if not _topic_enabled(os, topic):
            os.fs.write_text(repo, f"[amzn2extra-{topic}]\nenabled = 1\n", append=True)
    names = [name for topic in req.names for name in EXTRAS_TOPICS[topic]]
    if req.action == "enable":
        return PmResult(out=f"Now you can install:\n # yum clean metadata\n # yum install {' '.join(names)}"
                            "\n")
    result = _yum(os, _Request("yum", "install", names, req.yes, req.now), root)
    result.out = f"Installing {' '.join(names)}\n" + result.out
    return result


# apt (Ubuntu) ------------------------------------------------------------------------------------


def _apt(os: InstanceOS, req: _Request, root: bool, interactive: bool) -> PmResult:
    warn = "" if interactive or req.tool == "apt-get" else (
        "\nWARNING: apt does not have a stable CLI interface. Use with caution in scripts.\n\n"
    )
    done = " Done" if interactive else ""
    reading = [f"Reading package lists...{done}", f"Building dependency tree...{done}",
               f"Reading state information...{done}"]
    action = req.action
    if action == "list":
        lines = ["Listing...", *(f"{p.name}/noble,now {p.version} {p.arch} [installed]"
                                 for p in sorted(CATALOGUE["ubuntu"].values(), key=lambda p: p.name)
                                 if p.name in os.packages)]
        return PmResult(out=_text(lines), notice=warn)
    if action not in _WRITE_ACTIONS:
        return PmResult(notice=warn, err=f"E: Invalid operation {action}\n", status=100)
    if not root:
        if action == "update":
            return PmResult(out=reading[0] + "\n", notice=warn, status=100,
                            err="E: Could not open lock file /var/lib/apt/lists/lock - open (13: Permission "
                                "denied)\nE: Unable to lock directory /var/lib/apt/lists/\n")
        return PmResult(notice=warn, status=100,
                        err="E: Could not open lock file /var/lib/dpkg/lock-frontend - open (13: Permission "
                            "denied)\nE: Unable to acquire the dpkg frontend lock "
                            "(/var/lib/dpkg/lock-frontend), are you root?\n")
    if action == "update":
        mirror = f"http://{os.metadata.get('placement/region', 'us-east-1')}.ec2.archive.ubuntu.com/ubuntu"
        lines = [f"Hit:1 {mirror} noble InRelease", f"Get:2 {mirror} noble-updates InRelease [126 kB]",
                 f"Get:3 {mirror} noble-backports InRelease [126 kB]",
                 "Get:4 http://security.ubuntu.com/ubuntu noble-security InRelease [126 kB]",
                 "Fetched 378 kB in 1s (412 kB/s)", reading[0]]
        if req.tool == "apt":
            lines += [*reading[1:], "All packages are up to date."]
        return PmResult(out=_text(lines), notice=warn)
    if action in ("upgrade", "dist-upgrade", "full-upgrade", "autoremove", "clean"):
        tail = [] if action == "clean" else ["0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded."]
        return PmResult(out=_text(([] if action == "clean" else reading) + tail), notice=warn)
    if action in ("remove", "purge"):
        return _apt_remove(os, req, reading, warn)
    new, present, missing = _plan(os, req.names)
    if missing:
        return PmResult(out=_text(reading), notice=warn, err=f"E: Unable to locate package {missing[0]}\n",
                        status=100)
    out = reading + [f"{p.name} is already the newest version ({p.version})." for p in present]
    if not new:
        out.append("0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.")
        return PmResult(out=_text(out), notice=warn)
    deps = _new_deps(os, new)
    every = deps + [(p.name, p.version, p.arch) for p in new]
    total_k = sum(_size_k(n) for n, _v, _a in every)
    if deps:
        out += ["The following additional packages will be installed:",
                "  " + " ".join(n for n, _v, _a in deps)]
    out += ["The following NEW packages will be installed:",
            "  " + " ".join(sorted(n for n, _v, _a in every)),
            f"0 upgraded, {len(every)} newly installed, 0 to remove and 0 not upgraded.",
            f"Need to get {total_k} kB of archives.",
            f"After this operation, {total_k * 3} kB of additional disk space will be used."]
    if not req.yes:
        return PmResult(out=_text(out) + "Do you want to continue? [Y/n] Abort.\n", notice=warn, status=1)
    mirror = f"http://{os.metadata.get('placement/region', 'us-east-1')}.ec2.archive.ubuntu.com/ubuntu"
    out += [f"Get:{i} {mirror} noble/main {a} {n} {a} {v} [{_size_k(n)} kB]"
            for i, (n, v, a) in enumerate(every, 1)]
    out.append(f"Fetched {total_k} kB in 0s ({total_k * 12} kB/s)")
    for i, (n, v, a) in enumerate(every):
        out += [f"Selecting previously unselected package {n}.",
                *([_DPKG_DATABASE] if i == 0 else []),
                f"Preparing to unpack .../{i}-{n}_{v.split(':')[-1]}_{a}.deb ...", f"Unpacking {n} ({v}) ..."]
    notes = _install_all(os, new)
    out += [f"Setting up {n} ({v}) ..." for n, v, _a in every] + notes
    out += ["Processing triggers for man-db (2.12.0-4build2) ...",
            "Processing triggers for ufw (0.36.2-6) ..."]
    return PmResult(out=_text(out), notice=warn)


def _apt_remove(os: InstanceOS, req: _Request, reading: list[str], warn: str) -> PmResult:
    _new, present, missing = _plan(os, req.names)
    unknown = [name for name in missing if lookup(os.distro, name) is None]
    if unknown:
        return PmResult(out=_text(reading), notice=warn, status=100,
                        err=f"E: Unable to locate package {unknown[0]}\n")
    out = reading + [f"Package '{name}' is not installed, so not removed" for name in missing]
    out.append(f"0 upgraded, 0 newly installed, {len(present)} to remove and 0 not upgraded.")
    if present and not req.yes:
        return PmResult(out=_text(out) + "Do you want to continue? [Y/n] Abort.\n", notice=warn, status=1)
    out += [f"Removing {p.name} ({p.version}) ..." for p in present]
    for pkg in present:
        _remove(os, pkg)
    return PmResult(out=_text(out), notice=warn)
