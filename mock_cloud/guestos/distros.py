"""The AMIs' distros: os-release, users, kernels, cloud-init versions, base directories and hosts.

Data only, apart from `InstanceOS` so the OS logic reads short: what differs between Amazon Linux
2023, Amazon Linux 2 and Ubuntu is all here.
"""

from __future__ import annotations

from dataclasses import dataclass

UNIT_DIR = "/usr/lib/systemd/system"


@dataclass(frozen=True)
class Distro:
    key: str
    os_release: str
    system_release: str
    login_user: str
    passwd: str
    groups: str  # what `id` prints after gid= for the login user
    kernel: str
    kernel_build: str
    cloud_init: str
    cloud_init_module: str  # where cc_scripts_user lives, quoted by cloud-init's failure warning
    syslog: str
    selinux: bool  # `ls -l` shows the SELinux dot after the mode
    full_hostname: bool  # `hostname` prints the FQDN (Amazon Linux) rather than the short name
    home_mode: int
    base_services: tuple[tuple[str, str, str], ...]  # name, Description=, ExecStart=


_AL_PASSWD = """root:x:0:0:root:/root:/bin/bash
bin:x:1:1:bin:/bin:/sbin/nologin
daemon:x:2:2:daemon:/sbin:/sbin/nologin
adm:x:3:4:adm:/var/adm:/sbin/nologin
nobody:x:65534:65534:Kernel Overflow User:/:/sbin/nologin
sshd:x:74:74:Privilege-separated SSH:/usr/share/empty.sshd:/sbin/nologin
chrony:x:996:993:chrony system user:/var/lib/chrony:/sbin/nologin
ec2-user:x:1000:1000:EC2 Default User:/home/ec2-user:/bin/bash
"""

_AL_SERVICES = (
    ("sshd", "OpenSSH server daemon", "/usr/sbin/sshd -D $OPTIONS"),
    ("chronyd", "NTP client/server", "/usr/sbin/chronyd $OPTIONS"),
    ("amazon-ssm-agent", "amazon-ssm-agent", "/usr/bin/amazon-ssm-agent"),
)

