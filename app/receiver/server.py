# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Running the receiver's ASGI app under uvicorn in a thread of its own."""

import errno
import logging
import os
import socket
import threading
import time

import uvicorn
from starlette.types import ASGIApp

log = logging.getLogger(__name__)

# Connections served at once; beyond it uvicorn answers 503, which
# BigCommerce retries, instead of letting memory grow without bound.
LIMIT_CONCURRENCY = 512
BACKLOG = 2048
# Tunnels and BigCommerce reuse connections; keep idle ones a while.
KEEP_ALIVE_S = 30
_POLL_S = 0.01


class ReceiverStartError(RuntimeError):
    """The receiver could not listen; the message says why, for the user."""


class ReceiverServer:
    """uvicorn serving one ASGI app on its own thread and event loop.

    It installs no signal handlers (the process owner decides how to stop)
    and binds its socket itself, so that a busy port is a clear error rather
    than uvicorn exiting the process.
    """

    def __init__(self, app: ASGIApp, host: str, port: int) -> None:
        self._app = app
        self._host = host
        self._port = port
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self._failure: BaseException | None = None
        self.bound_port: int | None = None

    @property
    def is_running(self) -> bool:
        """True while the server thread is serving."""
        server, thread = self._server, self._thread
        alive = thread is not None and thread.is_alive()
        return alive and server is not None and server.started

    @property
    def address(self) -> str:
        """host:port being listened on (the bound port once started)."""
        return f"{self._host}:{self.bound_port or self._port}"

    def start(self, timeout: float = 10.0) -> None:
        """Bind and start serving; return once connections are accepted."""
        if self.is_running:
            return
        sock = self._bind()
        self._socket = sock
        self.bound_port = sock.getsockname()[1]
        self._failure = None
        self._server = uvicorn.Server(self._config())
        self._thread = threading.Thread(
            target=self._run, args=(self._server, sock), name="receiver", daemon=True
        )
        self._thread.start()
        self._wait_started(timeout)
        log.info("Receiver listening on http://%s", self.address)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving and free the port; in-flight requests may finish."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        server.should_exit = True
        thread.join(timeout)
        if thread.is_alive():
            log.warning("The receiver did not stop within %s s; forcing it", timeout)
            server.force_exit = True
            thread.join(timeout)
        self._close_socket()
        self._server = None
        self._thread = None
        log.info("Receiver on %s stopped", self.address)

    def _config(self) -> uvicorn.Config:
        return uvicorn.Config(
            self._app,
            log_level="warning",
            # Leave the process's logging alone; only uvicorn's levels are set.
            log_config=None,
            access_log=False,
            lifespan="off",
            ws="none",
            limit_concurrency=LIMIT_CONCURRENCY,
            backlog=BACKLOG,
            timeout_keep_alive=KEEP_ALIVE_S,
            timeout_graceful_shutdown=3,
            server_header=False,
        )

    def _bind(self) -> socket.socket:
        try:
            family, kind, proto, _, address = socket.getaddrinfo(
                self._host, self._port, type=socket.SOCK_STREAM
            )[0]
        except OSError as exc:
            raise ReceiverStartError(
                f"cannot listen on {self._host}:{self._port}: {exc}"
            ) from None

        sock = socket.socket(family, kind, proto)
        try:
            _allow_quick_rebind(sock)
            sock.bind(address)
            sock.listen(BACKLOG)
        except OSError as exc:
            sock.close()
            raise ReceiverStartError(self._bind_message(exc)) from None
        sock.setblocking(False)
        return sock

    def _bind_message(self, exc: OSError) -> str:
        if exc.errno in (errno.EADDRINUSE, getattr(errno, "WSAEADDRINUSE", -1)):
            return f"port {self._port} on {self._host} is already in use"
        if exc.errno in (errno.EACCES, errno.EPERM):
            return f"not allowed to listen on port {self._port} on {self._host}"
        if exc.errno == errno.EADDRNOTAVAIL:
            return f"{self._host} is not an address of this computer"
        return f"cannot listen on {self._host}:{self._port}: {exc.strerror or exc}"

    def _run(self, server: uvicorn.Server, sock: socket.socket) -> None:
        try:
            server.run(sockets=[sock])
        except BaseException as exc:
            # uvicorn ends a failed startup with SystemExit; keep it in this
            # thread and report it to whoever waits in start().
            self._failure = exc
            log.error("The receiver stopped unexpectedly: %r", exc)

    def _wait_started(self, timeout: float) -> None:
        server, thread = self._server, self._thread
        assert server is not None and thread is not None
        deadline = time.monotonic() + timeout
        while not server.started:
            if not thread.is_alive():
                self._close_socket()
                raise ReceiverStartError(
                    f"the receiver on {self.address} failed to start: {self._failure!r}"
                )
            if time.monotonic() > deadline:
                self.stop()
                raise ReceiverStartError(
                    f"the receiver on {self.address} did not start within {timeout} s"
                )
            time.sleep(_POLL_S)

    def _close_socket(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None


def _allow_quick_rebind(sock: socket.socket) -> None:
    # Lets an immediate restart bind while old connections sit in TIME_WAIT.
    # On Windows SO_REUSEADDR would let two servers share the port, so the
    # exclusive option is the safe equivalent there.
    if os.name == "nt":
        exclusive = getattr(socket, "SO_EXCLUSIVEADDRUSE", None)
        if exclusive is not None:
            sock.setsockopt(socket.SOL_SOCKET, exclusive, 1)
        return
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
