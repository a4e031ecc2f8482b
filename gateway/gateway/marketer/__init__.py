"""The gateway's own schemas of the marketer API: what a marketer reads and writes, typed and
with examples, kept apart from any service's package (the services validate again)."""
