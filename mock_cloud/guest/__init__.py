"""Guests: each running EC2 instance is its own OS process.

A guest (`python -m mock_cloud.guest`, started with `asyncio.create_subprocess_exec`, never a fork)
holds one instance's operating system (`InstanceOS`: files, packages, services), the user-data and
shell interpreter, and the instance's web servers on 127.0.0.1:<ephemeral port>. Whatever an
instance does (a runaway script, a YAML bomb, a deep recursion) costs its own process only; the
cloud's event loop never runs the interpreter.

The control plane (`mock_cloud.ec2`) knows a guest only through this protocol (`client.Guest`).

Protocol: JSON lines. The cloud writes requests to the guest's stdin, the guest answers on its
stdout, one JSON object per line, UTF-8; requests may overlap and replies carry the request's id.

  request  {"id": 7, "op": "<op>", "now": <cloud time>, "scale": <clock scale>, ...arguments}
  reply    {"id": 7, "ok": true, "result": {...}, "ports": {"80": 43123}, "os": {...}}
           {"id": 7, "ok": false, "error": "text"}

`now` and `scale` keep the guest's clock on cloud time (log lines carry it; scale 0 is a paused
clock). `ports` (guest port -> loopback port of its real listener) and `os`, the guest's whole OS
state (`InstanceOS.to_dict()`), come with every reply to an operation that may change them: the
cloud saves the state to the state file before it reports the operation done, so an acknowledged
change survives a kill -9 of either side (the state file stays the one source of truth).

Operations:
  boot        {"os": {...}}                the OS state to run; services that are enabled start
  user_data   {"user_data": "..."}         cloud-init's first boot      -> {"log": "..."} + os
  shell_open  {"session": "s1", "user": null|"root"}                   -> {"prompt", "user"}
  shell       {"session": "s1", "line": "..."}  one Connect line  -> {"output", "exit_code",
                                                                        "closed", "prompt"} + os
  shell_close {"session": "s1"}         the Connect screen closed (`exit` ends a session by itself)
  read_file   {"path": "/etc/hostname"}                          -> {"text": "..."} (or error)
  write_file  {"path": "...", "text": "...", "mode": 420}         -> {} + os
  status      {}                  -> {"services": {"httpd": "active", ...}, "sessions": 1}
                                     (the reachability probe; sessions: Connect sessions open)
  hang        {}                  lblab-only failure drill: the guest stops answering (no reply)
  clock       {}                  the cloud's clock was stepped or rescaled: only `now` and `scale`
                                     (no reply; web servers date answers and log lines by it)
  shutdown    {}                  web servers stop, final OS state is sent, the process exits

Unasked, the guest also sends {"id": null, "os": {...}} when its web servers have logged requests
and no operation's reply has carried them: within 5 s, Linux's own writeback interval, so access
logs reach the state file without costing the cloud a save per request.

A guest ends when its stdin reaches EOF (the cloud closed it or died), and on Linux also when its
parent dies (PR_SET_PDEATHSIG); a watchdog thread checks the parent too, so even a hung guest
(its loop blocked) is gone within a second of the cloud.
"""
