"""A Confluent REST Proxy v2 compatible server for the local platform.

Clients written for Confluent's REST Proxy (produce in binary, json or avro embedded formats,
topic metadata, v2 consumer instances) work unchanged against it.  Layers: ``http`` (Tornado
handlers), ``produce`` / ``consumers`` / ``formats`` / ``avro_json`` (logic), ``producer`` /
``metadata`` / ``schemas`` (Kafka and Schema Registry clients).  Run it with
``python -m stack.rest_proxy``.
"""
