"""Notices to officers when a published order of their unit is amended or cancelled."""
