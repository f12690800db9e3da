"""`python -m services.price_service`: run the price service alone."""

from services.price_service.app import create_app
from services.price_service.settings import PriceServiceSettings
from shared.app import serve, setup_logging
from shared.settings import load_settings_or_exit


def main() -> None:
    settings = load_settings_or_exit(PriceServiceSettings)
    setup_logging(settings)
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
