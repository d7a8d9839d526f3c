"""The client layer: what every process that talks to the platform uses, whichever platform it is.

The application (``producers/``, ``consumers/``, ``cta``) and our servers (``stack/``) both stand on
it, and it knows neither of them (``make lint`` checks that, see docs/architecture.md):
:mod:`.endpoints` (where each service is, from the environment), :mod:`.kafka` (client settings,
errors, topics that are ready, blocking calls off the event loop), :mod:`.registry` (the Schema
Registry client) and :mod:`.serve` (a Tornado application run as a process, as the status page and
our servers run). With only this package, the application runs against the Docker platform.
"""
