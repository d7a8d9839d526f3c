"""What our servers and apps share: the HTTP base, the serve loop, Kafka helpers, Avro and codecs.

Each of our Confluent-compatible servers (:mod:`stack.schema_registry`, :mod:`stack.rest_proxy`,
and the KSQL server) is built from the same pieces: :mod:`.http` (base handler: JSON bodies,
strict query arguments, one error body, one 500 policy), :mod:`.serve` (logging, signals, listen
address, busy-port message, clean shutdown), :mod:`.kafka` (client settings, creating topics and
waiting until they are usable, running blocking calls off the event loop), :mod:`.avro_json`,
:mod:`.codecs` and :mod:`.registry_client` (record formats and the Schema Registry client).
"""
