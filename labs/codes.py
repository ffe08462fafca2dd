"""Diagnosis codes and what each one tells the learner, in Korean and English.

A failed criterion never just says ✗: it names what is wrong (a code the tests and the panel can
rely on) and what to do about it, in the console's own words (docs/aws-facts.md §10.2).
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

CODES: dict[str, Text] = {
    # -- instances ------------------------------------------------------------------------------------
    "INSTANCE_MISSING": Text(
        "이름이 {name}인 인스턴스가 없습니다. 인스턴스 → 인스턴스 시작에서 '이름 및 태그'에 {name:을} 입력해 "
        "시작하세요.",
        "There is no instance named {name}. Launch it from Instances → Launch instances, with {name} under "
        "Name and tags."),
    "INSTANCE_PENDING": Text(
        "{name:은} 아직 대기 중(부팅 중)입니다. 잠시 기다리세요: {boot}.",
        "{name} is still pending (booting). Give it a moment: {boot}."),
    "INSTANCE_NOT_RUNNING": Text(
        "{name}의 상태가 {state}입니다. 인스턴스 → {name} 선택 → 인스턴스 상태 → 인스턴스 시작으로 시작하세요.",
        "{name} is {state}. Start it: Instances → select {name} → Instance state → Start instance."),
    "INSTANCE_NOT_STOPPED": Text(
        "{name:이} 아직 {state} 상태입니다. 인스턴스 → {name} 선택 → 인스턴스 상태 → 인스턴스 중지를 누르세요.",
        "{name} is still {state}. Stop it: Instances → select {name} → Instance state → Stop instance."),
    "NO_USER_DATA": Text(
        "{name:은} 사용자 데이터 없이 시작되어 웹 서버를 설치한 것이 없습니다. 고급 세부 정보 → 사용자 데이터에 "
        "스크립트를 넣어 새 인스턴스를 시작하거나, 연결(Connect)로 들어가 httpd를 직접 설치하세요.",
        "{name} was launched without user data, so nothing installed a web server. Launch a new instance with "
        "the script under Advanced details → User data, or install httpd yourself through Connect."),
    "NO_SHEBANG": Text(
        "{name}의 사용자 데이터가 #!(예: #!/bin/bash)로 시작하지 않아 cloud-init이 스크립트로 실행하지 않았습니다 "
        "(시스템 로그의 'Unhandled non-multipart userdata'). 첫 줄을 #!/bin/bash로 고치세요. 사용자 데이터는 첫 "
        "부팅 때 한 번만 실행되므로, 고친 스크립트로 새 인스턴스를 시작하거나 연결(Connect)로 httpd를 직접 설치하세요.",
        "{name}'s user data does not start with #! (e.g. #!/bin/bash), so cloud-init did not run it as a script "
        "(the system log says 'Unhandled non-multipart userdata'). Make #!/bin/bash the very first line. User "
        "data runs only at first boot: launch a new instance with the fixed script, or install httpd yourself "
        "through Connect."),
    "USER_DATA_RUNNING": Text(
        "{name:은} 실행 중이지만 cloud-init이 아직 사용자 데이터를 실행하고 있습니다: {boot}.",
        "{name} is running, but cloud-init is still running its user data: {boot}."),
    "USER_DATA_NO_HTTPD": Text(
        "{name}의 사용자 데이터는 실행되었지만 httpd를 설치하지 않습니다(yum install -y httpd가 없음).",
        "{name}'s user data ran but does not install httpd (there is no `yum install -y httpd`)."),
    "HTTPD_NOT_INSTALLED": Text(
        "{name}에 httpd가 설치되어 있지 않습니다. 설치가 실패했는지 작업 → 모니터링 및 문제 해결 → 시스템 로그 "
        "가져오기에서 확인하세요.",
        "httpd is not installed on {name}. See whether the install failed: Actions → Monitor and troubleshoot → "
        "Get system log."),
    "HTTPD_NOT_ENABLED": Text(
        "{name}의 httpd가 부팅 시 자동 시작(enable)으로 설정되어 있지 않습니다(`systemctl enable`이 빠짐). 그래서 "
        "인스턴스를 중지했다가 다시 시작하거나 재부팅하면 httpd가 올라오지 않습니다. 실습 스크립트에 "
        "`systemctl enable httpd`가 있는 이유입니다. 연결(Connect)에서 `sudo systemctl enable --now httpd`를 "
        "실행하세요.",
        "httpd on {name} is not enabled at boot (`systemctl enable` is missing), so a stop and start, or a "
        "reboot, leaves it down. That is why the lab's script has `systemctl enable httpd`. Connect and run "
        "`sudo systemctl enable --now httpd`."),
    "HTTPD_STOPPED": Text(
        "{name}의 httpd가 중지되어 있습니다(부팅 시 자동 시작은 켜져 있음). 연결(Connect)에서 "
        "`sudo systemctl start httpd`를 실행하세요.",
        "httpd is stopped on {name} (it is enabled at boot). Connect and run `sudo systemctl start httpd`."),
    "HTTPD_FAILED": Text(
        "{name}의 httpd는 실행 중이지만 {port}번 포트에서 응답하는 것이 없습니다. httpd 설정(Listen)과 시스템 로그를 "
        "확인하세요.",
        "httpd is active on {name} but nothing answers on port {port}. Check its configuration (Listen) and "
        "the system log."),
    "INDEX_MISSING": Text(
        "{name:이} Apache 테스트 페이지(403)로 응답합니다: /var/www/html/index.html이 없습니다.",
        "{name} answers with Apache's test page (403): /var/www/html/index.html does not exist."),
    "PATH_NOT_FOUND": Text(
        "{url:이} 404 Not Found로 응답했습니다. {name}에 {file} 파일이 없습니다(httpd는 /var/www/html 아래의 "
        "파일을 제공합니다).",
        "{url} answered 404 Not Found: {name} has no file {file} (httpd serves the files under /var/www/html)."),
    "NO_PUBLIC_IP": Text(
        "{name}에 퍼블릭 IPv4 주소가 없어 인터넷에서 접속할 수 없습니다. 퍼블릭 IP 자동 할당을 켜고 시작하세요.",
        "{name} has no public IPv4 address, so the internet cannot reach it. Launch it with Auto-assign public "
        "IP enabled."),
    "SG_BLOCKS_HTTP": Text(
        "{name}의 보안 그룹({groups}) 중 인터넷(0.0.0.0/0)에서 TCP {port:을} 허용하는 인바운드 규칙이 없어, "
        "브라우저는 응답 없이 기다리다 시간 초과됩니다(패킷이 버려짐). 보안 그룹 → 인바운드 규칙 편집 → 규칙 추가 → "
        "HTTP, Anywhere-IPv4를 추가하세요.",
        "No security group of {name} ({groups}) admits TCP {port} from the internet (0.0.0.0/0), so the browser "
        "waits and times out: the packets are dropped. Security Groups → Edit inbound rules → Add rule → HTTP, "
        "Anywhere-IPv4."),
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
        "이름이 {name}인 보안 그룹이 없습니다. 보안 그룹 → 보안 그룹 생성에서 만드세요.",
        "There is no security group named {name}. Create it: Security Groups → Create security group."),
    "SG_DESCRIPTION": Text(
        "보안 그룹 {name}의 설명이 '{actual}'입니다. 실습에서는 '{expected}' 설명을 사용합니다(설명은 수정할 수 없으니 "
        "그룹을 삭제하고 다시 만드세요).",
        "Security group {name} has the description '{actual}'; the lab uses '{expected}' (a description cannot "
        "be edited: delete the group and create it again)."),
    "SG_RULE_MISSING": Text(
        "보안 그룹 {name}에 인바운드 규칙 {rule:이} 없습니다. 인바운드 규칙 편집 → 규칙 추가로 추가하세요.",
        "Security group {name} has no inbound rule {rule}. Add it: Edit inbound rules → Add rule."),
    # -- target groups -----------------------------------------------------------------------------------
    "TG_MISSING": Text(
        "이름이 {name}인 대상 그룹이 없습니다. 대상 그룹 → 대상 그룹 생성에서 만드세요.",
        "There is no target group named {name}. Create it: Target Groups → Create target group."),
    "TG_SETTING": Text(
        "대상 그룹 {name}의 {setting:이} {actual}입니다. 기대한 값: {expected}. (상태 검사 설정은 상태 검사 탭 → "
        "편집에서 바꿀 수 있지만, 프로토콜·포트·대상 유형은 생성 후 바꿀 수 없습니다.)",
        "Target group {name} has {setting} {actual}; expected {expected}. (Health check settings can be edited: "
        "Health checks tab → Edit. Protocol, port and target type cannot change after creation.)"),
    "TARGET_NOT_REGISTERED": Text(
        "{names:이} {target_group}에 등록되어 있지 않습니다. 대상 그룹 → {target_group} → 대상 → 대상 등록 → "
        "인스턴스 선택 → '아래에 보류 중인 것으로 포함' → 보류 중인 대상 등록.",
        "{names} not registered in {target_group}. Target Groups → {target_group} → Targets → Register targets → "
        "select → Include as pending below → Register pending targets."),
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
        "{names}의 상태 검사가 시간 초과(Target.Timeout)입니다. 인스턴스의 보안 그룹({groups})에 로드 밸런서 보안 "
        "그룹({lb_groups})에서 오는 TCP {port} 인바운드 규칙이 없어 검사 패킷이 버려집니다. {groups}의 인바운드 규칙 "
        "편집 → 규칙 추가 → HTTP, 소스: 사용자 지정 → {lb_groups}.",
        "Health checks of {names} time out (Target.Timeout): the instance's security group ({groups}) has no "
        "inbound rule for TCP {port} from the load balancer's security group ({lb_groups}), so the check packets "
        "are dropped. Edit inbound rules of {groups} → Add rule → HTTP, Source: Custom → {lb_groups}."),
    "INSTANCE_SG_BLOCKS_LB": Text(
        "인스턴스 {names}의 보안 그룹({groups})이 로드 밸런서 보안 그룹({lb_groups})에서 오는 TCP {port:을} "
        "허용하지 않습니다. 이대로면 상태 검사가 시간 초과(Target.Timeout)됩니다.",
        "The security group of {names} ({groups}) does not admit TCP {port} from the load balancer's security "
        "group ({lb_groups}); health checks will time out (Target.Timeout)."),
    "HEALTH_PATH_404": Text(
        "{names}의 상태 검사가 404를 받습니다(Target.ResponseCodeMismatch): 상태 검사 경로 {path:이} 인스턴스에 "
        "없습니다. 대상 그룹 → {target_group} → 상태 검사 → 편집에서 경로를 고치거나 그 파일을 만드세요.",
        "Health checks of {names} get 404 (Target.ResponseCodeMismatch): the health check path {path} does not "
        "exist on the instance. Fix the path (Target Groups → {target_group} → Health checks → Edit) or create "
        "the file."),
    "HEALTH_CODE_MISMATCH": Text(
        "{names}의 상태 검사가 실패합니다: {description} (성공 코드: {matcher}).",
        "Health checks of {names} fail: {description} (success codes: {matcher})."),
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
        "{names}의 상태가 {state}({reason})입니다. 기대한 상태: {expected}.",
        "{names} are {state} ({reason}); expected {expected}."),
    # -- load balancers -----------------------------------------------------------------------------------
    "LB_MISSING": Text(
        "이름이 {name}인 로드 밸런서가 없습니다. 로드 밸런서 → 로드 밸런서 생성 → Application Load Balancer.",
        "There is no load balancer named {name}. Load Balancers → Create load balancer → Application Load "
        "Balancer."),
    "LB_SETTING": Text(
        "로드 밸런서 {name}의 {setting:이} {actual}입니다. 기대한 값: {expected}.",
        "Load balancer {name} has {setting} {actual}; expected {expected}."),
    "LB_ZONES_MISSING": Text(
        "{name:은} 가용 영역 {total}개 중 {count}개만 사용합니다(빠진 영역: {missing}). 네트워크 매핑에서 모든 "
        "가용 영역을 선택하세요.",
        "{name} uses {count} of the {total} Availability Zones (missing: {missing}). Select every zone under "
        "Network mapping."),
    "LB_DEFAULT_SG": Text(
        "{name:이} 아직 default 보안 그룹을 사용합니다. 보안 그룹에서 default를 제거하고 {group:을} 선택하세요.",
        "{name} still uses the default security group. Remove default and select {group} under Security groups."),
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
        "{lb}에 {protocol}:{port} 리스너가 없습니다. 로드 밸런서 → {lb} → 리스너 및 규칙 → 리스너 추가.",
        "{lb} has no {protocol}:{port} listener. Load Balancers → {lb} → Listeners and rules → Add listener."),
    "LISTENER_SETTING": Text(
        "{lb}의 {port} 리스너: {setting:이} {actual}입니다. 기대한 값: {expected}.",
        "{lb}'s listener on port {port}: {setting} is {actual}; expected {expected}."),
    "RULE_MISSING": Text(
        "{lb}의 {port} 리스너에 우선순위 {priority} 규칙이 없습니다. 리스너 → 규칙 관리 → 규칙 추가.",
        "{lb}'s listener on port {port} has no rule with priority {priority}. Listener → Manage rules → Add rule."),
    "RULE_SETTING": Text(
        "{lb}의 {port} 리스너, 우선순위 {priority} 규칙: {setting:이} {actual}입니다. 기대한 값: {expected}.",
        "{lb}'s listener on port {port}, rule priority {priority}: {setting} is {actual}; expected {expected}."),
    # -- TLS ----------------------------------------------------------------------------------------------
    "CERT_MISSING": Text(
        "{domain}에 대한 인증서가 없습니다. 인증서 관리자(ACM) → 인증서 요청에서 요청하세요.",
        "There is no certificate for {domain}. Request one: Certificate Manager (ACM) → Request certificate."),
    "TLS_FAILED": Text(
        "{url:과} TLS 핸드셰이크에 실패했습니다: {error}",
        "The TLS handshake with {url} failed: {error}"),
    "OFFLOAD_NOT_SEEN": Text(
        "{lb}의 액세스 로그에 HTTPS로 받아 HTTP 대상으로 전달한 요청이 없습니다.",
        "{lb}'s access log shows no request received over HTTPS and forwarded to a target over HTTP."),
    # -- the engine itself ---------------------------------------------------------------------------------
    "CHECK_ERROR": Text(
        "검사를 실행하지 못했습니다: {error}",
        "The check could not run: {error}"),
}
