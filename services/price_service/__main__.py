"""`python -m services.price_service`: run the price service alone."""

from services.price_service.app import create_app
from services.price_service.settings import PriceServiceSettings
from shared.app import run

if __name__ == "__main__":
    run(PriceServiceSettings, create_app)
