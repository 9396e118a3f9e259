"""Reading a /metrics page back, as `admin status` does: totals and latency quantiles
(docs/metrics.md)."""

from __future__ import annotations

import math
from collections import defaultdict

from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

# A page's samples by name, as written: a counter's carry its `_total`, a histogram's
# `_bucket`, `_count` and `_sum`.
Page = dict[str, list[Sample]]


def parse_page(text: str) -> Page:
    """The samples of a page in Prometheus's text format; ValueError if it is not one."""
    page: defaultdict[str, list[Sample]] = defaultdict(list)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            page[sample.name].append(sample)
    return dict(page)


def total(page: Page, name: str, **labels: str) -> float:
    """The sum of the samples called `name` that carry these label values."""
    return sum(
        sample.value
        for sample in page.get(name, ())
        if all(sample.labels.get(key) == value for key, value in labels.items())
    )


def quantile(page: Page, histogram: str, q: float) -> float | None:
    """The `q` quantile (0.5, 0.99) of a histogram's observations, every series together,
    estimated within its bucket as Prometheus's histogram_quantile does. None when it has
    none; the highest finite bound when it falls in the +Inf bucket."""
    counts: defaultdict[float, float] = defaultdict(float)
    for sample in page.get(f"{histogram}_bucket", ()):
        counts[float(sample.labels["le"])] += sample.value
    bounds = sorted(counts)
    if not bounds or counts[bounds[-1]] == 0:
        return None
    rank = q * counts[bounds[-1]]
    lower, below = 0.0, 0.0
    for bound in bounds:
        count = counts[bound]
        if count >= rank:
            if math.isinf(bound):
                return lower
            return lower + (bound - lower) * (rank - below) / (count - below)
        lower, below = bound, count
    return lower
