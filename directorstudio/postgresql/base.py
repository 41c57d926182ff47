"""Django's PostgreSQL backend with a health check that costs no round trip while the connection is idle."""

import select

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    """The PostgreSQL backend whose `is_usable` asks the server only when the socket has something to say.

    A kept connection is checked at the start of each request (CONN_HEALTH_CHECKS). Django's check is a
    `SELECT 1` round trip, about a tenth of the status poll's time. An idle connection has nothing to
    read; one the server closed (a restart, a terminated backend, a pooler's idle timeout) becomes
    readable: the server's goodbye or the end of the stream. So the check polls the socket, without
    waiting, and makes the round trip only when there is something to read.
    """

    def is_usable(self) -> bool:
        if self.connection is None or self.connection.closed:
            return False
        poller = select.poll()
        poller.register(self.connection.fileno(), select.POLLIN)
        if not poller.poll(0):
            return True
        return super().is_usable()
