"""Which entries belong to the site in front of the user: registrable-domain matching.

`login.acme.co.uk` and `acme.co.uk` share the registrable domain `acme.co.uk` (from the Public Suffix
List bundled with `publicsuffixlist`), so they match; `evil-acme.co.uk` and `co.uk` do not. IP
addresses and single-label hosts (localhost) match only themselves, port aside.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from urllib.parse import urlsplit


@lru_cache(maxsize=1)
def _psl():
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList()


def host_of(url_or_host: str) -> str:
    """The lowercase host of a URL or bare host name ('' if there is none)."""
    text = (url_or_host or "").strip()
    if not text:
        return ""
    if "://" not in text:
        text = "//" + text
    try:
        host = urlsplit(text).hostname or ""
    except ValueError:
        return ""
    return host.rstrip(".").lower()


@lru_cache(maxsize=65536)  # more than a big vault's URLs: 4096 thrashed at 10k entries
def site_key(url_or_host: str) -> str:
    """The registrable domain of a URL's host, or the host itself for IPs and single labels."""
    host = host_of(url_or_host)
    if not host:
        return ""
    try:
        ipaddress.ip_address(host.strip("[]"))
        return host
    except ValueError:
        pass
    if "." not in host:
        return host
    registrable = _psl().privatesuffix(host)
    return registrable or host  # a public suffix itself (e.g. "co.uk") only matches itself

