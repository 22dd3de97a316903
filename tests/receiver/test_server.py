# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""The receiver's server thread: binding, busy ports, stopping and restarting."""

import socket

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from app.receiver.server import ReceiverServer, ReceiverStartError


async def hello(request: Request) -> PlainTextResponse:
    return PlainTextResponse("hello")


APP = Starlette(routes=[Route("/", hello)])


def test_port_zero_binds_a_free_port_and_serves() -> None:
    server = ReceiverServer(APP, "127.0.0.1", 0)
    server.start()
    try:
        assert server.is_running
        assert server.bound_port
        answer = httpx.get(f"http://127.0.0.1:{server.bound_port}/")
        assert answer.text == "hello"
    finally:
        server.stop()
    assert not server.is_running


def test_busy_port_is_a_clear_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        with pytest.raises(ReceiverStartError) as raised:
            ReceiverServer(APP, "127.0.0.1", port).start()

    assert str(raised.value) == f"port {port} on 127.0.0.1 is already in use"


def test_stop_frees_the_port_for_an_immediate_restart() -> None:
    first = ReceiverServer(APP, "127.0.0.1", 0)
    first.start()
    port = first.bound_port
    assert port is not None
    # A kept-alive connection must not keep the port.
    with httpx.Client() as client:
        client.get(f"http://127.0.0.1:{port}/")
        first.stop()

    second = ReceiverServer(APP, "127.0.0.1", port)
    second.start()
    try:
        assert httpx.get(f"http://127.0.0.1:{port}/").text == "hello"
    finally:
        second.stop()


def test_unknown_host_is_a_clear_error() -> None:
    with pytest.raises(ReceiverStartError, match="cannot listen on"):
        ReceiverServer(APP, "no-such-host.invalid", 8787).start()


def test_start_and_stop_are_idempotent() -> None:
    server = ReceiverServer(APP, "127.0.0.1", 0)
    server.stop()
    server.start()
    server.start()
    server.stop()
    server.stop()
    assert not server.is_running
