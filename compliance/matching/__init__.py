"""Name matching: normalization, candidate index, scoring features, and the engine."""
