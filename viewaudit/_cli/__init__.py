"""The ``viewaudit`` command line."""
