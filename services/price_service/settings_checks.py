"""The price service's settings checked against each other and against production (issue 21).

Each check raises ValueError with one line naming the setting; shared/app.py turns it into that line on
stderr and exit code 2. Development (ENVIRONMENT=development) may run the mock source, published keys and
plain-http sources; production may not.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from services.price_service.published_keys import published_as
from shared.settings import url_list

if TYPE_CHECKING:
    from services.price_service.settings import PriceServiceSettings

MIN_LEASE_TTL = 1.0  # seconds: renewed every third of it through a database round trip
MOCK_CMC_KEYS = ("", "mock")
SOURCE_BASE_URLS = {"cmc": "cmc_base_url", "coingecko": "coingecko_base_url", "coinbase": "coinbase_base_url",
                    "kraken": "kraken_base_url"}


def check_production(s: PriceServiceSettings) -> None:
    """No mock prices and no published key outside development."""
    if s.environment == "development":
        return
    names = s.price_sources.split(",")
    if "mock" in names:
        raise ValueError("PRICE_SOURCES: mock is the development price source (random prices); production refuses it")
    if names == ["cmc"] and s.cmc_api_key.get_secret_value().strip().lower() in MOCK_CMC_KEYS:
        raise ValueError("CMC_API_KEY is required in production: empty or mock means the mock price source, "
                         "which only development runs")
    for setting in ("oracle_updater_private_key", "price_feed_admin_secret_key"):
        key = getattr(s, setting).get_secret_value()
        where = published_as(key) if key else None
        if where is not None:
            raise ValueError(f"{setting.upper()} is {where}'s key, published for anyone to use; production refuses it")


def check_timing(s: PriceServiceSettings) -> None:
    """Durations that only make sense against each other."""
    if s.watchdog_seconds < s.watchdog_floor:
        raise ValueError(f"WATCHDOG_TIMEOUT must be at least twice PRICE_POLL_INTERVAL plus SOURCE_TIMEOUT "
                         f"({s.watchdog_floor:g} s): one late cycle must not look like a hung loop")
    if s.fetch_stale_seconds <= s.price_poll_interval:
        raise ValueError("FETCH_STALE_AFTER must be longer than PRICE_POLL_INTERVAL: the service would be "
                         "unhealthy between two successful polls")
    if s.price_lease_ttl is not None and s.price_lease_ttl < MIN_LEASE_TTL:
        raise ValueError(f"PRICE_LEASE_TTL must be at least {MIN_LEASE_TTL:g} s: renewed every third of it through "
                         "the database, a shorter lease is lost to one slow query and the replicas take turns leading")
    if s.price_lease_ttl is not None and s.price_lease_ttl >= s.price_poll_interval:
        raise ValueError("PRICE_LEASE_TTL must be below PRICE_POLL_INTERVAL: a standby takes over within "
                         "one poll interval only when the leader's lease runs out sooner")
    if s.max_price_jump <= s.price_change_threshold:
        raise ValueError("MAX_PRICE_JUMP must be above PRICE_CHANGE_THRESHOLD: every move worth pushing "
                         "would wait for confirmation")


def check_urls(s: PriceServiceSettings) -> None:
    """The engines to notify, and each listed source's base URL (HTTPS outside development, but for loopback)."""
    url_list("LIQUIDATION_ENGINE_URL", s.liquidation_engine_url)
    for source in s.source_names:
        if source not in SOURCE_BASE_URLS:
            continue
        setting = SOURCE_BASE_URLS[source]
        urls = url_list(setting.upper(), getattr(s, setting), https_outside_loopback=s.environment != "development")
        if len(urls) != 1:
            raise ValueError(f"{setting.upper()} is one URL, not a list")
