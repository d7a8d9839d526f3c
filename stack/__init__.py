"""The local platform: Kafka, PostgreSQL, Kafka Connect and our own Confluent-compatible servers.

Run it with ``python -m stack up | down | status | logs``. Everything it starts is an ordinary local
process with its own log file; nothing needs Docker.
"""
