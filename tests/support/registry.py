"""The Schema Registry over raw HTTP, for what the client library hides (status codes, headers)."""

from __future__ import annotations

import requests

V1_JSON = "application/vnd.schemaregistry.v1+json"


class Api:
    """Raw HTTP against the registry, for what the client library hides (status codes, headers)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.session = requests.Session()

    def request(self, method: str, path: str, body: object = None, **kwargs: object) -> requests.Response:
        headers = {"Content-Type": V1_JSON, **kwargs.pop("headers", {})}  # type: ignore[dict-item]
        return self.session.request(method, self.url + path, json=body, headers=headers, timeout=30, **kwargs)

    def register(self, subject: str, schema: str, **extra: object) -> requests.Response:
        return self.request("POST", f"/subjects/{subject}/versions", {"schema": schema, **extra})
