"""Prometheus metrics with one registry per app, so several apps can live in one process (tests)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest


class Metrics:
    def __init__(self, prefix: str) -> None:
        self.registry = CollectorRegistry()
        self.prefix = prefix

    def counter(self, name: str, doc: str, labels: tuple[str, ...] = ()) -> Counter:
        return Counter(f"{self.prefix}_{name}", doc, labels, registry=self.registry)

    def gauge(self, name: str, doc: str, labels: tuple[str, ...] = ()) -> Gauge:
        return Gauge(f"{self.prefix}_{name}", doc, labels, registry=self.registry)

    def histogram(self, name: str, doc: str, labels: tuple[str, ...] = (), buckets: tuple[float, ...] | None = None) -> Histogram:
        if buckets:
            return Histogram(f"{self.prefix}_{name}", doc, labels, registry=self.registry, buckets=buckets)
        return Histogram(f"{self.prefix}_{name}", doc, labels, registry=self.registry)

    def render(self) -> bytes:
        return generate_latest(self.registry)


metrics_router = APIRouter()


@metrics_router.get("/metrics", response_class=Response, responses={200: {
    "description": "Prometheus text exposition format", "content": {"text/plain": {"schema": {"type": "string"}}}}})
async def metrics_endpoint(request: Request) -> Response:
    metrics: Metrics = request.app.state.metrics
    return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)
