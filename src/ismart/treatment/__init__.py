"""Treatment: schedules and cycle calendars, dose finding, adverse events and DLTs."""
