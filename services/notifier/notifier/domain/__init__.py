"""Pure rules of the notifier: no database, no network, no framework."""
