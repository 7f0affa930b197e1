"""Treatment: schedules and cycle calendars, dose finding, adverse events and DLTs."""

__all__: list[str] = []  # calendar, ctcae, adverse_events, the dosefinding package
