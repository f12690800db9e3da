"""Code shared by the three services: settings, logging, auth, errors, HTTP, metrics, storage."""

VERSION = "0.1.0"
