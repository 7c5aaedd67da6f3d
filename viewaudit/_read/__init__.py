"""Reading: sources of impression rows, row validation, and where rejected rows go."""
