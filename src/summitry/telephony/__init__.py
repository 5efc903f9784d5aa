"""Telephone legs into meetings over SIP: dial-in with a personal PIN, dial-out, keypad.

``sip.py`` adapts sippy (the SIP stack, in its own thread); ``gateway.py`` screens, answers
and places calls and runs each one (``call.py``) from the prompt (``reception.py``: the PIN,
the lobby) to the room (``room.py``, with its ``keypad.py``); ``leg.py`` is the call's media
in Janus (its voice published into the VideoRoom, its ear an AudioBridge mix of the floor);
``relay.py`` carries the phone's RTP.
"""
