"""The CTA simulation: trains, turnstiles and weather written to Kafka (run `python simulation.py` from here).

A package only so that tests can import ``producers.models``; the classic scripts run from this folder.
"""
