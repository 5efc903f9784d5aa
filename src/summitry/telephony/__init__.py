"""Telephone legs into meetings over SIP: dial-in with a personal PIN, dial-out, keypad.

``sip.py`` adapts sippy (the SIP stack, in its own thread); ``calls.py`` runs one call from
the prompt to the room; ``leg.py`` is the call's media in Janus (its voice published into the
VideoRoom, its ear an AudioBridge mix of the floor); ``relay.py`` carries the phone's RTP.
"""
