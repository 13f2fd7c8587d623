"""The web process's publisher: every stored delivery's id reaches the broker once, in batches under load."""

import threading
import time

from apps.integrations.services.publisher import MAX_BATCH, DeliveryPublisher


def test_every_id_is_published_once_and_bursts_share_messages():
    published: list[list[int]] = []
    gate = threading.Event()

    def slow_broker(batch: list[int]) -> None:
        gate.wait(5)  # the first publish is slow, so the burst behind it gathers
        published.append(batch)

    publisher = DeliveryPublisher(slow_broker)
    threads = [threading.Thread(target=publisher.submit, args=(n,)) for n in range(250)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    gate.set()
    publisher.flush()
    ids = [pk for batch in published for pk in batch]
    assert sorted(ids) == list(range(250))
    assert len(published) < 50 and max(len(b) for b in published) <= MAX_BATCH


def test_a_failing_broker_does_not_stop_the_publisher():
    calls: list[list[int]] = []

    def flaky(batch: list[int]) -> None:
        calls.append(batch)
        if len(calls) == 1:
            raise ConnectionError("broker down")

    publisher = DeliveryPublisher(flaky)
    publisher.submit(1)
    deadline = time.monotonic() + 5
    while not calls and time.monotonic() < deadline:
        time.sleep(0.01)
    publisher.submit(2)
    deadline = time.monotonic() + 5
    while len(calls) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert calls == [[1], [2]]  # 1 stays pending in the database for the sweeper; 2 still goes out
