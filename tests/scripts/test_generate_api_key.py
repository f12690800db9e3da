import subprocess
import sys

from services.price_service.settings import PriceServiceSettings
from shared.settings import load_settings
from tests.fixtures.paths import REPO

SCRIPT = REPO / "scripts" / "generate_api_key.py"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=30)


def test_default_and_requested_length_keys_are_random_and_accepted() -> None:
    first, second = run().stdout.strip(), run("--length", "40").stdout.strip()
    assert len(first) == 64 and len(second) == 40 and first.isalnum()
    assert first != run().stdout.strip()
    settings = load_settings(PriceServiceSettings, liquidation_api_key=f"{first},{second}",
                             oracle_address="0x" + "1" * 40, oracle_updater_private_key="0x" + "2" * 64,
                             cmc_api_key="cmc-key-0d1f3a5c7e9b2d4f6a8c0e1b")  # production refuses the mock source
    assert settings.api_keys == [first, second]


def test_too_short_is_refused() -> None:
    result = run("--length", "31")
    assert result.returncode == 2 and "at least 32" in result.stderr and not result.stdout
