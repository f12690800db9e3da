"""`python -m services.note_monitor`: run the note monitor alone."""

from services.note_monitor.app import create_app
from services.note_monitor.settings import NoteMonitorSettings
from shared.app import run

if __name__ == "__main__":
    run(NoteMonitorSettings, create_app)
