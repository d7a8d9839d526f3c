"""A KSQL server that speaks ksqlDB's REST API, for the local platform (ksqlDB itself cannot be installed here)."""
