"""Who holds a chunk's lease: ``host:pid:nonce``, so that a process can tell a dead holder on
its own host (its process id is gone) at once; a holder on another host is known dead only
when its lease runs out."""

from __future__ import annotations

import os
import socket
import uuid

__all__ = ["is_dead_here", "new_owner"]

_HOST = socket.gethostname()


def new_owner() -> str:
    """A lease owner name for this process (unique even if the process id is reused)."""
    return f"{_HOST}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def is_dead_here(owner: str) -> bool:
    """True when ``owner`` was a process on this host that no longer runs; False when unsure."""
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    if host != _HOST or not pid.isdigit() or int(pid) == os.getpid():
        return False
    return not _pid_alive(int(pid))
