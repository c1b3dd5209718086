"""Campaigns: phases and goals, after-action reports, and the figures they add up to."""
