"""The `lblab` command: the console app, and `serve`, `web`, `labs`, `lab`, `reset`, `export`."""

from __future__ import annotations

import argparse
import locale
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from mock_cloud import (
    DEFAULT_API_PORT,
    DEFAULT_EDGE_PORT,
    STATE_ENV,
    StateInUse,
    StateLock,
    StateStore,
    __version__,
    default_state_path,
)

if TYPE_CHECKING:
    from mock_cloud import CloudConfig

# `lblab --version` and `lblab labs` answer at once: the cloud, asyncio and Textual are imported by
# the commands that use them.

LOOPBACK = "127.0.0.1"


def _positive_scale(text: str) -> float:
    value = float(text)
    if value < 0 or value > 1000:
        raise argparse.ArgumentTypeError("the time scale must be between 0 (paused) and 1000")
    return value


def _port(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError("a port is a number from 0 to 65535 (0: any free port)")
    return value


def _cloud_options(parser: argparse.ArgumentParser, top: bool = False) -> None:
    # Subcommands repeat the options without defaults, so `lblab --seed 1 serve` keeps the seed.
    def default(value: object) -> object:
        return value if top else argparse.SUPPRESS

    parser.add_argument("--state", type=Path, default=default(None),
                        help=f"state file (default: your data dir, or ${STATE_ENV})")
    parser.add_argument("--seed", type=int, default=default(None),
                        help="make IDs, addresses and the clock deterministic")
    parser.add_argument("--time-scale", type=_positive_scale, default=default(1.0),
                        help="cloud seconds per real second (30 makes a 30 s health check take 1 s; 0 pauses)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lblab",
        description="Learn AWS load balancing in your terminal, against a local cloud that really serves traffic.",
    )
    parser.add_argument("--version", action="version", version=f"lblab {__version__}")
    _cloud_options(parser, top=True)
    parser.add_argument("--lang", choices=["ko", "en"], help="console language (default: from your locale)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the cloud headless (AWS API and internet edge) until Ctrl-C")
    _cloud_options(serve)
    serve.add_argument("--port", type=_port, default=DEFAULT_API_PORT, help="AWS API port (default 4566)")
    serve.add_argument("--edge-port", type=_port, default=DEFAULT_EDGE_PORT,
                       help="internet edge proxy port (default 4580)")
    serve.add_argument("--bind", default=LOOPBACK,
                       help="address to listen on (default 127.0.0.1; anything else exposes the cloud to your network)")

    commands.add_parser("labs", help="list the guided labs")
    lab = commands.add_parser("lab", help="open the console on a guided lab")
    lab.add_argument("lab_id", metavar="ID")
    _cloud_options(lab)
    lab.add_argument("--lang", choices=["ko", "en"], default=argparse.SUPPRESS)

    reset = commands.add_parser("reset", help="wipe the saved cloud (instances, load balancers, lab progress)")
    reset.add_argument("--state", type=Path, default=argparse.SUPPRESS)
    reset.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")

    web = commands.add_parser("web", help="serve the console to your browser, a console per tab")
    _cloud_options(web)
    web.add_argument("--port", type=_port, default=8000, help="port on 127.0.0.1 (default 8000; a free one if taken)")
    web.add_argument("--lang", choices=["ko", "en"], default=argparse.SUPPRESS)
    web.add_argument("--lab", metavar="ID", help="open every tab's console on this guided lab")

    export = commands.add_parser("export", help="print what you built as AWS CLI commands or a CloudFormation template")
    export.add_argument("--format", choices=["aws-cli", "cloudformation"], required=True)
    export.add_argument("--state", type=Path, default=argparse.SUPPRESS)
    return parser


def default_lang() -> str:
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var)
        if value:
            return "ko" if value.lower().startswith("ko") else "en"
    code = locale.getlocale()[0] or ""
    return "ko" if code.lower().startswith("ko") else "en"


def state_path(args: argparse.Namespace) -> Path:
    return args.state or default_state_path()


def cloud_config(args: argparse.Namespace, edge_port: int | None = DEFAULT_EDGE_PORT) -> CloudConfig:
    from mock_cloud import CloudConfig

    return CloudConfig(
        seed=args.seed,
        time_scale=args.time_scale,
        state_path=state_path(args),
        edge_port=edge_port,
        holder=holder_name(args),
    )


def holder_name(args: argparse.Namespace) -> str:
    """How a second process refused the state file names this one: `lblab serve`, `lblab lab ID`."""
    words = ["lblab", args.command or ""] + ([args.lab_id] if args.command == "lab" else [])
    return " ".join(w for w in words if w)


