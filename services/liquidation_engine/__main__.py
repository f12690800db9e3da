"""`python -m services.liquidation_engine`: run the liquidation engine alone."""

from services.liquidation_engine.app import create_app
from services.liquidation_engine.settings import LiquidationEngineSettings
from shared.app import run

if __name__ == "__main__":
    run(LiquidationEngineSettings, create_app)
