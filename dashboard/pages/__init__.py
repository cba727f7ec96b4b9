"""One module per page: each offers layout(), validation_layout() and register_callbacks()."""
