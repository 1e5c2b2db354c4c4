"""Reading a worker's /metrics page: one GET, parsed into samples by name (what
`screening status` and the benchmarks know of a running worker)."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections import defaultdict
from dataclasses import dataclass

from prometheus_client.parser import text_string_to_metric_families

DEFAULT_URL = "http://127.0.0.1:6066/metrics"

Samples = dict[str, list[tuple[dict[str, str], float]]]


class StatusError(Exception):
    """A worker could not be scraped; the message is one line naming the URL."""


@dataclass(frozen=True)
class Scrape:
    """One worker's samples by sample name, and when they were taken (monotonic s)."""

    url: str
    samples: Samples
    at: float

    def values(self, name: str) -> list[tuple[dict[str, str], float]]:
        """Every (labels, value) of a sample name."""
        return self.samples.get(name, [])

    def value(self, name: str, default: float = 0.0, **labels: str) -> float:
        """The sum of the samples of `name` whose labels include `labels`."""
        found = [v for ls, v in self.values(name) if all(ls.get(k) == w for k, w in labels.items())]
        return sum(found) if found else default

    def label(self, name: str, key: str) -> str:
        """The value of label `key` on the first sample of `name` ("" if none)."""
        for ls, _ in self.values(name):
            return ls.get(key, "")
        return ""


def parse(url: str, text: str, at: float) -> Scrape:
    """Consumes Prometheus text exposition; produces a Scrape."""
    samples: Samples = defaultdict(list)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[sample.name].append((dict(sample.labels), float(sample.value)))
    return Scrape(url, dict(samples), at)


def scrape(url: str, timeout_s: float = 5.0) -> Scrape:
    """GET one worker's /metrics; raises StatusError with a one-line reason."""
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            text = response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        raise StatusError(f"{url}: HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise StatusError(f"cannot reach {url}: {exc.reason}") from None
    except (OSError, ValueError) as exc:
        raise StatusError(f"cannot reach {url}: {exc}") from None
    try:
        return parse(url, text, time.monotonic())
    except ValueError as exc:
        raise StatusError(f"{url} did not answer Prometheus metrics: {exc}") from None