def take_lock(state_path: Path, holder: str) -> StateLock | None:
    """The state file's lock, taken before anything heavy is imported or started; None (and why,
    on stderr) when another process holds it or it cannot be opened."""
    try:
        return StateLock(state_path).acquire(holder)
    except StateInUse as error:
        print(f"lblab: {error}", file=sys.stderr)
    except OSError as exc:
        print(f"lblab: cannot lock the state file {state_path} ({exc.strerror or exc})", file=sys.stderr)
    return None


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        import asyncio

        from mock_cloud import new_event_loop, tune_collector

        tune_collector()
        with asyncio.Runner(loop_factory=new_event_loop) as runner:
            return runner.run(serve(args))
    if args.command == "reset":
        return reset(args)
    if args.command == "labs":
        return list_labs(args.lang or default_lang())
    if args.command == "lab" and not lab_exists(args.lab_id):
        return 2
    if args.command == "web":
        from tui.web.server import web_command

        return web_command(args)
    if args.command == "export":
        from mock_cloud import export_command

        return export_command(args.format, state_path(args))
    config = cloud_config(args)
    # Before the console's imports: a state file in use is refused at once, without a screen.
    config.state_lock = take_lock(state_path(args), config.holder)
    if config.state_lock is None:
        return 1
    from mock_cloud import tune_collector
    from tui.app import LblabApp

    app = LblabApp(config, lang=args.lang or default_lang(), lab_id=getattr(args, "lab_id", None),
                   api_port=DEFAULT_API_PORT, ready_pages=True, draw_first=True)
    tune_collector()
    app.run()
    return app.return_code or 0


def list_labs(lang: str) -> int:
    from labs.catalog import format_catalog, lab_catalog

    print(format_catalog(lab_catalog(), lang))
    return 0


def lab_exists(lab_id: str) -> bool:
    """Whether `lab_id` is a lab file that loads; says why not on stderr. Only this lab is checked in full:
    checking every lab (as the picker lists them) took ~0.25 s of CPU before the console's first frame."""
    from labs import LabLoadError, load_lab
    from labs.catalog import LABS_DIR

    problem = "does not exist"
    if lab_id in {path.stem for path in LABS_DIR.glob("*.yaml")}:
        try:
            load_lab(lab_id)
            return True
        except LabLoadError as error:
            problem = f"is broken: {error}"
    print(f"lblab: the lab '{lab_id}' {problem}. `lblab labs` lists the labs.", file=sys.stderr)
    return False


def reset(args: argparse.Namespace) -> int:
    store = StateStore(state_path(args))
    if not store.path.exists() and not store.data_dir.exists():
        print(f"Nothing to reset: {store.path} does not exist.")
        return 0
    lock = take_lock(store.path, "lblab reset")
    if lock is None:
        return 1
    wiped = False
    try:
        wiped = _wipe(args, store)
    finally:
        lock.release(delete=wiped)
    return 0 if wiped else 1


def _wipe(args: argparse.Namespace, store: StateStore) -> bool:
    if not args.yes:
        if not sys.stdin.isatty():
            print("lblab reset: refusing to wipe without confirmation; pass --yes.", file=sys.stderr)
            return False
        answer = input(f"Wipe the cloud saved in {store.path}? All instances and load balancers go. [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("Nothing was changed.")
            return False
    store.wipe()
    print(f"Reset: {store.path} removed.")
    return True


async def serve(args: argparse.Namespace) -> int:
    import asyncio
    import signal

    from mock_cloud import Cloud

    if args.bind != LOOPBACK:
        print(f"WARNING: listening on {args.bind}: anyone who can reach this address can drive your cloud.",
              file=sys.stderr)
    config = cloud_config(args, edge_port=args.edge_port)
    config.state_lock = take_lock(state_path(args), config.holder)
    if config.state_lock is None:
        return 1
    config.edge_host = args.bind
    config.allow_non_loopback = args.bind != LOOPBACK  # --bind given: exposing the cloud is intended
    cloud = Cloud(config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await cloud.start()
    except OSError as exc:
        await cloud.close()
        print(f"lblab: cannot serve the internet edge on {args.bind}:{args.edge_port} ({exc.strerror or exc}); "
              "pick another --edge-port", file=sys.stderr)
        return 1
    from mock_cloud import ApiServer

    api = ApiServer(cloud, host=args.bind, port=args.port, allow_non_loopback=config.allow_non_loopback)
    try:
        await api.start()
    except OSError as exc:
        await cloud.close()
        print(f"lblab: cannot serve the AWS API on {args.bind}:{args.port} ({exc.strerror}); pick another --port",
              file=sys.stderr)
        return 1
    if cloud.restore_error:
        print(f"lblab: {cloud.restore_error}", file=sys.stderr)
    print(f"lblab {__version__} serving region {cloud.region} (time scale x{cloud.clock.scale:g})")
    print(f"  AWS API (EC2 + ELBv2): {api.url}  (aws --endpoint-url {api.url} ec2 describe-instances)")
    edge_url = cloud.edge_url if cloud.edge else "-"
    print(f"  internet edge (HTTP proxy): {edge_url}")
    print(f"  state file: {config.state_path}")
    print(f"  try: curl -x {edge_url} http://<public-ip-or-dns-name>/")
    print("Ctrl-C stops.", flush=True)
    try:
        await stop.wait()
    finally:
        await api.stop()
        await cloud.close()
    print("lblab: stopped; state saved.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
