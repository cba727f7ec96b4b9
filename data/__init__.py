"""The incident store: settings, engine and session, models, demo scenario, importers."""
