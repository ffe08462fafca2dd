"""curl and wget: requests to the instance's own web servers and to the metadata service.

No request leaves the guest: `localhost` is answered by `web.render` from the VirtualFS (the same
renderer as the real listener), the metadata address by `metadata`, and any other host is skipped
with an `lblab:` note, since lblab instances have no internet access.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mock_cloud.guestos.commands.metadata import IMDS_HOST, LocalReply, imds
from mock_cloud.guestos.commands.printing import backslash_escapes
from mock_cloud.guestos.commands.registry import Ctx, command, join_lines, split_flags
from mock_cloud.guestos.shell.numbers import bounded
from mock_cloud.guestos.web.render import render
from mock_cloud.http1 import reason_phrase

if TYPE_CHECKING:
    from mock_cloud.guestos.instance_os import InstanceOS


class _NetError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class _NotEmulated(Exception):
    pass


def _split_url(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path-with-query); a URL without scheme is http, as curl assumes."""
    match = re.match(r"(?:([a-zA-Z][a-zA-Z0-9+.-]*)://)?(\[[^\]]*\]|[^/:?#]*)(?::([0-9]*))?([^#]*)", url)
    assert match is not None  # the pattern matches every string
    scheme = (match.group(1) or "http").lower()
    port = bounded(match.group(3), 1 << 16) if match.group(3) else (443 if scheme == "https" else 80)
    return scheme, match.group(2).lower(), port, match.group(4) or "/"


def _local_names(os: InstanceOS) -> set[str]:
    return {"localhost", "127.0.0.1", "0.0.0.0", "[::1]", "::1", os.hostname, os.short_hostname,
            os.metadata.get("local-ipv4", ""), os.metadata.get("local-hostname", "")} - {""}


def _request(ctx: Ctx, method: str, url: str, headers: dict[str, str]) -> LocalReply:
    scheme, host, port, path = _split_url(url)
    if scheme not in ("http", "https"):
        raise _NetError(1, f'Protocol "{scheme}" not supported')
    if host == IMDS_HOST:
        return imds(ctx.os, method, path, headers)
    if host not in _local_names(ctx.os):
        raise _NotEmulated(host)
    server = next((s for s in ctx.os.web_servers() if s.port == port and scheme == "http"), None)
    if server is None:
        raise _NetError(7, f"Failed to connect to {host} port {port} after 0 ms: Couldn't connect to server")
    if ctx.os.http_handler is not None:
        status, reply_headers, body = ctx.os.http_handler(method, path)
        return LocalReply(status, reply_headers, body)
    # The same renderer as the instance's real listener, so `curl localhost` matches the browser.
    response = render(ctx.fs, server.flavor, server.docroot, method, path,
                      {"Host": host, "User-Agent": "curl/8.5.0", "Accept": "*/*", **headers})
    return LocalReply(response.status, response.headers, response.body)


@dataclass
class _CurlOptions:
    method: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    output: str | None = None
    remote_name: bool = False
    write_out: str = ""
    silent: bool = False
    show_error: bool = False
    fail: bool = False
    follow: bool = False
    head: bool = False
    include: bool = False
    data: str | None = None
    urls: list[str] = field(default_factory=list)


_CURL_VALUE = {"-o": "output", "--output": "output", "-w": "write_out", "--write-out": "write_out",
               "-X": "method", "--request": "method", "-d": "data", "--data": "data", "--data-raw": "data",
               "--data-binary": "data", "-H": "header", "--header": "header"}
_CURL_IGNORED_VALUE = {"-m", "--max-time", "--connect-timeout", "--retry", "--retry-delay", "-A",
                       "--user-agent", "-u", "--user", "-e", "--referer", "-b", "--cookie", "-c",
                       "--cookie-jar"}
_CURL_PROGRESS = ("  % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current\n"
                  "                                 Dload  Upload   Total   Spent    Left  Speed\n")
