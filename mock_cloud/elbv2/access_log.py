"""ALB access log lines, in AWS's documented field order, and the optional log file ("S3").

Lines are made from finished exchanges when they are read, so logging costs the data plane
nothing unless `access_logs.s3.enabled` is on; then each line is formatted at once and the file
is appended to about once a second.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import time
from pathlib import Path

from mock_cloud.elbv2.exchange import Exchange
from mock_cloud.ids import ACCOUNT_ID

log = logging.getLogger(__name__)

# lblab's simplification note, as its key in the text catalogue (phrasebook/elb.yaml).
TIMES_NOTE = "note.log_times"
FLUSH_SECONDS = 1.0


def _iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch)) + f".{int(epoch % 1 * 1e6):06d}Z"


def _seconds(value: float | None) -> str:
    return "-1" if value is None or value < 0 else f"{value:.3f}"


def _quoted(value: str) -> str:
    return '"' + (value or "-").replace('"', "%22") + '"'


# A field: quoted (`_quoted` leaves no quote inside) or a run of non-spaces.
_FIELD = re.compile(r'"([^"]*)"|(\S+)')


def split_line(line: str) -> list[str]:
    """An entry's fields, quotes removed: what shlex.split gives for these lines, at a fraction of its cost
    (the labs read the log on every check)."""
    return [quoted if unquoted == "" else unquoted for quoted, unquoted in _FIELD.findall(line)]


def _connection_trace_id(elb: str, client_ip: str, client_port: int) -> str:
    # One id per client connection, as ALB's conn_trace_id: the connection is (client ip, port).
    return "TID_" + hashlib.md5(f"{elb} {client_ip}:{client_port}".encode(), usedforsecurity=False).hexdigest()


def format_line(exchange: Exchange, elb: str, certificate_arn: str = "-") -> str:
    """One access log entry: fields 1-30 of the ALB user guide, separated by spaces.

    `certificate_arn`: the certificate the HTTPS listener presented (chosen_cert_arn)."""
    record, decision = exchange.record, exchange.decision
    head = record.head
    host = head.header("host") or "-"
    hostname = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    if head.method == "-":  # the request could not be parsed
        request = "- - - "
    else:
        request = f"{head.method} {head.scheme}://{hostname}:{head.listener_port}{head.target} HTTP/{head.version}"
    target = record.target_label or "-"
    target_status = "-" if record.target_status is None else str(record.target_status)
    rule = decision.rule if decision else None
    priority = "-" if rule is None else ("0" if rule.is_default else str(rule.priority))
    group_arn = decision.group.arn if decision and decision.group else "-"
    started = exchange.at - max(0.0, record.finished_at - record.started_at)
    fields = [
        head.scheme,
        _iso(exchange.at),
        elb,
        f"{head.client_ip}:{head.client_port}",
        target,
        _seconds(record.request_processing_time),
        _seconds(record.target_processing_time),
        _seconds(record.response_processing_time),
        str(record.elb_status),
        target_status,
        str(record.received_bytes),
        str(record.sent_bytes),
        _quoted(request),
        _quoted(head.header("user-agent") or "-"),
        record.ssl_cipher or "-",
        record.ssl_protocol or "-",
        group_arn,
        _quoted(head.trace_id),
        _quoted(head.sni or "-"),
        _quoted(certificate_arn),
        priority,
        _iso(started),
        _quoted(decision.action if decision else "-"),
        _quoted(decision.redirect_url if decision else "-"),
        _quoted((decision.error_reason if decision else "") or record.error_reason or "-"),
        _quoted(target),
        _quoted(target_status),
        _quoted("-"),
        _quoted("-"),
        _connection_trace_id(elb, head.client_ip, head.client_port),
    ]
    return " ".join(fields)


_BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


def valid_bucket_name(name: str) -> bool:
    """S3's bucket naming rules (the ones that matter for a directory name)."""
    return bool(_BUCKET_NAME.fullmatch(name)) and ".." not in name


def log_file_path(data_dir: Path, attributes: dict[str, str], elb: str, region: str, node_ip: str,
                  at: float) -> Path:
    """AWS's object key layout, under the data directory instead of a bucket; one file per 5 minutes."""
    end = (int(at) // 300 + 1) * 300
    day = time.strftime("%Y/%m/%d", time.gmtime(end))
    stamp = time.strftime("%Y%m%dT%H%MZ", time.gmtime(end))
    bucket = attributes.get("access_logs.s3.bucket") or ""
    if not valid_bucket_name(bucket):  # checked when set; a state file edited by hand is checked here
        bucket = "access-logs-bucket"
    # Never out of the data directory: "." and ".." parts are dropped (and NUL, which open() refuses).
    prefix = [p for p in attributes.get("access_logs.s3.prefix", "").split("/")
              if p and p not in (".", "..") and "\x00" not in p]
    name = f"{ACCOUNT_ID}_elasticloadbalancing_{region}_{elb.replace('/', '.')}_{stamp}_{node_ip}.log"
    return data_dir.joinpath("access-logs", bucket, *prefix, "AWSLogs", ACCOUNT_ID, "elasticloadbalancing", region,
                             day, name)


class LogFileWriter:
    """Appends lines to their files in batches: opening a file per request would be the bottleneck."""

    def __init__(self) -> None:
        self._pending: dict[Path, list[str]] = {}
        self._timer: asyncio.TimerHandle | None = None

    def write(self, path: Path, line: str) -> None:
        self._pending.setdefault(path, []).append(line + "\n")
        if self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(FLUSH_SECONDS, self.flush)

    def flush(self) -> None:
        self._timer = None
        pending, self._pending = self._pending, {}
        for path, lines in pending.items():
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                with path.open("a", encoding="utf-8") as f:
                    f.writelines(lines)
            except OSError:
                log.exception("could not write the access log %s", path)

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self.flush()

