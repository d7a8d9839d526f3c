"""Our own Confluent-compatible Schema Registry: Confluent's HTTP API over a Kafka ``_schemas`` topic.

Layers, top to bottom: :mod:`.http` (Tornado routes), :mod:`.registry` (subjects, versions, ids,
config, mode), :mod:`.compatibility` and :mod:`.schemas` (pure schema logic), and :mod:`.storage`
(the ``_schemas`` topic, the only place state lives). ``python -m stack.schema_registry`` runs it.
"""
