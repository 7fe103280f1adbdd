"""Checks that a page asks nothing of the internet: the intranet has none.

:func:`external_references` lists every URL a page would load or link to
outside the local machine: ``src``, ``href``, ``srcset``, ``action``,
``poster`` and ``data`` attributes, CSS ``url(...)`` and ``@import`` in
``<style>`` blocks and ``style`` attributes. Text inside scripts is not a
request (vis-network's licence header names its web site) and is not counted.

>>> external_references('<link href="https://cdn.example.org/x.css"><img src="/a.png">')
['https://cdn.example.org/x.css']
>>> external_references('<a href="http://127.0.0.1:8000/x">ok</a>')
[]
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]", ""})
URL_ATTRS = frozenset({"src", "href", "srcset", "action", "poster", "data", "formaction"})
_CSS_URL = re.compile(r"""url\(\s*['"]?([^'")\s]+)""", re.IGNORECASE)
_CSS_IMPORT = re.compile(r"""@import\s+['"]([^'"]+)""", re.IGNORECASE)


def is_external(url: str) -> bool:
    """Whether loading ``url`` would leave the machine (data:, relative and loopback stay)."""
    url = url.strip()
    if url.startswith("//"):
        url = "http:" + url
    parts = urlsplit(url)
    if parts.scheme in ("", "data", "blob", "about", "javascript", "file", "mailto"):
        return False
    host = (parts.hostname or "").lower()
    return host not in LOCAL_HOSTS and not host.startswith("127.")


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_style = tag == "style"
        for name, value in attrs:
            if value is None:
                continue
            if name in URL_ATTRS:
                parts = value.split(",") if name == "srcset" else [value]
                self.urls.extend(p.strip().split(" ")[0] for p in parts)
            elif name == "style":
                self._css(value)

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self._css(data)

    def _css(self, text: str) -> None:
        self.urls.extend(_CSS_URL.findall(text))
        self.urls.extend(_CSS_IMPORT.findall(text))


def referenced_urls(html: str) -> list[str]:
    """Every URL the page's markup and styles reference (scripts' text excluded)."""
    parser = _Collector()
    parser.feed(html)
    parser.close()
    return parser.urls


def external_references(html: str) -> list[str]:
    """The referenced URLs that point off the machine, in document order."""
    return [u for u in referenced_urls(html) if is_external(u)]
