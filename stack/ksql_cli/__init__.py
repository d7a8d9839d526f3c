"""``ksql``: a command-line client for ksqlDB's REST API, as ksqlDB's own CLI behaves.

Separate from the server (``stack/ksql``): it talks only the documented REST API, so it works
against our KSQL server and against a real ksqlDB server alike. ``input`` splits typed text into
statements, ``client`` sends them, ``render`` draws the answers, ``console`` runs the REPL and the
``-e`` / ``-f`` scripts.
"""
