"""Scheduled chains: a Temporal schedule per chain runs a launcher over the chain's audience."""
