"""A chain's dry run: the path one customer would take, walked by the chain's own steps."""
