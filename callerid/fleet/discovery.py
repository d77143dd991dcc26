"""Home Assistant MQTT discovery: the entities one home offers, as retained config messages.

Everything reads the home's retained status topic (so HA needs no second subscription per
entity) and is available while that status says "online" (the last will says "offline").
Topics are `<prefix>/<component>/<home>/<object>/config`: the home id is a whole topic level,
so a broker ACL can let each home write only its own discovery (`%u`).
"""

from __future__ import annotations

from typing import Any

from callerid import __version__
from callerid.fleet import topics


def discovery_messages(home: str, prefix: str = "homeassistant") -> list[tuple[str, dict[str, Any]]]:
    """(topic, config) for every entity of `home`; publish each retained."""
    status = topics.status(home)
    device = {
        "identifiers": [f"callerid_{home}"],
        "name": f"Caller ID {home}",
        "manufacturer": "callerid",
        "model": "landline caller-ID appliance",
        "sw_version": __version__,
    }
    common = {
        "availability_topic": status,
        "availability_template": "{{ 'online' if value_json.state == 'online' else 'offline' }}",
        "device": device,
    }
    entities: list[tuple[str, str, dict[str, Any]]] = [
        ("sensor", "last_call", {
            "name": "Last call",
            "state_topic": status,
            "value_template": "{{ (value_json.last_call or {}).get('number') or 'none' }}",
            "json_attributes_topic": status,
            "json_attributes_template": "{{ (value_json.last_call or {}) | tojson }}",
            "icon": "mdi:phone-incoming",
        }),
        ("sensor", "flagged_today", {
            "name": "Flagged calls today",
            "state_topic": status,
            "value_template": "{{ value_json.flagged_today }}",
            "state_class": "measurement",
            "icon": "mdi:phone-alert",
        }),
        ("binary_sensor", "alarm", {
            "name": "Alarm",
            "state_topic": status,
            "value_template": "{{ 'ON' if value_json.alarm else 'OFF' }}",
            "device_class": "safety",
        }),
        ("sensor", "modem", {
            "name": "Modem state",
            "state_topic": status,
            "value_template": "{{ value_json.modem }}",
            "entity_category": "diagnostic",
            "icon": "mdi:phone-classic",
        }),
        ("button", "block_last_caller", {
            "name": "Block last caller",
            "command_topic": topics.command(home),
            "payload_press": '{"block_last": true}',
            "icon": "mdi:phone-cancel",
        }),
    ]
    messages = []
    for component, name, config in entities:
        ident = f"callerid_{home}_{name}"
        payload = {**config, **common, "unique_id": ident, "object_id": ident}
        messages.append((f"{prefix}/{component}/{home}/{name}/config", payload))
    return messages


__all__ = ["discovery_messages"]
