"""One region's cloud: every service, the clock, the state file and the internet edge.

The TUI, the lab engine and the AWS API all hold the same `Cloud` and call the same
service methods on it, in one asyncio event loop.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mock_cloud.clock import DETERMINISTIC_EPOCH, Clock
from mock_cloud.context import Context
from mock_cloud.ec2.service import Ec2Service
from mock_cloud.edge import InternetEdge
from mock_cloud.elbv2.service import Elbv2Service
from mock_cloud.events import EventBus
from mock_cloud.ids import IdFactory
from mock_cloud.network import INTERNET_CLIENT, Network, instance_peer
from mock_cloud.ports import DEFAULT_EDGE_PORT
from mock_cloud.routes import Drop, Forward, Refused, Route, Unknown
from mock_cloud.state_model import StateEncoder, check_loaded
from mock_cloud.state_validation import check_finite
from mock_cloud.store import StateLock, StateStore
from mock_cloud.transaction import SaveFailed, Transactions, in_transaction

if TYPE_CHECKING:
    import aiohttp

log = logging.getLogger(__name__)

DEFAULT_REGION = "ap-northeast-2"


@dataclass
class CloudConfig:
    region: str = DEFAULT_REGION
    seed: int | None = None
    time_scale: float = 1.0
    state_path: Path | None = None  # None: nothing is saved (tests, throw-away clouds)
    edge_port: int | None = DEFAULT_EDGE_PORT  # None: no edge; 0: any free port
    edge_host: str = "127.0.0.1"
    # Listening on anything but loopback must be asked for explicitly (`lblab serve --bind`).
    allow_non_loopback: bool = False
    drop_timeout: float = 10.0  # real seconds a dropped connection hangs before the edge gives up
    start_time: float | None = None  # cloud epoch; seeded clouds start at a fixed moment
    # Who this process is, as a second process refused the state file is told ("lblab serve").
    holder: str = field(default_factory=lambda: os.path.basename(sys.argv[0]) or "python")
    # The state file's lock when the caller took it already (the CLI does, before the console's
    # heavy imports); otherwise start() takes it.
    state_lock: StateLock | None = None


@dataclass
class FetchResult:
    status: int
    headers: dict[str, str]
    body: bytes
    error: str = ""  # set when no HTTP answer came (e.g. timed out)
    elapsed: float = 0.0

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


@dataclass
class Cloud:
    config: CloudConfig = field(default_factory=CloudConfig)

    def __post_init__(self) -> None:
        cfg = self.config
        start = (
            cfg.start_time if cfg.start_time is not None else (DETERMINISTIC_EPOCH if cfg.seed is not None else None)
        )
        self.clock = Clock(cfg.time_scale, start)
        self.ids = IdFactory(cfg.seed)
        self.events = EventBus()
        self.store = StateStore(cfg.state_path) if cfg.state_path else None
        self.lock = (cfg.state_lock or StateLock(cfg.state_path)) if cfg.state_path else None
        data_dir = self.store.data_dir if self.store else Path.cwd() / ".lblab-scratch"
        self.ctx = Context(cfg.region, self.clock, self.ids, self.events, data_dir, self.save)
        self.ec2: Ec2Service = Ec2Service(self.ctx)
        self.network = Network(self.ec2)
        self.edge: InternetEdge | None = None
        # Other services (ELBv2) add resolvers for the public names they own.
        self.resolvers: list[Callable[[str, int, str], Route | None]] = []
        self.services: list[Any] = [self.ec2]
        self.elbv2 = Elbv2Service(self.ctx, self.ec2, self.network)
        self.services.append(self.elbv2)
        self.resolvers.append(self.elbv2.resolve)
        self._started = False
        self.restore_error: str | None = None
        # The state as last saved (what a change that cannot be saved is rolled back to), and why the
        # last save failed while it is not yet made good.
        self._saved_state: dict[str, Any] = {}
        self._encoder = StateEncoder()
        self.unsaved: SaveFailed | None = None
        self._by_key = {"ec2": self.ec2, **{s.state_key: s for s in self.services if s is not self.ec2}}
        transactions = Transactions(self._by_key, lambda: self._saved_state,
                                    self._ensure_saved)
        for service in self.services:
            transactions.install(service)

    @property
    def region(self) -> str:
        return self.config.region

    # -- life --------------------------------------------------------------------
    async def start(self) -> None:
        """Raises StateInUse, before anything is read or served, when another process holds the state."""
        await self.open()
        await self.resume()

    async def open(self) -> None:
        """The state loaded (or the defaults made) and the internet edge listening; no guest, listener or
        health check running yet: enough to show the cloud as it was saved. The console draws its first
        frame from that, then resumes the cloud; a caller that opens must resume before it changes anything.
        Raises StateInUse, before anything is read, when another process holds the state."""
        if self.lock is not None:
            self.lock.acquire(self.config.holder)
        state = self._load()
        self._started = True
        if state is None:
            self.ec2.create_defaults()
            self.save()
        else:  # the file holds this very state: no need to write it again
            self._saved_state = self.to_dict()
        if self.config.edge_port is not None:
            self.edge = InternetEdge(
                self.resolve, self.config.edge_host, self.config.edge_port, self.config.drop_timeout,
                allow_non_loopback=self.config.allow_non_loopback,
            )
            await self.edge.start()

    async def resume(self) -> None:
        """Every resource back where it was heading (once, after open()): guests booted, listeners bound,
        health checks running."""
        for service in self.services:
            await service.resume()

    async def close(self) -> None:
        try:
            if self.edge is not None:
                await self.edge.stop()
                self.edge = None
            for service in reversed(self.services):
                await service.close()
            self.save()
            await self.clock.close()
        finally:
            if self.lock is not None:
                self.lock.release()  # whatever went wrong, the next process may start

    async def __aenter__(self) -> Cloud:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- state -----------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        version, internal, gauss = self.ids._rng.getstate()
        return {
            "region": self.region,
            "clock": self.clock.now(),
            "id_rng": [version, list(internal), gauss],
            "ec2": self.ec2.to_dict(),
            **{s.state_key: s.to_dict() for s in self.services if s is not self.ec2},
        }

    def save(self) -> None:
        """Save the whole state. Inside a service call a failure raises SaveFailed (the call is then
        undone); elsewhere the change stays and is saved by the next save that succeeds."""
        if self.store is None or not self._started:
            return
        state = self.to_dict()
        try:
            self.store.save(state, self._encoder.encode)
        except OSError as exc:
            failure = SaveFailed(self.store.path, exc)
            if in_transaction():
                raise failure from exc  # the transaction rolls the change back
            self.unsaved = failure
            log.warning("lblab could not save its state to %s (%s); the cloud keeps the change and saves it "
                        "with the next save that succeeds, and refuses new changes until then", self.store.path, exc)
            return
        self._saved_state, self.unsaved = state, None

    def _ensure_saved(self) -> None:
        if self.unsaved is not None:
            self.save()
        if self.unsaved is not None:
            raise SaveFailed(self.unsaved.path, self.unsaved.cause)

    def _load(self) -> dict[str, Any] | None:
        if self.store is None:
            return None
        from mock_cloud.store import StateError

        try:
            state = self.store.load()
        except StateError as exc:
            self.restore_error = str(exc)
            return None
        if state is None:
            return None
        fresh_clock = self.clock.now()
        try:
            self.clock.resume_at(check_finite(state["clock"], "clock"))
            version, internal, gauss = state["id_rng"]
            self.ids._rng.setstate((version, tuple(internal), gauss))
            self.ec2.load(state["ec2"])
            for service in self.services:
                if service is not self.ec2 and service.state_key in state:
                    service.load(state[service.state_key])
            check_loaded(self._by_key, state)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            # Valid JSON of the wrong shape (edited by hand, or from a future lblab): set it aside
            # like a corrupt file and start afresh, rather than fail to start at all.
            self._forget_partial_load()
            self.clock.resume_at(fresh_clock)
            try:
                self.store.reject(f"the state file {self.store.path} does not hold a usable cloud "
                                  f"({type(exc).__name__}: {exc})")
            except StateError as error:
                self.restore_error = str(error)
            return None
        return state

    def _forget_partial_load(self) -> None:
        self.ec2.load({"vpcs": [], "subnets": [], "security_groups": [], "instances": []})
        self.elbv2.load({"load_balancers": [], "target_groups": [], "listeners": [], "certificates": None})

    # -- the internet ------------------------------------------------------------------
    def resolve(self, host: str, port: int, scheme: str) -> Route:
        """How the internet edge reaches a public name of this cloud."""
        name = host.lower().rstrip(".")
        instance = self.ec2.instance_by_public_address(name)
        if instance is not None:
            if instance.state != "running":
                return Drop()
            if not self.network.check(INTERNET_CLIENT, instance_peer(instance), port).allowed:
                return Drop()
            local = instance.local_port(port)
            if local is None:
                return Refused(
                    f"{host}:{port} refused the connection: nothing listens on port {port} of "
                    f"{instance.instance_id} (is the web server running?)"
                )
            return Forward("127.0.0.1", local, {})
        for resolver in self.resolvers:
            route = resolver(name, port, scheme)
            if route is not None:
                return route
        return Unknown(
            f"'{host}' does not exist in this lblab cloud. Public names here are instance public IPv4 "
            "addresses and DNS names, and load balancer DNS names (see the console, or `lblab serve`)."
        )

    @property
    def edge_url(self) -> str:
        if self.edge is None:
            raise RuntimeError("the internet edge is not running")
        return self.edge.url

    async def fetch(
        self,
        url: str,
        method: str = "GET",
        headers: dict[str, str] | None = None,
        timeout: float = 30.0,
        session: aiohttp.ClientSession | None = None,
    ) -> FetchResult:
        """A request from the learner's machine, through the internet edge (what a browser does)."""
        import aiohttp  # local: its ~0.1 s import is paid by the first fetch, not by every start

        started = time.monotonic()
        own = session is None
        session = session or aiohttp.ClientSession()
        try:
            async with session.request(
                method,
                url,
                headers=headers,
                proxy=self.edge_url,
                allow_redirects=False,
                timeout=aiohttp.ClientTimeout(total=timeout),
                ssl=False,
            ) as response:
                body = await response.read()
                return FetchResult(response.status, dict(response.headers), body, elapsed=time.monotonic() - started)
        except (TimeoutError, aiohttp.ClientError) as exc:
            return FetchResult(0, {}, b"", error=f"{type(exc).__name__}: {exc}", elapsed=time.monotonic() - started)
        finally:
            if own:
                await session.close()