_CURL_FLAGS = {"s": "silent", "S": "show_error", "f": "fail", "L": "follow", "I": "head", "i": "include",
               "O": "remote_name"}
_CURL_IGNORED_FLAGS = set("kv46#gN") | {"--insecure", "--compressed", "--silent", "--show-error", "--fail",
                                        "--location", "--head", "--include", "--remote-name", "--verbose",
                                        "--progress-bar", "--no-progress-meter", "-sS", "--http1.1"}
_CURL_LONG_FLAGS = {"--silent": "silent", "--show-error": "show_error", "--fail": "fail",
                    "--location": "follow", "--head": "head", "--include": "include",
                    "--remote-name": "remote_name",
                    "--no-progress-meter": "silent"}


def _curl_options(args: list[str]) -> _CurlOptions | str:
    """Parsed options, or the name of an option curl would reject."""
    opts = _CurlOptions()
    rest = list(args)
    while rest:
        arg = rest.pop(0)
        if arg in _CURL_VALUE or arg in _CURL_IGNORED_VALUE:
            value = rest.pop(0) if rest else ""
            target = _CURL_VALUE.get(arg)
            if target == "header":
                name, _sep, content = value.partition(":")
                opts.headers[name.strip()] = content.strip()
            elif target is not None:
                setattr(opts, target, value)
        elif arg in _CURL_LONG_FLAGS:
            setattr(opts, _CURL_LONG_FLAGS[arg], True)
        elif arg.startswith("--"):
            if arg not in _CURL_IGNORED_FLAGS:
                return arg
        elif arg.startswith("-") and len(arg) > 1:
            for i, ch in enumerate(arg[1:], 1):
                if f"-{ch}" in _CURL_VALUE or f"-{ch}" in _CURL_IGNORED_VALUE:
                    rest.insert(0, f"-{ch}")
                    if arg[i + 1 :]:
                        rest.insert(1, arg[i + 1 :])
                    break
                if ch in _CURL_FLAGS:
                    setattr(opts, _CURL_FLAGS[ch], True)
                elif ch not in _CURL_IGNORED_FLAGS:
                    return f"-{ch}"
        else:
            opts.urls.append(arg)
    return opts


def _curl_failure(ctx: Ctx, opts: _CurlOptions, code: int, message: str) -> int:
    if not opts.silent or opts.show_error:
        ctx.err.write(f"curl: ({code}) {message}\n")
    return code


@command("curl")
def _curl(ctx: Ctx) -> int:
    opts = _curl_options(ctx.args)
    if isinstance(opts, str):
        return ctx.error(f"option {opts}: is unknown\ncurl: try 'curl --help' or 'curl --manual' for more "
                         "information", 2)
    if not opts.urls:
        return ctx.error("no URL specified!\n"
                         "curl: try 'curl --help' or 'curl --manual' for more information", 2)
    method = opts.method or ("HEAD" if opts.head else "POST" if opts.data is not None else "GET")
    status = 0
    for url in opts.urls:
        status = _curl_one(ctx, opts, method, url)
    return status


