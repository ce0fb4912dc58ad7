"""One spelling for each model endpoint, so that cosmetic differences in a base URL do not
change cache keys (and with them `--resume`'s matches).

`http://LOCALHOST:80/v1/`, `http://127.0.0.1/v1` and `http://[::1]/v1` are one server;
`endpoint_identity` writes each as `http://localhost/v1`. What can name a different
server is kept: the scheme, another host, a port other than the scheme's default, the
path (less its trailing slash) and the query. Credentials in the URL are dropped: a
cache key never carries a secret.
"""

from __future__ import annotations

import functools
from urllib.parse import urlsplit, urlunsplit

DEFAULT_PORTS = {"http": 80, "https": 443}
# The names of this machine's default loopback address. Other 127.x addresses are not
# among them: a server bound to 127.0.0.2 is not the one at 127.0.0.1.
LOOPBACK = {"localhost", "127.0.0.1", "::1"}


@functools.lru_cache(maxsize=64)  # a run has one or two endpoints; every brief names one
def endpoint_identity(url: str) -> str:
    """The normalised form of a base URL, for cache keys and `--resume` notes."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")  # hostname: lower case, no brackets
    if host in LOOPBACK:
        host = "localhost"
    try:
        port = parts.port
    except ValueError:  # not a number: leave it as written, it will fail to connect
        port = None
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != DEFAULT_PORTS.get(scheme):
        netloc += f":{port}"
    path = "/".join(segment for segment in parts.path.split("/") if segment)
    return urlunsplit((scheme, netloc, f"/{path}" if path else "", parts.query, ""))
