"""Typed dependencies of the note monitor's routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.note_monitor.service import NoteMonitor


def get_monitor(request: Request) -> NoteMonitor:
    service = request.app.state.service
    if not isinstance(service, NoteMonitor):
        raise RuntimeError("the app was built without a NoteMonitor")
    return service


MonitorDep = Annotated[NoteMonitor, Depends(get_monitor)]
