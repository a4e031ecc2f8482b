"""Chain definitions: the data model, its checks, the built-in templates."""