DISTROS: dict[str, Distro] = {
    "al2023": Distro(
        key="al2023",
        os_release="""NAME="Amazon Linux"
VERSION="2023"
ID="amzn"
ID_LIKE="fedora"
VERSION_ID="2023"
PLATFORM_ID="platform:al2023"
PRETTY_NAME="Amazon Linux 2023.9.20261030"
ANSI_COLOR="0;33"
CPE_NAME="cpe:2.3:o:amazon:amazon_linux:2023"
HOME_URL="https://aws.amazon.com/linux/amazon-linux-2023/"
DOCUMENTATION_URL="https://docs.aws.amazon.com/linux/"
SUPPORT_URL="https://aws.amazon.com/premiumsupport/"
BUG_REPORT_URL="https://github.com/amazonlinux/amazon-linux-2023"
VENDOR_NAME="AWS"
VENDOR_URL="https://aws.amazon.com/"
SUPPORT_END="2029-06-30"
""",
        system_release="Amazon Linux release 2023.9.20261030 (Amazon Linux)\n",
        login_user="ec2-user",
        passwd=_AL_PASSWD,
        groups="1000(ec2-user),4(adm),10(wheel),190(systemd-journal)",
        kernel="6.1.112-122.189.amzn2023.x86_64",
        kernel_build="#1 SMP PREEMPT_DYNAMIC Tue Oct  8 17:04:41 UTC 2024",
        cloud_init="22.2.2",
        cloud_init_module="/usr/lib/python3.9/site-packages/cloudinit/config/cc_scripts_user.py",
        syslog="/var/log/messages",
        selinux=True,
        full_hostname=True,
        home_mode=0o700,
        base_services=_AL_SERVICES,
    ),
    "al2": Distro(
        key="al2",
        os_release="""NAME="Amazon Linux"
VERSION="2"
ID="amzn"
ID_LIKE="centos rhel fedora"
VERSION_ID="2"
PRETTY_NAME="Amazon Linux 2"
ANSI_COLOR="0;33"
CPE_NAME="cpe:2.3:o:amazon:amazon_linux:2"
HOME_URL="https://amazonlinux.com/"
SUPPORT_END="2026-06-30"
""",
        system_release="Amazon Linux release 2 (Karoo)\n",
        login_user="ec2-user",
        passwd=_AL_PASSWD,
        groups="1000(ec2-user),4(adm),10(wheel),190(systemd-journal)",
        kernel="5.10.227-219.884.amzn2.x86_64",
        kernel_build="#1 SMP Tue Oct 22 16:38:23 UTC 2024",
        cloud_init="19.3-46.amzn2.0.2",
        cloud_init_module="/usr/lib/python2.7/site-packages/cloudinit/config/cc_scripts_user.pyc",
        syslog="/var/log/messages",
        selinux=False,
        full_hostname=True,
        home_mode=0o700,
        base_services=(
            *_AL_SERVICES,
            ("crond", "Command Scheduler", "/usr/sbin/crond -n $CRONDARGS"),
            ("rsyslog", "System Logging Service", "/usr/sbin/rsyslogd -n $SYSLOGD_OPTIONS"),
        ),
    ),
    "ubuntu": Distro(
        key="ubuntu",
        os_release="""PRETTY_NAME="Ubuntu 24.04.3 LTS"
NAME="Ubuntu"
VERSION_ID="24.04"
VERSION="24.04.3 LTS (Noble Numbat)"
VERSION_CODENAME=noble
ID=ubuntu
ID_LIKE=debian
HOME_URL="https://www.ubuntu.com/"
SUPPORT_URL="https://help.ubuntu.com/"
BUG_REPORT_URL="https://bugs.launchpad.net/ubuntu/"
PRIVACY_POLICY_URL="https://www.ubuntu.com/legal/terms-and-policies/privacy-policy"
UBUNTU_CODENAME=noble
LOGO=ubuntu-logo
""",
        system_release="",
        login_user="ubuntu",
        passwd="""root:x:0:0:root:/root:/bin/bash
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
bin:x:2:2:bin:/bin:/usr/sbin/nologin
www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
sshd:x:106:65534::/run/sshd:/usr/sbin/nologin
ubuntu:x:1000:1000:Ubuntu:/home/ubuntu:/bin/bash
""",
        groups="1000(ubuntu),4(adm),24(cdrom),27(sudo),30(dip),105(lxd)",
        kernel="6.8.0-1018-aws",
        kernel_build="#19-Ubuntu SMP Mon Oct  7 20:55:06 UTC 2024",
        cloud_init="24.4-0ubuntu1~24.04.2",
        cloud_init_module="/usr/lib/python3/dist-packages/cloudinit/config/cc_scripts_user.py",
        syslog="/var/log/syslog",
        selinux=False,
        full_hostname=False,
        home_mode=0o750,
        base_services=(
            ("ssh", "OpenBSD Secure Shell server", "/usr/sbin/sshd -D"),
            ("chrony", "chrony, an NTP client/server", "/usr/sbin/chronyd -F 1"),
            ("cron", "Regular background program processing daemon", "/usr/sbin/cron -f -P"),
            ("rsyslog", "System Logging Service", "/usr/sbin/rsyslogd -n -iNONE"),
        ),
    ),
}

BASE_DIRS = (
    "/boot", "/dev", "/etc", "/etc/systemd/system", "/etc/sudoers.d", "/home", "/mnt", "/opt", "/proc",
    "/run", "/srv", "/usr", "/usr/bin", "/usr/sbin", "/usr/lib", UNIT_DIR, "/usr/local", "/usr/local/bin",
    "/usr/share",
    "/var", "/var/cache", "/var/lib", "/var/lib/cloud", "/var/lib/cloud/instance",
    "/var/lib/cloud/instance/scripts", "/var/log",
)

UBUNTU_HOSTS = """127.0.0.1 localhost

# The following lines are desirable for IPv6 capable hosts
::1 ip6-localhost ip6-loopback
fe00::0 ip6-localnet
ff00::0 ip6-mcastprefix
ff02::1 ip6-allnodes
ff02::2 ip6-allrouters
"""
AL_HOSTS = """127.0.0.1   localhost localhost.localdomain localhost4 localhost4.localdomain4
::1         localhost6 localhost6.localdomain6
"""
