"""What `pbxconf watch` is told: where to listen, what to advertise to the PBX, how often to
plan in full, whom to notify, whether to heal. Every option is checked here, before
anything starts, and a bad one is a UsageError that says what was expected."""

from __future__ import annotations

import ipaddress
import math
import os
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from pbxconf.errors import UsageError
from pbxconf.redact import mask

# The manual's report port (API 报告推送: "默认 TCP 8260").
DEFAULT_LISTEN = "0.0.0.0:8260"
DEFAULT_INTERVAL = "15m"
# A full plan reads the whole PBX: more often than every 10 s it is a load on the PBX, not
# a watch. Longer than a week, a lost report waits too long to be found.
MIN_INTERVAL = 10.0
MAX_INTERVAL = 7 * 24 * 3600.0
# The test suite's watches plan a second apart against the simulator; no PBX should be
# planned that often, so this is a variable of the environment and no option.
TEST_MIN_INTERVAL = "PBXCONF_WATCH_TEST_MIN_INTERVAL"
DEFAULT_HEAL_LIMIT = 5

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|h)?\s*$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


@dataclass
class WatchOptions:
    listen_host: str = "0.0.0.0"
    listen_port: int = 8260
    # The report address the PBX is given at login (`url`, `urltag` 1), as the manual
    # writes one (`host:port/path`); None: the PBX reports to the IP it sees the login
    # come from, at `listen_port`.
    advertise: str | None = None
    advertise_port: int | None = None
    allow_from: list[Network] = field(default_factory=list)
    interval: float = 15 * 60
    fmt: str = "text"
    notify: str | None = None
    heal: bool = False
    heal_limit: int = DEFAULT_HEAL_LIMIT
    prune: bool = False
    # Coalescing: a batch of reports is handled once no report came for `settle` seconds,
    # or `max_delay` after its first report, whichever is sooner.
    settle: float = 0.2
    max_delay: float = 1.0

    @property
    def report_port(self) -> int:
        """The login's `port`: where the PBX connects (the advertised port, if any)."""
        return self.advertise_port or self.listen_port

    def describe_listener(self) -> str:
        host = f"[{self.listen_host}]" if ":" in self.listen_host else self.listen_host
        return f"{host}:{self.listen_port}"


def parse_listen(text: str) -> tuple[str, int]:
    """`HOST:PORT` (`[::]:8260` for IPv6) -> (host, port); port 0 takes any free port."""
    example = "e.g. 0.0.0.0:8260, 127.0.0.1:8260 or [::]:8260"
    match = re.fullmatch(r"\[([^\]]+)\]:(\d+)|([^:\[\]]+):(\d+)", text.strip())
    if not match:
        raise UsageError(f"--listen {text!r}: expected HOST:PORT, {example}")
    host = match.group(1) or match.group(3)
    port = int(match.group(2) or match.group(4))
    if port > 65535:
        raise UsageError(f"--listen {text!r}: the port must be 0-65535")
    if match.group(1):
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise UsageError(f"--listen {text!r}: {host!r} is not an IPv6 address") from None
    return host, port


def parse_advertise(text: str) -> tuple[str, int]:
    """`--advertise URL` -> (the login's `url`, the port the PBX connects to).

    The manual's absolute report URL has no scheme (`110.22.2.3:8260/report`): an http
    URL is sent that way, with its port spelt out. The manual shows no https form; an
    https URL is sent whole, which a PBX may or may not accept (try it; see README)."""
    example = "e.g. http://203.0.113.5:8260/report or https://hooks.example.com/pbx"
    try:
        parts = urlsplit(text.strip())
        port = parts.port
    except ValueError as err:
        raise UsageError(
            f"--advertise {mask(text)!r}: not a valid URL ({err}), {example}"
        ) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"--advertise {mask(text)!r}: expected an http(s) URL, {example}")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise UsageError(
            f"--advertise {mask(text)!r}: the PBX is given host, port and path only: no "
            "user:password@, ?query or #fragment"
        )
    if any(c.isspace() for c in text.strip()):
        raise UsageError(f"--advertise {mask(text)!r}: a URL has no spaces")
    port = port or (443 if parts.scheme == "https" else 80)
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    path = parts.path or "/"
    if parts.scheme == "https":
        return f"https://{host}:{port}{path}", port
    return f"{host}:{port}{path}", port


def parse_interval(text: str, least: float = MIN_INTERVAL) -> float:
    """`900`, `90s`, `15m`, `1h`, `10000ms` -> seconds, from `least` to a week."""
    match = _DURATION.match(text)
    seconds = float(match.group(1)) * _UNITS[match.group(2)] if match else math.nan
    if not math.isfinite(seconds) or seconds <= 0:
        raise UsageError(
            f"--interval {text!r}: expected a positive duration such as 15m, 1h, 90s or 900 "
            "(seconds)"
        )
    if not least <= seconds <= MAX_INTERVAL:
        raise UsageError(
            f"--interval {text!r}: expected {least:g}s to {MAX_INTERVAL / 3600:g}h (a week)"
        )
    return seconds


def least_interval() -> float:
    """MIN_INTERVAL, or the seconds the test suite sets in TEST_MIN_INTERVAL."""
    given = os.environ.get(TEST_MIN_INTERVAL)
    if not given:
        return MIN_INTERVAL
    try:
        seconds = float(given)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds <= 0:
        raise UsageError(f"{TEST_MIN_INTERVAL}={given!r}: expected seconds above 0")
    return seconds


def parse_allow_from(text: str) -> Network:
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        raise UsageError(
            f"--allow-from {text!r}: expected an IP address or network, e.g. 198.51.100.7 "
            "or 10.0.0.0/8"
        ) from None


def parse_notify(text: str) -> str:
    try:
        parts = urlsplit(text.strip())
        parts.port  # noqa: B018 - raises ValueError for a port outside 0-65535
    except ValueError as err:
        raise UsageError(f"--notify {mask(text)!r}: not a valid URL ({err})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"--notify {mask(text)!r}: expected an http(s) URL of a webhook")
    return text.strip()
