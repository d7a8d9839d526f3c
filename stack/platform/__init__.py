"""The launchers of the local platform's processes: Kafka, PostgreSQL, Kafka Connect and our servers.

:mod:`.lifecycle` brings them up and down in order; :mod:`.services` lists them, one record each;
:mod:`.supervisor` starts, watches and stops processes; :mod:`.kafka`, :mod:`.postgres` and
:mod:`.connect` know how to run each; :mod:`.jars` fetches the Java side with Maven.
"""
