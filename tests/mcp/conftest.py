"""Real MCP servers for the tests: `servers.py` run as stdio subprocesses or on loopback HTTP."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from fantasy.mcp import MCPServerHTTP, MCPServerStdio

SERVERS = Path(__file__).with_name("servers.py")


def stdio(which: str = "tools", **options: Any) -> MCPServerStdio:
    return MCPServerStdio(sys.executable, [str(SERVERS), which], **options)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def alive(pid: int) -> bool:
    """Is the process running (a zombie, exited but not reaped, counts as gone)?"""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def wait_gone(pid: int, seconds: float = 15.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.05)
    return False


class HTTPServerProcess:
    """`servers.py <which> http PORT` as a subprocess, restartable on the same port."""

    def __init__(self, which: str = "tools", transport: str = "http"):
        self.which = which
        self.transport = transport
        self.port = free_port()
        path = "/sse" if transport == "sse" else "/mcp"
        self.url = f"http://127.0.0.1:{self.port}{path}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(SERVERS), self.which, self.transport, str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2),
            ):
                return
            time.sleep(0.05)
        raise RuntimeError("the HTTP MCP server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def server(self, **options: Any) -> MCPServerHTTP:
        return MCPServerHTTP(self.url, **options)


@pytest.fixture
def http_server() -> Iterator[HTTPServerProcess]:
    server = HTTPServerProcess()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def make_stdio() -> Iterator[Callable[..., MCPServerStdio]]:
    made: list[MCPServerStdio] = []

    def make(which: str = "tools", **options: Any) -> MCPServerStdio:
        server = stdio(which, **options)
        made.append(server)
        return server

    yield make
    for server in made:
        server.close()
