"""The real aws CLI for a whole script, in one process.

A script of thirty `aws` commands started thirty Pythons that each imported botocore and awscli and parsed the
service models again: ~0.45 s of CPU per command, 14 s for the exported seed lab. Here one process does that once
(`serve`) and runs each command with a new driver of the CLI's own (`awscli.clidriver`, what `aws` runs), sharing
only the parsed models; the script calls a shim where it would call `aws` (`run`: standard library only, started
with `-I -S`), which hands the command line and working directory over and gives back the output and the exit
status. Arguments, parsing, requests and answers are the CLI's.

    with aws_cli(env, time_scale) as aws:   # the command line to put where the script expects `aws`
        subprocess.run(["bash", script], env={**env, "AWS": f"{aws} --endpoint-url ..."})
"""

from __future__ import annotations

import json
import os
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def aws_cli(env: dict[str, str], time_scale: float) -> Iterator[str]:
    """A serving process with `env` (the script's: credentials, config files) for a cloud at `time_scale`; yields
    the command line to run where the script runs `aws`."""
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory(prefix="lblab-aws-") as tmp:
        path = os.path.join(tmp, "cli.sock")
        command = [sys.executable, __file__, "serve", path, str(time_scale)]
        server = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
        try:
            assert server.stdout is not None and server.stdout.readline() == "ready\n", "the aws CLI did not start"
            yield f"{sys.executable} -I -S {__file__} run {path}"
        finally:
            server.kill()
            server.wait()


# -- the shim --------------------------------------------------------------------------------------------------
def run(path: str, argv: list[str]) -> int:
    """One command through the serving process; its exit status."""
    with socket.socket(socket.AF_UNIX) as conn:
        conn.connect(path)
        conn.sendall(json.dumps({"argv": argv, "cwd": os.getcwd()}).encode())
        conn.shutdown(socket.SHUT_WR)
        answer = json.loads(_read_all(conn))
    sys.stdout.write(answer["out"])
    sys.stderr.write(answer["err"])
    return int(answer["status"])


# -- the serving process ---------------------------------------------------------------------------------------
def serve(path: str, time_scale: float) -> None:
    """Run commands one at a time, as a script does, until killed."""
    from awscli.clidriver import create_clidriver

    loader = create_clidriver().session.get_component("data_loader")
    _scale_waiters(loader, time_scale)
    with socket.socket(socket.AF_UNIX) as listener:
        listener.bind(path)
        listener.listen()
        print("ready", flush=True)
        while True:
            conn, _ = listener.accept()
            with conn:
                request = json.loads(_read_all(conn))
                conn.sendall(json.dumps(_command(create_clidriver(), loader, **request)).encode())


def _command(driver: Any, loader: Any, argv: list[str], cwd: str) -> dict[str, Any]:
    import contextlib
    import io

    os.chdir(cwd)
    driver.session.register_component("data_loader", loader)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = driver.main(argv)
        except SystemExit as exit_:  # argparse's way out (a usage error)
            status = exit_.code if isinstance(exit_.code, int) else 1
    return {"out": out.getvalue(), "err": err.getvalue(), "status": status}


def _scale_waiters(loader: Any, time_scale: float) -> None:
    """`aws ... wait` polls as often in cloud time as on AWS: at ×300 the 15 s between two DescribeInstances of
    `ec2 wait instance-running` are 0.05 s (a script on a fast cloud otherwise sleeps 15 s for a boot of 0.1 s)."""
    load, scaled = loader.load_service_model, {}

    def load_service_model(service_name: str, type_name: str, api_version: str | None = None) -> Any:
        model = load(service_name, type_name, api_version)
        if type_name != "waiters-2":
            return model
        if id(model) not in scaled:
            waiters = {name: {**waiter, "delay": waiter["delay"] / time_scale}
                       for name, waiter in model["waiters"].items()}
            scaled[id(model)] = {**model, "waiters": waiters}
        return scaled[id(model)]

    loader.load_service_model = load_service_model


def _read_all(conn: socket.socket) -> bytes:
    chunks = []
    while chunk := conn.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2], float(sys.argv[3]))
    else:
        sys.exit(run(sys.argv[2], sys.argv[3:]))
