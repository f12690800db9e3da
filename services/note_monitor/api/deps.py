"""Typed dependencies of the note monitor's routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from services.note_monitor.service import NoteMonitor
from shared.app import service_of

MonitorDep = Annotated[NoteMonitor, Depends(service_of(NoteMonitor))]
