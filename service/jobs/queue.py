"""The broker side of distributed mode: the Celery application, sending chunk messages, queue length.

A message carries nothing but a chunk id. The database stays the source of truth: a worker
leases the chunk it is told about, so a message delivered twice, or delivered again after its
worker was killed, cannot store a result twice (see :mod:`service.jobs.store`).

Celery settings, and why:

- ``task_acks_late``: a message is acknowledged after its chunk is committed, not when it
  arrives, so a worker killed mid-chunk leaves the message to be delivered again;
- ``task_reject_on_worker_lost``: the same when a pool process dies (killed, out of memory);
- ``worker_prefetch_multiplier=1``: a worker process holds one message at a time, so messages
  are not parked behind a busy or dying process;
- JSON only, no result backend: results go to the database, in the chunk's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from celery import Celery
from kombu.exceptions import ChannelError

from ..settings import Settings

__all__ = ["TASK_NAME", "celery_app", "queued_messages", "send_chunks"]

TASK_NAME = "yuejuan.grade_chunk"
# Sending waits this long at most for a broker that is down; the sweep sends again later.
_SEND_RETRY = {"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5, "interval_max": 1.0}


def celery_app(settings: Settings) -> Celery:
    """A Celery application for ``settings.broker_url``, configured for late acknowledgement."""
    app = Celery("yuejuan", broker=settings.broker_url, set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        result_backend=None,
        task_default_queue=settings.job_queue,
        broker_transport_options={"visibility_timeout": settings.broker_visibility_timeout},
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,  # a worker waits for the broker to come back
        worker_enable_remote_control=False,  # progress lives in the database: GET /v1/jobs/{id}
        worker_send_task_events=False,
        worker_hijack_root_logger=False,
        enable_utc=True,
    )
    return app


def send_chunks(app: Celery, queue: str, chunk_ids: Sequence[int]) -> list[int]:
    """Send one message per chunk; returns the ids that could not be sent (the broker is down)."""
    unsent = list(chunk_ids)
    with app.producer_or_acquire() as producer:
        while unsent:
            try:
                app.send_task(
                    TASK_NAME, args=[unsent[0]], queue=queue, producer=producer, retry=True, retry_policy=_SEND_RETRY
                )
            except Exception:
                return unsent
            unsent.pop(0)
    return unsent


def queued_messages(app: Celery, queue: str) -> int:
    """How many messages wait in ``queue`` (not counting those workers hold)."""
    with app.connection_for_write() as connection:
        channel: Any = connection.default_channel
        try:
            return int(channel.queue_declare(queue=queue, passive=True).message_count)
        except ChannelError:  # the queue does not exist: Redis drops an empty list
            return 0
