"""The instance shell: user data (cloud-init) and the Connect terminal, interpreted on a VirtualFS."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from mock_cloud.guestos.cloud_init import run_user_data
from mock_cloud.guestos.instance_os import InstanceOS
from mock_cloud.guestos.shell.limits import MAX_SECONDS
from mock_cloud.guestos.shell.session import Shell
from mock_cloud.scenarios import SEED_USER_DATA

HOSTNAME = "ip-172-31-5-10.ap-northeast-2.compute.internal"
METADATA = {
    "instance-id": "i-0123456789abcdef0",
    "instance-type": "t3.micro",
    "ami-id": "ami-0c9c942bd7bf113a2",
    "local-ipv4": "172.31.5.10",
    "local-hostname": HOSTNAME,
    "hostname": HOSTNAME,
    "placement/availability-zone": "ap-northeast-2a",
    "placement/region": "ap-northeast-2",
    "security-groups": "web-sg",
}



def make_os(distro: str = "al2023") -> InstanceOS:
    os = InstanceOS.base_image(distro, hostname=HOSTNAME, metadata=METADATA)
    os.boot()
    return os


def run(script: str, distro: str = "al2023") -> tuple[InstanceOS, str]:
    os = make_os(distro)
    return os, run_user_data(os, script)


def sh(os: InstanceOS, *lines: str, user: str | None = None) -> str:
    shell = Shell(os, user=user)
    return "".join(shell.run(line).output for line in lines)


# -- user data --------------------------------------------------------------------------------------


def test_seed_user_data_installs_and_serves_apache() -> None:
    os, log = run(SEED_USER_DATA)
    assert "httpd" in os.packages
    assert os.services["httpd"].enabled and os.services["httpd"].active
    assert os.fs.read_text("/var/www/html/index.html") == f"<h1>Hello World from {HOSTNAME}</h1>\n"
    assert [(s.name, s.flavor, s.docroot, s.port) for s in os.web_servers()] == [
        ("httpd", "apache", "/var/www/html", 80)
    ]
    assert log.startswith("Cloud-init v. 22.2.2 running 'init' at ")
    assert "Cloud-init v. 22.2.2 running 'modules:final' at " in log
    assert "Installing       : httpd-2.4.62-1.amzn2023.x86_64" in log
    assert "Created symlink /etc/systemd/system/multi-user.target.wants/httpd.service" in log
    assert log.rstrip().splitlines()[-1].startswith("Cloud-init v. 22.2.2 finished at ")
    assert os.fs.read_text("/var/log/cloud-init-output.log") == log
    assert "Started httpd.service - The Apache HTTP Server." in os.fs.read_text("/var/log/messages")
    assert os.fs.read_text("/var/lib/cloud/instance/user-data.txt") == SEED_USER_DATA


def test_user_data_without_shebang_does_not_run_and_says_why() -> None:
    os, log = run(SEED_USER_DATA.split("\n", 1)[1])
    assert "httpd" not in os.packages
    assert not os.fs.exists("/var/www/html")
    assert ("__init__.py[WARNING]: Unhandled non-multipart (text/x-not-multipart) userdata: "
            "'b'# Use this for your user'...'") in log
    assert "does not start with '#!'" in log


def test_user_data_runs_only_once() -> None:
    os, first = run("#!/bin/bash\necho run >> /root/count\n")
    assert os.user_data_ran
    assert run_user_data(os, "#!/bin/bash\necho run >> /root/count\n") == ""
    assert os.fs.read_text("/root/count") == "run\n"
    assert os.fs.read_text("/var/log/cloud-init-output.log") == first


def test_unknown_command_is_skipped_logged_and_the_script_goes_on() -> None:
    os, log = run("#!/bin/bash\nfrobnicate --all\necho after > /tmp/after\n")
    assert "lblab: 'frobnicate' is not emulated; skipped" in log
    assert os.fs.read_text("/tmp/after") == "after\n"


def test_failing_script_gets_cloud_init_warnings() -> None:
    _os, log = run("#!/bin/bash\nfalse\n")
    assert "subp.py[WARNING]: Failed running /var/lib/cloud/instance/scripts/part-001 [1]" in log
    assert "cc_scripts_user.py[WARNING]: Failed to run module scripts-user" in log


def test_leading_blank_line_and_crlf_are_refused_like_the_kernel_does() -> None:
    os, log = run("\n#!/bin/bash\ntouch /tmp/x\n")
    assert not os.fs.exists("/tmp/x") and "Exec format error" in log
    os, log = run("#!/bin/bash\r\ntouch /tmp/x\r\n")
    assert not os.fs.exists("/tmp/x") and "CRLF" in log


def test_shebang_options_enable_errexit_and_xtrace() -> None:
    os, log = run("#!/bin/bash -xe\necho one\nfalse\necho two > /tmp/two\n")
    assert "+ echo one\none\n+ false\n" in log
    assert not os.fs.exists("/tmp/two")


def test_cloud_config_packages_write_files_and_runcmd() -> None:
    os, log = run(
        "#cloud-config\npackages:\n  - httpd\nwrite_files:\n  - path: /var/www/html/index.html\n"
        "    content: hello from cloud-config\nruncmd:\n  - systemctl enable --now httpd\n"
        "  - [sh, -c, 'echo done > /tmp/done']\nusers:\n  - default\n"
    )
    assert os.fs.is_file("/var/lib/cloud/instance/scripts/runcmd")
    assert "httpd" in os.packages and os.services["httpd"].active
    assert os.fs.read_text("/var/www/html/index.html") == "hello from cloud-config"
    assert os.fs.read_text("/tmp/done") == "done\n"
    assert "cloud-config key 'users' is not emulated" in log


def test_ubuntu_apache2_starts_at_install_with_its_default_page() -> None:
    os, log = run("#!/bin/bash\napt-get update\napt-get install -y apache2\n", distro="ubuntu")
    assert os.services["apache2"].active and os.services["apache2"].enabled
    assert "Apache2 Ubuntu Default Page" in os.fs.read_text("/var/www/html/index.html")
    assert "Setting up apache2 (2.4.58-1ubuntu8.5) ..." in log
    assert "Started apache2.service - The Apache HTTP Server." in os.fs.read_text("/var/log/syslog")


def test_package_managers_follow_their_distro() -> None:
    os, log = run("#!/bin/bash\nyum install -y nosuchpkg\napt-get install -y nginx\ndnf install httpd\n")
    assert "No match for argument: nosuchpkg" in log and "Error: Unable to find a match: nosuchpkg" in log
    assert "apt-get: command not found" in log
    assert "Is this ok [y/N]: Operation aborted." in log and "httpd" not in os.packages
    _os, log = run("#!/bin/bash\nyum install -y httpd\napt-get install -y foo\n", distro="ubuntu")
    assert "yum: command not found" in log and "E: Unable to locate package foo" in log


def test_amazon_linux_2_yum_and_extras() -> None:
    os, log = run("#!/bin/bash\nyum install -y nginx\namazon-linux-extras install -y nginx1\n", distro="al2")
    assert "No package nginx available." in log and 'Amazon Linux Extra topic "nginx1"' in log
    assert "---> Package nginx.x86_64 1:1.22.1-1.amzn2.0.3 will be installed" in log
    assert "nginx" in os.packages
    assert "Loaded plugins: extras_suggestions, langpacks, priorities, update-motd" in log


# -- the language ---------------------------------------------------------------------------------------


def test_quoting_variables_and_substitution() -> None:
    line = """A=world; B='$A'; echo "hello $A" '$A' $B "${A}s" \\$A `echo tick` "$(echo "in $A")" """
    out = sh(make_os(), line)
    assert out == "hello world $A $A worlds $A tick in world\n"


def test_word_splitting_and_positional_parameters() -> None:
    os = make_os()
    out = sh(os, 'X="a  b"; for w in $X "$X"; do echo "[$w]"; done',
             'f() { echo "$#:$1:$2"; for a in "$@"; do echo "<$a>"; done; }; f "1 2" 3')
    assert out == "[a]\n[b]\n[a  b]\n2:1 2:3\n<1 2>\n<3>\n"


def test_and_or_lists_and_exit_status() -> None:
    out = sh(make_os(), "true && echo yes || echo no", "false && echo yes || echo no", "false; echo $?",
             "! false && echo negated")
    assert out == "yes\nno\n1\nnegated\n"


def test_heredocs_expand_unless_quoted_and_strip_tabs() -> None:
    os, _log = run(
        "#!/bin/bash\nNAME=web\ncat > /tmp/a <<EOF\nhi $NAME $(hostname -s)\nEOF\n"
        "cat > /tmp/b <<'EOF'\nhi $NAME\nEOF\ncat <<-END > /tmp/c\n\tindented\n\tEND\necho after > /tmp/d\n"
    )
    assert os.fs.read_text("/tmp/a") == "hi web ip-172-31-5-10\n"
    assert os.fs.read_text("/tmp/b") == "hi $NAME\n"
    assert os.fs.read_text("/tmp/c") == "indented\n"
    assert os.fs.read_text("/tmp/d") == "after\n"


def test_if_while_for_case_and_arithmetic() -> None:
    os = make_os()
    out = sh(os, "touch /tmp/f; if [ -f /tmp/f ]; then echo file; elif true; then echo no; else echo no; fi",
             "i=0; while [ $i -lt 3 ]; do i=$((i + 1)); done; echo $i",
             "for x in a b c; do [ $x = b ] && continue; echo $x; done",
             'case "web-1" in db*) echo db;; web-*|app) echo web;; *) echo other;; esac',
             "echo $(( (2 + 3) * 4 % 7 )) $((10 / 3)) $(( -7 / 2 ))")
    assert out == "file\n3\na\nc\nweb\n6 3 -3\n"


def test_redirections_pipes_and_line_continuations() -> None:
    os = make_os()
    out = sh(os, "cd /tmp && echo one > f && echo two >> f && cat < f | grep -c o",
             "ls /nope 2>/dev/null || echo missing", "ls /nope > /tmp/err 2>&1; cat /tmp/err",
             "echo a \\\n  b", "echo x; # a comment\necho y")
    assert out == ("2\nmissing\nls: cannot access '/nope': No such file or directory\na b\nx\ny\n")


def test_set_e_stops_but_conditions_do_not() -> None:
    os, _log = run("#!/bin/bash\nset -euo pipefail\nif false; then :; fi\nfalse || true\n"
                  "echo reached > /tmp/r\nfalse\necho never > /tmp/n\n")
    assert os.fs.read_text("/tmp/r") == "reached\n"
    assert not os.fs.exists("/tmp/n")


def test_syntax_error_stops_the_script_where_bash_would() -> None:
    os, log = run("#!/bin/bash\necho before > /tmp/b\nfi\necho after > /tmp/a\n")
    assert os.fs.read_text("/tmp/b") == "before\n"
    assert not os.fs.exists("/tmp/a")
    assert "part-001: line 3: syntax error near unexpected token `fi'" in log


def test_grep_sed_and_the_classic_az_script() -> None:
    os, _log = run(
        "#!/bin/bash\nyum install -y httpd\nsystemctl enable --now httpd\n"
        "EC2_AZ=$(curl -s http://169.254.169.254/latest/meta-data/placement/availability-zone)\n"
        "echo '<center><h1>This Amazon EC2 instance is located in Availability Zone: AZID </h1></center>'"
        " > /var/www/html/index.txt\n"
        "sed \"s/AZID/$EC2_AZ/\" /var/www/html/index.txt > /var/www/html/index.html\n"
        "sed -i 's/^Listen 80$/Listen 8080/' /etc/httpd/conf/httpd.conf\nsystemctl restart httpd\n"
    )
    assert "Availability Zone: ap-northeast-2a" in os.fs.read_text("/var/www/html/index.html")
    assert [s.port for s in os.web_servers()] == [8080]
    out = sh(os, "grep -n '^Listen' /etc/httpd/conf/httpd.conf", "echo Hello World | sed -E 's/(o+)/[\\1]/g'",
             "printf 'b\\na\\nb\\n' | sort | uniq -c")
    assert out == "8:Listen 8080\nHell[o] W[o]rld\n      1 a\n      2 b\n"


def test_grep_options_and_globs() -> None:
    os = make_os()
    out = sh(os, "grep -o 'ID=\"[a-z]*\"' /etc/os-release", "grep -w -c Linux /etc/os-release",
             "cd / && ls -d */ | head -2", "grep -q nothing /etc/hosts || echo absent")
    assert out == 'ID="amzn"\n2\nboot/\ndev/\nabsent\n'


def test_sudo_workarounds_for_root_owned_files() -> None:
    os, _log = run(SEED_USER_DATA)
    out = sh(os, "cat <<EOF | sudo tee /var/www/html/a.html\n<p>$(hostname -s)</p>\nEOF",
             "sudo bash -c 'echo b > /var/www/html/b.html'", "sudo sh -c 'cat /var/www/html/b.html'")
    assert out == "<p>ip-172-31-5-10</p>\nb\n"


def test_regex_is_linear_time_even_for_pathological_patterns() -> None:
    os = make_os()
    started = time.monotonic()
    out = sh(os, "printf 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' | grep -E '(a*)*b' || echo nomatch")
    assert out == "nomatch\n"
    # Backtracking would take 2**44 steps, not seconds: a generous bound still tells them apart on a busy machine.
    assert time.monotonic() - started < 10


# -- instance metadata and curl -----------------------------------------------------------------------------


def test_metadata_service_v1_and_v2() -> None:
    os = make_os()
    base = "http://169.254.169.254/latest"
    assert sh(os, f"curl -s {base}/meta-data/local-ipv4") == "172.31.5.10"
    assert sh(os, f"curl -s {base}/meta-data/instance-id") == "i-0123456789abcdef0"
    assert sh(os, f"curl {base}/meta-data/placement/availability-zone") == "ap-northeast-2a"
    listing = sh(os, f"curl -s {base}/meta-data/").split("\n")
    assert "local-ipv4" in listing and "placement/" in listing
    token_flow = (f'TOKEN=$(curl -s -X PUT "{base}/api/token" '
                  '-H "X-aws-ec2-metadata-token-ttl-seconds: 21600");'
                  f' curl -s -H "X-aws-ec2-metadata-token: $TOKEN" {base}/meta-data/instance-type')
    assert sh(os, token_flow) == "t3.micro"
    assert "404 - Not Found" in sh(os, f"curl -s {base}/meta-data/public-ipv4")
    os.http_tokens = "required"
    assert "401 - Unauthorized" in sh(os, f"curl -s {base}/meta-data/instance-id")
    assert sh(os, token_flow) == "t3.micro"


def test_curl_localhost_needs_a_running_web_server() -> None:
    os = make_os()
    assert sh(os, "curl localhost") == (
        "curl: (7) Failed to connect to localhost port 80 after 0 ms: Couldn't connect to server\n")
    run_user_data(os, SEED_USER_DATA)
    assert sh(os, "curl -s http://localhost/") == f"<h1>Hello World from {HOSTNAME}</h1>\n"
    assert sh(os, "curl -s -o /dev/null -w '%{http_code}\\n' 172.31.5.10/nope") == "404\n"
    calls: list[tuple[str, str]] = []

    def handler(method: str, path: str) -> tuple[int, dict[str, str], bytes]:
        calls.append((method, path))
        return 200, {"Content-Type": "text/plain"}, b"from the runtime\n"

    os.http_handler = handler
    assert sh(os, "curl -sI localhost/health").startswith("HTTP/1.1 200 OK\r\n")
    assert sh(os, "wget -qO- localhost") == "from the runtime\n"
    assert calls == [("HEAD", "/health"), ("GET", "/")]
    assert "not emulated" in sh(os, "curl -s https://example.com")


# -- the Connect terminal ----------------------------------------------------------------------------------


def test_connect_shell_is_ec2_user_and_sudo_controls_services() -> None:
    os, _log = run(SEED_USER_DATA)
    shell = Shell(os)
    assert shell.prompt == "[ec2-user@ip-172-31-5-10 ~]$ "
    refused = shell.run("systemctl stop httpd")
    assert refused.exit_code == 1 and "Access denied" in refused.output and os.services["httpd"].active
    assert shell.run("sudo systemctl stop httpd").exit_code == 0
    assert not os.services["httpd"].active and os.services["httpd"].enabled
    assert "Stopped httpd.service - The Apache HTTP Server." in os.fs.read_text("/var/log/messages")
    assert shell.run("systemctl is-active httpd").output == "inactive\n"
    assert shell.run("sudo systemctl start httpd").exit_code == 0 and os.services["httpd"].active


def test_permissions_without_and_with_sudo() -> None:
    os, _log = run(SEED_USER_DATA)
    shell = Shell(os)
    result = shell.run("echo hacked > /var/www/html/index.html")
    assert result.exit_code == 1 and result.output == "-bash: /var/www/html/index.html: Permission denied\n"
    result = shell.run("sudo echo hacked > /var/www/html/index.html")  # the redirection is not sudo's
    assert "Permission denied" in result.output
    assert shell.run("yum install -y git").output == (
        "Error: This command has to be run with superuser privileges "
        "(under the root user on most systems).\n")
    assert shell.run("echo new | sudo tee /var/www/html/index.html").output == "new\n"
    assert os.fs.read_text("/var/www/html/index.html") == "new\n"
    assert "Permission denied" in shell.run("cat /var/log/messages").output
    assert "Permission denied" in shell.run("ls /root").output
    shell.run("sudo chown -R ec2-user /var/www/html")
    assert shell.run("echo mine > /var/www/html/me.html").exit_code == 0
    assert shell.run("git --version").output == "-bash: git: command not found\n"


def test_sudo_i_switches_to_root_until_exit() -> None:
    shell = Shell(make_os())
    shell.run("cd /tmp")
    shell.run("sudo -i")
    assert shell.user == "root" and shell.cwd == "/root" and shell.prompt == "[root@ip-172-31-5-10 ~]# "
    assert shell.run("whoami").output == "root\n"
    assert shell.run("exit").output == "logout\n"
    assert shell.user == "ec2-user" and shell.cwd == "/tmp"
    assert shell.prompt == "[ec2-user@ip-172-31-5-10 tmp]$ "
    shell.run("sudo su -")
    assert shell.user == "root" and shell.run("exit").output == "logout\n" and shell.user == "ec2-user"
    closed = shell.run("exit")
    assert closed.closed and closed.output == "logout\n"


def test_shell_keeps_cwd_and_variables_between_lines() -> None:
    shell = Shell(make_os())
    shell.run("mkdir -p work/site && cd work/site")
    shell.run("export GREETING=hi")
    assert shell.run("pwd").output == "/home/ec2-user/work/site\n"
    assert shell.run('echo "$GREETING from $(hostname)"').output == f"hi from {HOSTNAME}\n"
    assert shell.run("env | grep GREETING").output == "GREETING=hi\n"


def test_ubuntu_login_and_short_hostname() -> None:
    shell = Shell(make_os("ubuntu"))
    assert shell.user == "ubuntu" and shell.prompt == "ubuntu@ip-172-31-5-10:~$ "
    assert shell.run("hostname; hostname -f").output == f"ip-172-31-5-10\n{HOSTNAME}\n"
    assert "PRETTY_NAME=\"Ubuntu 24.04" in shell.run("cat /etc/os-release").output


# -- the instance OS -------------------------------------------------------------------------------------


def test_boot_state_survives_stop_start_and_persistence() -> None:
    os, _log = run(SEED_USER_DATA)
    os.reset_boot_state()
    assert not os.services["httpd"].active and os.services["httpd"].enabled and not os.web_servers()
    restored = InstanceOS.from_dict(os.to_dict())
    restored.boot()
    assert restored.services["httpd"].active
    assert restored.fs.read_text("/var/www/html/index.html") == os.fs.read_text("/var/www/html/index.html")
    assert restored.packages == os.packages and restored.owners == os.owners and restored.user_data_ran


def test_two_web_servers_cannot_share_port_80() -> None:
    os, _log = run(SEED_USER_DATA + "yum install -y nginx\nsystemctl start nginx\n")
    assert os.services["httpd"].active and not os.services["nginx"].active and os.services["nginx"].failed
    assert "Job for nginx.service failed" in os.fs.read_text("/var/log/cloud-init-output.log")
    assert "bind() to 0.0.0.0:80 failed (98: Address already in use)" in os.fs.read_text("/var/log/messages")


def test_ubuntu_install_reports_a_service_that_cannot_bind() -> None:
    os, log = run("#!/bin/bash\napt-get install -y nginx\napt-get install -y apache2\n", distro="ubuntu")
    assert os.services["nginx"].active and os.services["apache2"].failed
    assert 'invoke-rc.d: initscript apache2, action "start" failed.' in log


@pytest.mark.parametrize("distro", ["al2023", "al2", "ubuntu"])
def test_base_images_look_like_their_distro(distro: str) -> None:
    os = make_os(distro)
    release = os.fs.read_text("/etc/os-release")
    expected = {"al2023": 'VERSION="2023"', "al2": 'PRETTY_NAME="Amazon Linux 2"', "ubuntu": "noble"}
    assert expected[distro] in release
    assert os.fs.mode("/tmp") == 0o1777 and os.fs.is_dir(f"/home/{os.login_user}")


# -- hostile input ------------------------------------------------------------------------------------------


def _finishes_quickly(script: str | bytes, distro: str = "al2023") -> tuple[InstanceOS, str]:
    started = time.monotonic()
    os, log = run(script, distro) if isinstance(script, str) else (make_os(), "")
    if isinstance(script, bytes):
        log = run_user_data(os, script)
    assert time.monotonic() - started < 3 * MAX_SECONDS  # stopped by the interpreter's budget, not left running
    return os, log


def test_rm_rf_root_is_refused_then_only_wipes_the_vfs() -> None:
    os, log = _finishes_quickly("#!/bin/bash\nrm -rf /\necho still > /tmp/here\n")
    assert "rm: it is dangerous to operate recursively on '/'" in log
    assert os.fs.read_text("/tmp/here") == "still\n"
    os, _log = _finishes_quickly("#!/bin/bash\nrm -rf --no-preserve-root /\n")
    assert os.fs.walk_files() == ["/var/log/cloud-init-output.log"]


def test_dot_dot_paths_stay_inside_the_vfs() -> None:
    os, _log = _finishes_quickly("#!/bin/bash\ncd /tmp\necho x > ../../../../etc/passwd-copy\n"
                                 "cat ../../../etc/os-release > /tmp/seen\n")
    assert os.fs.read_text("/etc/passwd-copy") == "x\n"
    assert "Amazon Linux" in os.fs.read_text("/tmp/seen")


def test_deeply_nested_substitution_is_rejected_quickly() -> None:
    nested = "echo " + "$(" * 50 + "echo hi" + ")" * 50
    _os, log = _finishes_quickly(f"#!/bin/bash\n{nested}\n")
    assert "nested more than 16 levels" in log


def test_fork_bomb_terminates() -> None:
    _os, log = _finishes_quickly("#!/bin/bash\n:(){ :|:& };:\n")
    assert "lblab: more than" in log


def test_infinite_loop_and_output_flood_are_bounded() -> None:
    _os, log = _finishes_quickly("#!/bin/bash\nwhile true; do echo flood; done\n")
    assert "more than 10000 commands" in log
    _os, log = _finishes_quickly('#!/bin/bash\nX=aaaaaaaaaaaaaaaa\nwhile true; do X="$X$X"; done\n')
    assert "beyond 1 MB" in log


def test_oversized_and_binary_user_data() -> None:
    big = "#!/bin/bash\n" + "echo filler\n" * 1800  # about 21 KB: over EC2's 16 KB limit
    os, log = _finishes_quickly(big)
    assert "EC2 accepts at most 16384 bytes" in log and "filler" not in log.replace("filler\\n", "")
    os, log = _finishes_quickly(b"\x1f\x8b\x08\x00\xff\xfe\x00binary" * 100)
    assert "Unhandled non-multipart" in log
    os, _log = _finishes_quickly(b"#!/bin/bash\necho \xff\xfe ok > /tmp/b\n")
    assert os.fs.read_text("/tmp/b") == "\ufffd\ufffd ok\n"


def test_the_host_filesystem_is_never_touched(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    before = sorted(p.name for p in tmp_path.iterdir())
    script = (
        "#!/bin/bash\n"
        f"echo pwned > {victim}\n"
        f"touch {tmp_path}/created-by-user-data\n"
        f"rm -f {victim}\n"
        f"mkdir -p {tmp_path}/newdir\n"
        f"cp /etc/os-release {tmp_path}/copied\n"
        "rm -rf --no-preserve-root /\n"
    )
    os, _log = _finishes_quickly(script)
    Shell(os, user="root").run(f"echo again > {victim}; touch {tmp_path}/from-shell")
    assert victim.read_text() == "precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == before


# -- numbers as bash reads them (issue 11: they used to stop the script as an lblab bug) ---------------

HUGE = "9" * 5000  # past Python's 4300-digit limit for int()


def _script_output(log: str) -> list[str]:
    return [line for line in log.splitlines() if "Cloud-init" not in line and "WARNING" not in line]


def test_arithmetic_errors_are_bash_errors_and_abandon_only_their_command() -> None:
    _, log = run("#!/bin/bash\n"
                 "echo a $((08))\n"
                 "x=$((1+09)); echo same line\n"
                 "echo $(echo $((2#102)); echo in-subshell) outer\n"
                 "set -e\n"
                 "echo $((1#1))\n"
                 "echo status $?\n")
    prefix = "/var/lib/cloud/instance/scripts/part-001: line"
    assert _script_output(log) == [
        f'{prefix} 2: 08: value too great for base (error token is "08")',
        f'{prefix} 3: 1+09: value too great for base (error token is "09")',
        f'{prefix} 4: 2#102: value too great for base (error token is "2#102")',
        "outer",
        f'{prefix} 6: 1#1: invalid arithmetic base (error token is "1#1")',
        "status 1",
    ]
    assert "bug in lblab" not in log


def test_arithmetic_wraps_at_64_bits_like_bash() -> None:
    _, log = run(f"#!/bin/bash\necho $(( {HUGE} ))\nx={HUGE}; echo $((x + 1))\n"
                 "echo $((0x7fffffffffffffff + 1)) $((36#zz)) $((64#@_)) $((017)) $((0x))\n")
    assert _script_output(log) == ["-1", "0", "-9223372036854775808 1295 4031 15 0"]


def test_numeric_arguments_of_builtins_are_checked_as_bash_does() -> None:
    _, log = run(f"#!/bin/bash\n[ {HUGE} -eq 1 ]; echo test $?\n[ 08 -eq 8 ] && echo decimal\n"
                 f"set -- a b; shift {HUGE}; echo shift $? $#\nshift -1; echo shift $?\nexit {HUGE}\n")
    prefix = "/var/lib/cloud/instance/scripts/part-001: line"
    assert _script_output(log) == [
        f"{prefix} 2: [: {HUGE}: integer expression expected", "test 2", "decimal",
        f"{prefix} 4: shift: {HUGE}: numeric argument required", "shift 1 2",
        f"{prefix} 5: shift: -1: shift count out of range", "shift 1",
        f"{prefix} 6: exit: {HUGE}: numeric argument required",
    ]
    assert "Failed running /var/lib/cloud/instance/scripts/part-001 [2]" in log


@pytest.mark.parametrize("number", [HUGE, "99999999999999999999"], ids=["5000-digits", "20-digits"])
@pytest.mark.parametrize("command", [
    "printf '%{n}d|' 1", "printf '%.{n}f|' 1", "cut -f 1-{n} /etc/hostname", "cut -c {n}- /etc/hostname",
    "sed -n '{n}p' /etc/hostname", "sed 's/a/b/{n}' /etc/hostname", "grep -E 'a{{1,{n}}}' /etc/hostname",
    "journalctl -n {n}", "curl -s http://localhost:{n}/", "echo ${{{n}}}", "for i in 1; do break {n}; done",
    "head -n {n} /etc/hostname", "seq {n} {n}",
])
def test_huge_numbers_never_reach_the_emulators_last_line_of_defence(command: str, number: str) -> None:
    os = make_os()
    output = sh(os, command.format(n=number), "echo still-here")
    assert "bug in lblab" not in output
    assert output.endswith("still-here\n")


def test_seq_without_operands_or_with_pythons_digit_separators_is_gnus_error() -> None:
    output = sh(make_os(), "seq", "seq 1_0", "seq 2 4")
    assert output == "seq: missing operand\nseq: invalid argument: ‘1_0’\n2\n3\n4\n"
