"""Many homes, one MQTT broker: call events, status, commands, signed shared lists, Home Assistant.

Everything here sits beside the call path, never on it: the appliance hands a committed call to
the outbox (one INSERT) and a sender thread delivers it when the broker is reachable. The topics
are a stable contract (docs/fleet.md, DESIGN.md). paho-mqtt is imported only by the modules that
talk to a broker, so screening and the website never pay for it.
"""
