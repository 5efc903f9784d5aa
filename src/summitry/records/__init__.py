"""The record: minutes drawn from the log, each delegation's readouts, the archive of every
engagement with its full-text search, and the analytics of a diplomatic calendar."""
