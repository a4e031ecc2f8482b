"""Pure segment logic: day counting, recency buckets, RFM scoring, the rule language."""
