"""Campaigns: a one-off grant and/or message to every member of a segment, paced in batches."""
