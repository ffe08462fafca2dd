"""Diagnosis codes and what each one tells the learner, in Korean and English.

A failed criterion never just says ✗: it names what is wrong (a code the tests and the panel can
rely on) as the console would show it: a state, a reason code, an answer. How to fix it is the
hints' job, so a check never gives the answer away before the learner asked (issue 12).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from labs.text import Text


@dataclass(frozen=True)
class Diagnosis:
    code: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def message(self) -> Text:
        return CODES[self.code].format(**self.params)


# Instance states as the console shows them (tui/locale/ec2.yaml).
INSTANCE_STATES = {
    "pending": Text("대기 중", "pending"),
    "running": Text("실행 중", "running"),
    "stopping": Text("중지 중", "stopping"),
    "stopped": Text("중지됨", "stopped"),
    "shutting-down": Text("종료 중", "shutting-down"),
    "terminated": Text("종료됨", "terminated"),
}

# Target health as the console's Targets tab shows it (tui/locale/elb.yaml `health.*`).
HEALTH_STATES = {
    "initial": Text("초기", "initial"),
    "healthy": Text("정상", "healthy"),
    "unhealthy": Text("비정상", "unhealthy"),
    "unused": Text("사용되지 않음", "unused"),
    "draining": Text("드레이닝", "draining"),
}
# The console's health status details by reason code; mock_cloud returns AWS's English descriptions,
# the Korean ones are the Korean console's (docs/aws-facts.md, "Health check reason codes").
HEALTH_DESCRIPTIONS = {
    "Elb.RegistrationInProgress": Text("대상 등록이 진행 중입니다", "Target registration is in progress"),
    "Elb.InitialHealthChecking": Text("초기 상태 확인이 진행 중입니다", "Initial health checks in progress"),
    "Target.Timeout": Text("요청 시간이 초과되었습니다", "Request timed out"),
    "Target.FailedHealthChecks": Text("상태 확인에 실패했습니다", "Health checks failed"),
    "Target.ResponseCodeMismatch": Text("상태 확인이 다음 코드로 실패했습니다: [{codes}]",
                                        "Health checks failed with these codes: [{codes}]"),
}


def health_description(reason: str | None, description: str | None) -> Text:
    """A target's health details in both languages (AWS's English when the reason has no known wording)."""
    known = HEALTH_DESCRIPTIONS.get(reason or "")
    if known is None:
        return Text.same(description or "")
    codes = (description or "").partition("[")[2].rstrip("]")
    return known.format(codes=codes)


CODES: dict[str, Text] = {
    # -- instances ------------------------------------------------------------------------------------
    "INSTANCE_MISSING": Text(
        "이름이 {name}인 인스턴스가 없습니다.",
        "There is no instance named {name}."),
    "INSTANCE_PENDING": Text(
        "{name:은} 아직 대기 중(부팅 중)입니다. 잠시 기다리세요: {boot}.",
        "{name} is still pending (booting). Give it a moment: {boot}."),
    "INSTANCE_NOT_RUNNING": Text(
        "{name}의 인스턴스 상태: {state}.",
        "{name}'s instance state: {state}."),
    "INSTANCE_NOT_STOPPED": Text(
        "{name}의 인스턴스 상태: {state}.",
        "{name}'s instance state: {state}."),
    "NO_USER_DATA": Text(
        "{name:은} 사용자 데이터 없이 시작되었습니다. 80번 포트에서 응답하는 웹 서버가 없습니다.",
        "{name} was launched without user data; no web server answers on port 80."),
    "NO_SHEBANG": Text(
        "{name}의 사용자 데이터가 스크립트로 실행되지 않았습니다"
        "(시스템 로그: 'Unhandled non-multipart userdata').",
        "{name}'s user data did not run as a script (system log: 'Unhandled non-multipart userdata')."),
    "USER_DATA_RUNNING": Text(
        "{name:은} 실행 중이지만 cloud-init이 아직 사용자 데이터를 실행하고 있습니다: {boot}.",
        "{name} is running, but cloud-init is still running its user data: {boot}."),
    "USER_DATA_NO_HTTPD": Text(
        "{name}의 사용자 데이터는 실행되었지만 httpd를 설치하지 않습니다(yum install -y httpd가 없음).",
        "{name}'s user data ran but does not install httpd (there is no `yum install -y httpd`)."),
    "HTTPD_NOT_INSTALLED": Text(
        "{name}에 httpd가 설치되어 있지 않습니다.",
        "httpd is not installed on {name}."),
    "HTTPD_NOT_ENABLED": Text(
        "{name}의 httpd가 실행 중이 아니며 부팅 시 자동 시작(enable)도 꺼져 있습니다.",
        "httpd is not running on {name}, and it is not enabled at boot."),
    "INSTANCE_GROUPS": Text(
        "{name}의 보안 그룹: {groups}.",
        "{name}'s security groups: {groups}."),
    # The console's Status check column and the instance status check's detail (docs/aws-facts.md).
    "NO_FAILURE_SEEN": Text(
        "이 단계에서 {name}의 상태 검사가 아직 한 번도 실패하지 않았습니다(2/2개 검사 통과).",
        "{name}'s status check has not failed yet in this step (2/2 checks passed)."),
    "INSTANCE_IMPAIRED": Text(
        "{name}: 1/2개 검사 통과, 인스턴스 연결성 검사 실패(impaired).",
        "{name}: 1/2 checks passed, Instance reachability check failed (impaired)."),
    "HTTPD_STOPPED": Text(
        "{name}의 httpd가 중지되어 있습니다(부팅 시 자동 시작은 켜져 있음).",
        "httpd is stopped on {name} (it is enabled at boot)."),
    "HTTPD_FAILED": Text(
        "{name}의 httpd는 실행 중이지만 {port}번 포트에서 응답하는 것이 없습니다.",
        "httpd is active on {name} but nothing answers on port {port}."),
    "INDEX_MISSING": Text(
        "{name:이} Apache 테스트 페이지(403)로 응답합니다: /var/www/html/index.html이 없습니다.",
        "{name} answers with Apache's test page (403): /var/www/html/index.html does not exist."),
    "PATH_NOT_FOUND": Text(
        "{url:이} 404 Not Found로 응답했습니다. {name}에 {file} 파일이 없습니다(httpd는 /var/www/html 아래의 "
        "파일을 제공합니다).",
        "{url} answered 404 Not Found: {name} has no file {file} (httpd serves the files under /var/www/html)."),
    "NO_PUBLIC_IP": Text(
        "{name}에 퍼블릭 IPv4 주소가 없습니다.",
        "{name} has no public IPv4 address."),
    "SG_BLOCKS_HTTP": Text(
        "{name}의 퍼블릭 IP로 보낸 HTTP 요청이 응답 없이 시간 초과되었습니다(포트 {port}).",
        "HTTP requests to {name}'s public IP timed out with no answer (port {port})."),
    "HOSTS_NOT_DISTINCT": Text(
        "{names:이} 같은 호스트 이름을 보여 줍니다. 두 서버는 서로 다른 프라이빗 IP를 보여야 합니다.",
        "{names} show the same host name; the two servers should each show their own private IP."),
    # -- HTTP answers --------------------------------------------------------------------------------
    "REQUEST_FAILED": Text(
        "{url}에서 HTTP 응답을 받지 못했습니다: {error}",
        "No HTTP answer came from {url}: {error}"),
    "STATUS_MISMATCH": Text(
        "{url:이} HTTP {status:로} 응답했습니다. 기대한 값: {expected}.",
        "{url} answered HTTP {status}; expected {expected}."),
    "CONTENT_MISMATCH": Text(
        "{url:이} 응답했지만 페이지에 '{expected}' 문구가 없습니다.",
        "{url} answered, but the page does not contain '{expected}'."),
    "REDIRECT_MISMATCH": Text(
        "{url:이} HTTP {status:로} 응답했습니다(Location: '{location}'). 기대한 값: {expected_status}, "
        "'{expected}' 주소로 리디렉션.",
        "{url} answered HTTP {status} with Location '{location}'; expected {expected_status} redirecting to "
        "'{expected}'."),
    "NO_TARGETS_AVAILABLE": Text(
        "{url:이} 503 Service Unavailable로 응답했습니다: {target_group}에 트래픽을 받을 수 있는 대상이 없습니다"
        "(등록된 대상이 없거나 모두 사용되지 않음 상태).",
        "{url} answered 503 Service Unavailable: {target_group} has no target that can take traffic (none "
        "registered, or all unused)."),
    "ONE_HOST_ONLY": Text(
        "요청 {count}개가 모두 {host}에 도달했습니다. 적어도 서로 다른 호스트 {min}개에 분산되어야 합니다.",
        "All {count} requests reached {host}; expected at least {min} different hosts."),
    "HOSTS_DIFFER": Text(
        "요청이 {hosts}에 도달했습니다. 모든 요청이 한 호스트에만 도달해야 합니다.",
        "The requests reached {hosts}; expected every request to reach one host."),
    # -- security groups -------------------------------------------------------------------------------
    "SG_MISSING": Text(
        "이름이 {name}인 보안 그룹이 없습니다.",
        "There is no security group named {name}."),
    "SG_DESCRIPTION": Text(
        "보안 그룹 {name}의 설명이 '{actual}'입니다. 실습에서는 '{expected}' 설명을 사용합니다.",
        "Security group {name} has the description '{actual}'; the lab uses '{expected}'."),
    "SG_RULE_MISSING": Text(
        "보안 그룹 {name}에 인바운드 규칙 {rule:이} 없습니다.",
        "Security group {name} has no inbound rule {rule}."),
    # -- target groups -----------------------------------------------------------------------------------
    "TG_MISSING": Text(
        "이름이 {name}인 대상 그룹이 없습니다.",
        "There is no target group named {name}."),
    "TG_SETTING": Text(
        "대상 그룹 {name}의 {setting:이} {actual}입니다. 기대한 값: {expected}.",
        "Target group {name} has {setting} {actual}; expected {expected}."),
    "TARGET_NOT_REGISTERED": Text(
        "{names:이} {target_group}에 등록되어 있지 않습니다.",
        "{names} not registered in {target_group}."),
    "TG_NOT_IN_USE": Text(
        "{target_group}의 대상이 '사용되지 않음'(Target.NotInUse)입니다. 이 대상 그룹으로 전달하는 리스너나 규칙이 "
        "없기 때문입니다.",
        "The targets of {target_group} are unused (Target.NotInUse): no listener or rule forwards to this "
        "target group."),
    # -- target health -----------------------------------------------------------------------------------
    "TARGETS_INITIAL": Text(
        "{target_group}의 {names:은} 아직 초기 상태 검사 중입니다(Elb.InitialHealthChecking). 새 대상은 초기 상태 "
        "검사를 통과하면 정상이 됩니다(첫 검사는 한 간격 안에: {interval}). 비정상이었던 대상은 정상 임계값만큼 연속 "
        "성공해야 합니다: {healthy_after}.",
        "{names} in {target_group} are still in their initial health checks (Elb.InitialHealthChecking). A new "
        "target turns healthy once it passes them (the first check comes within one interval: {interval}); a "
        "target that was unhealthy needs {healthy_after}."),
    "TARGETS_REGISTERING": Text(
        "{target_group}의 대상이 등록 중입니다(Elb.RegistrationInProgress). 로드 밸런서가 활성 상태가 되면 상태 "
        "검사가 시작되고, 첫 검사는 한 간격 안에 옵니다: {interval}.",
        "The targets of {target_group} are registering (Elb.RegistrationInProgress). Health checks start once the "
        "load balancer is active; the first comes within one interval: {interval}."),
    "TARGETS_UNHEALTHY_SG_BLOCKS_LB": Text(
        "{names}의 상태: {state}(Target.Timeout), {description}",
        "{names}: {state} (Target.Timeout), {description}"),
    "INSTANCE_SG_BLOCKS_LB": Text(
        "{names}의 상태: {state}({reason}). 로드 밸런서({lb_groups})가 {names}({groups})의 TCP {port:로} 보낸 요청에 "
        "응답이 없습니다.",
        "{names}: {state} ({reason}). Requests from the load balancer ({lb_groups}) to TCP {port} on {names} "
        "({groups}) get no answer."),
    "HEALTH_PATH_404": Text(
        "{names}의 상태: {state}(Target.ResponseCodeMismatch), {description}",
        "{names}: {state} (Target.ResponseCodeMismatch), {description}"),
    "HEALTH_CODE_MISMATCH": Text(
        "{names}: {state} (Target.ResponseCodeMismatch), {description} (성공 코드: {matcher})",
        "{names}: {state} (Target.ResponseCodeMismatch), {description} (success codes: {matcher})"),
    "TARGETS_RECOVERING": Text(
        "{names:은} 다시 상태 검사에 응답하지만 아직 비정상입니다. 비정상이었던 대상은 정상 임계값만큼 연속 "
        "통과해야 정상이 됩니다: {healthy_after}.",
        "{names} answer the health checks again but are still unhealthy: a target that was unhealthy turns "
        "healthy after the healthy threshold of consecutive passes, {healthy_after}."),
    "TARGET_STOPPED": Text(
        "{names:은} '사용되지 않음'(Target.InvalidState)입니다: 인스턴스가 중지되어 있습니다.",
        "{names} are unused (Target.InvalidState): the instance is stopped."),
    "TARGET_ZONE_NOT_ENABLED": Text(
        "{names:은} 로드 밸런서에서 활성화하지 않은 가용 영역({zones})에 있어 '사용되지 않음'입니다.",
        "{names} are unused: they are in an Availability Zone the load balancer does not enable ({zones})."),
    "TARGET_DRAINING": Text(
        "{names:은} 등록 취소 중(draining)입니다.",
        "{names} are draining (being deregistered)."),
    "TARGET_STILL_HEALTHY": Text(
        "{names:은} 아직 정상입니다. 비정상 임계값만큼 연속 실패해야 비정상이 됩니다: {unhealthy_after}.",
        "{names} are still healthy. A target turns unhealthy after {unhealthy_after}."),
    "TARGET_STATE": Text(
        "{names}의 상태: {state}({reason}). 기대한 상태: {expected}.",
        "{names}: {state} ({reason}); expected {expected}."),
    # -- load balancers -----------------------------------------------------------------------------------
    "LB_MISSING": Text(
        "이름이 {name}인 로드 밸런서가 없습니다.",
        "There is no load balancer named {name}."),
    "LB_SETTING": Text(
        "로드 밸런서 {name}의 {setting:이} {actual}입니다. 기대한 값: {expected}.",
        "Load balancer {name} has {setting} {actual}; expected {expected}."),
    "LB_ZONES_MISSING": Text(
        "{name:은} 가용 영역 {total}개 중 {count}개만 사용합니다(빠진 영역: {missing}).",
        "{name} uses {count} of the {total} Availability Zones (missing: {missing})."),
    "LB_DEFAULT_SG": Text(
        "{name}의 보안 그룹: default.",
        "{name}'s security group: default."),
    "LB_SG_MISSING": Text(
        "{name:이} 보안 그룹 {group:을} 사용하지 않습니다.",
        "{name} does not use the security group {group}."),
    "LB_PROVISIONING": Text(
        "{name:은} 아직 프로비저닝 중입니다. 활성 상태가 될 때까지 기다리세요: {provisioning}.",
        "{name} is still provisioning. Wait until it is active: {provisioning}."),
    "LB_SG_BLOCKS": Text(
        "로드 밸런서의 보안 그룹({groups})이 인터넷에서 오는 TCP {port:을} 허용하지 않아 요청이 시간 초과됩니다.",
        "The load balancer's security groups ({groups}) admit no TCP {port} from the internet: requests time "
        "out."),
    "LISTENER_MISSING": Text(
        "{lb}에 {protocol}:{port} 리스너가 없습니다.",
        "{lb} has no {protocol}:{port} listener."),
    "LISTENER_SETTING": Text(
        "{lb}의 {port} 리스너: {setting:이} {actual}입니다. 기대한 값: {expected}.",
        "{lb}'s listener on port {port}: {setting} is {actual}; expected {expected}."),
    "RULE_MISSING": Text(
        "{lb}의 {port} 리스너에 우선순위 {priority} 규칙이 없습니다.",
        "{lb}'s listener on port {port} has no rule with priority {priority}."),
    "RULE_SETTING": Text(
        "{lb}의 {port} 리스너, 우선순위 {priority} 규칙: {setting:이} {actual}입니다. 기대한 값: {expected}.",
        "{lb}'s listener on port {port}, rule priority {priority}: {setting} is {actual}; expected {expected}."),
    # -- TLS ----------------------------------------------------------------------------------------------
    "CERT_MISSING": Text(
        "{domain}에 대한 인증서가 없습니다.",
        "There is no certificate for {domain}."),
    "TLS_FAILED": Text(
        "{url:과} TLS 핸드셰이크에 실패했습니다: {error}",
        "The TLS handshake with {url} failed: {error}"),
    "OFFLOAD_NOT_SEEN": Text(
        "{lb}의 액세스 로그에 HTTPS로 받아 HTTP 대상으로 전달한 요청이 없습니다.",
        "{lb}'s access log shows no request received over HTTPS and forwarded to a target over HTTP."),
    # -- observing ------------------------------------------------------------------------------------------
    "NOT_OBSERVED": Text(
        "이 단계가 시작된 뒤 {lb}의 DNS 이름으로 보낸 {protocol} 요청: {count}개 (필요: {requests}개).",
        "{protocol} requests you sent to {lb}'s DNS name since this step began: {count} of {requests}."),
    "NOT_VIEWED": Text(
        "이 단계가 시작된 뒤 아직 {target_group}의 대상 탭을 열지 않았습니다.",
        "You have not opened {target_group}'s Targets tab since this step began."),
    # -- the engine itself ---------------------------------------------------------------------------------
    "CHECK_ERROR": Text(
        "검사를 실행하지 못했습니다: {error}",
        "The check could not run: {error}"),
}
