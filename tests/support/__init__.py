"""What tests share, one module per part of the system; test modules import from here, never from each other.

- ``waiting``: ``wait_for``, the one way a test waits (for a condition, never a fixed time).
- ``processes``: ``Script`` (a child process: the one wrapper), ``run_stack``, free ports for private platforms.
- ``reading``: the one way to read a topic (``read_to_end``, ``read_count``, ``follow``), shared with ``bench/``.
- ``kafka``: fresh topics, group names.
- ``rest``, ``registry``, ``ksql``, ``connect``: each server's requests as a client sends them.
- ``records``, ``consumer_records``: recorded and hand-made records for the consumers' models.
- ``browser``: the status page in headless Chromium. ``pipeline``: the four classic commands in any order.
"""
