"""Notices to delegations: kept with the change that caused them, shown on "My engagements",
and sent by e-mail to those who are not connected."""
