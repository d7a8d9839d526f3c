"""Makes a Faust worker lose the stations rows it fetches while a rebalance is still in progress.

faust-streaming can lose rows fetched at the end of a rebalance (records it drops while the flow
is not active, queues it clears when flow control resumes) and counts on a seek to the committed
offset to fetch them again. That happened about once in ten restarts, so a test waiting for it
would pass by luck. Put on a worker's ``PYTHONPATH``, this module makes it happen every time: the
end of the rebalance waits after Faust's seek until a stations row has come (10 s at most), and
every stations row fetched before the rebalance ends is thrown away, as those paths throw it
away. Each lost row is printed, so a test can see the fault was there.
"""

import asyncio

import faust.transport.consumer as consumer

STATIONS = "org.chicago.cta.stations"
_getmany = consumer.Consumer.getmany
_perform_seek = consumer.Consumer.perform_seek
lost: list[int] = []


async def perform_seek(self):
    await _perform_seek(self)
    if "Fetcher" in repr(asyncio.current_task()):
        return  # Faust's fetcher seeking after a drop: holding it would stop the very fetches awaited
    for _ in range(100):  # hold the rebalance open until a row is lost in it
        if lost or not self.app.rebalancing:
            return
        await asyncio.sleep(0.1)


async def getmany(self, timeout):
    async for tp, message in _getmany(self, timeout):
        if tp.topic == STATIONS and self.app.rebalancing:
            lost.append(message.offset)
            print(f"Lost stations row {message.offset} in the rebalance", flush=True)
            continue
        yield tp, message


consumer.Consumer.perform_seek = perform_seek
consumer.Consumer.getmany = getmany
