"""A TCP proxy between tformance's processes and PostgreSQL that a drill can cut and restore.

Stopping the shared PostgreSQL would break every other test on the machine; cutting this proxy is what a
database outage looks like from gunicorn and the Celery worker: open connections die mid-stream and new ones
are refused, until the proxy listens again on the same port.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading


class PostgresProxy:
    """Forwards ``127.0.0.1:<port>`` to the database server; ``cut()`` drops everything, ``restore()`` resumes.

    The event loop runs in a daemon thread of the test process, so the proxy needs no process of its own.
    """

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target_host, self.target_port = target_host, target_port
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="drill-pg-proxy", daemon=True)
        self._server: asyncio.Server | None = None
        self._transports: set[asyncio.BaseTransport] = set()

    def _call(self, coro: object, timeout: float = 10.0) -> object:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)  # type: ignore[arg-type]

    def start(self) -> PostgresProxy:
        self._thread.start()
        self._call(self._listen())
        return self

    def cut(self) -> None:
        """The database becomes unreachable: no new connection is accepted and open ones are reset."""
        self._call(self._cut())

    def restore(self) -> None:
        """The database is back, on the same address as before."""
        self._call(self._listen())

    def stop(self) -> None:
        if self._thread.is_alive():
            with contextlib.suppress(Exception):
                self._call(self._cut())
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)

    async def _listen(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port, reuse_address=True)
            self.port = self._server.sockets[0].getsockname()[1]

    async def _cut(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for transport in list(self._transports):
            transport.abort()
        self._transports.clear()

    async def _serve(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(self.target_host, self.target_port)
        except OSError:
            client_writer.transport.abort()
            return
        pair = (client_writer.transport, upstream_writer.transport)
        self._transports.update(pair)
        try:
            await asyncio.gather(self._pipe(client_reader, upstream_writer), self._pipe(upstream_reader, client_writer))
        finally:
            for transport in pair:
                transport.abort()
                self._transports.discard(transport)

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.transport.abort()
