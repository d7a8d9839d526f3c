"""The CTA simulation: trains, turnstiles and weather written to Kafka (run `python simulation.py` from here).

A package only so that tests can import ``producers.models`` and ``make lint``'s import contracts see
it; the classic scripts run from this folder.
"""
