"""python -m services.note_monitor"""

from __future__ import annotations

from services.note_monitor.app import create_app
from services.note_monitor.settings import NoteMonitorSettings
from shared.app import serve, setup_logging
from shared.settings import load_settings_or_exit


def main() -> None:
    settings = load_settings_or_exit(NoteMonitorSettings)
    setup_logging(settings)
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
