"""`python -m services.liquidation_engine`: run the liquidation engine alone."""

from services.liquidation_engine.app import create_app
from services.liquidation_engine.settings import LiquidationEngineSettings
from shared.app import serve, setup_logging
from shared.settings import load_settings_or_exit


def main() -> None:
    settings = load_settings_or_exit(LiquidationEngineSettings)
    setup_logging(settings)
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
