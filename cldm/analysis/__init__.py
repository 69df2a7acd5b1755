"""Analysis: error analysis, moments side by side, distribution quality, the study's tables."""
