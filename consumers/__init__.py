"""The status page's half: Faust, KSQL statements and the Tornado server (run the scripts from here).

A package only so that ``make lint``'s import contracts can see it; the classic scripts run from this
folder and import their neighbours (``models``, ``consumer``) by their plain names.
"""
