"""The repatriation board: hand-over points, cohorts, plans, batches and their confirmation."""