def _curl_one(ctx: Ctx, opts: _CurlOptions, method: str, url: str) -> int:
    try:
        reply = _request(ctx, method, url, opts.headers)
        for _hop in range(5):
            location = reply.headers.get("Location")
            if not (opts.follow and reply.status in (301, 302, 303, 307, 308) and location):
                break
            url = location
            reply = _request(ctx, method, url, opts.headers)
    except _NetError as error:
        return _curl_failure(ctx, opts, error.code, error.message)
    except _NotEmulated as host:
        ctx.err.write(f"lblab: curl to '{host}' is not emulated (lblab instances have no internet access; "
                      "try http://localhost/ or the metadata service at http://169.254.169.254/); skipped\n")
        return 127
    if opts.fail and reply.status >= 400:
        return _curl_failure(ctx, opts, 22, f"The requested URL returned error: {reply.status}")
    head = f"HTTP/1.1 {reply.status} {reason_phrase(reply.status)}\r\n" + "".join(
        f"{k}: {v}\r\n" for k, v in reply.headers.items()) + "\r\n"
    body = reply.body.decode("utf-8", errors="replace")
    shown = head if method == "HEAD" or opts.head else (head if opts.include else "") + body
    if opts.output is not None or opts.remote_name:
        name = opts.output or posixpath.basename(_split_url(url)[3].split("?")[0])
        if not name:
            return _curl_failure(ctx, opts, 23, "Remote file name has no length!")
        if name != "-":
            if not ctx.write(name, shown):
                return 23
            if not opts.silent:
                size = len(reply.body)
                speed = size * 100
                ctx.err.write(_CURL_PROGRESS + f"100 {size:>5}  100 {size:>5}    0     0   {speed:>5}      0 "
                              f"--:--:-- --:--:-- --:--:-- {speed:>5}\n")
            shown = ""
    ctx.out.write(shown)
    if opts.write_out:
        values = {"http_code": str(reply.status), "response_code": str(reply.status),
                  "size_download": str(len(reply.body)), "url_effective": url,
                  "content_type": reply.headers.get("Content-Type", "")}
        written = re.sub(r"%\{([a-z_]+)\}", lambda m: values.get(m.group(1), ""), opts.write_out)
        ctx.out.write(backslash_escapes(written)[0])
    return 0


@command("wget")
def _wget(ctx: Ctx) -> int:
    flags, values, urls = split_flags(ctx.args, "OT")
    quiet = "q" in flags or "--quiet" in flags
    if not urls:
        return ctx.error("missing URL\nUsage: wget [OPTION]... [URL]...", 1)
    url = urls[0]
    _scheme, host, port, path = _split_url(url)
    stamp = ctx.os.now().strftime("%Y-%m-%d %H:%M:%S")
    log = [f"--{stamp}--  {url}"]
    if host == IMDS_HOST:
        log.append(f"Connecting to {host}:{port}... connected.")
    else:
        log += [f"Resolving {host} ({host})... 127.0.0.1",
                f"Connecting to {host} ({host})|127.0.0.1|:{port}... "]
    try:
        reply = _request(ctx, "GET", url, {})
    except _NetError:
        log[-1] += "failed: Connection refused."
        ctx.err.write("" if quiet else join_lines(log))
        return 4
    except _NotEmulated:
        ctx.err.write(f"lblab: wget to '{host}' is not emulated (lblab instances have no internet access); "
                      "skipped\n")
        return 127
    if host != IMDS_HOST:
        log[-1] += "connected."
    log.append(f"HTTP request sent, awaiting response... {reply.status} {reason_phrase(reply.status)}")
    if reply.status >= 400:
        log.append(f"{stamp} ERROR {reply.status}: {reason_phrase(reply.status)}.")
        ctx.err.write("" if quiet else join_lines(log))
        return 8
    target = values.get("O") or posixpath.basename(path.split("?")[0]) or "index.html"
    if target != "-" and "O" not in values:
        base, n = target, 1
        while ctx.fs.exists(ctx.path(target)):
            target, n = f"{base}.{n}", n + 1
    body = reply.body.decode("utf-8", errors="replace")
    size = len(reply.body)
    log += [f"Length: {size} [{reply.headers.get('Content-Type', 'text/html')}]",
            f"Saving to: ‘{'STDOUT' if target == '-' else target}’", ""]
    ctx.err.write("" if quiet else join_lines(log))
    if target == "-":
        ctx.out.write(body)
    elif not ctx.write(target, body):
        return 3
    if not quiet:
        ctx.err.write(f"\n{stamp} (1.00 MB/s) - ‘{'written to stdout' if target == '-' else target}’ saved "
                      f"[{size}/{size}]\n\n")
    return 0
