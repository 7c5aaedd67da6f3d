"""The ladder's figures: estimates and intervals per rung and group, from the scan's statistics."""
