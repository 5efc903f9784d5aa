"""Media: Janus as Summitry's media engine (a typed client, the process, the room adapter)."""
