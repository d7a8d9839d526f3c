"""What our servers share: the HTTP base, errors, compose host names, Avro and codecs.

Each of our Confluent-compatible servers (:mod:`stack.schema_registry`, :mod:`stack.rest_proxy`,
and the KSQL server) is built from the same pieces: :mod:`.http` (base handler: JSON bodies,
strict query arguments, one error body, one 500 policy), :mod:`.hosts`, :mod:`.avro_json` and
:mod:`.codecs` (record formats). What the application needs too (endpoints, Kafka helpers, the
Schema Registry client, the serve loop) is one layer down, in :mod:`clients`.
"""
