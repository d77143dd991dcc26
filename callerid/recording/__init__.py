"""Recording calls the household answered (issue 18): the announcement, the files, their rules.

The modem side (joining the line, listening, +VRX) is callerid.modem.join; this package is what
happens around it: `announcement` (what the caller hears), `storage` (FLAC files beside the
database, retention, size cap), `worker` (the thread that saves them off the call path),
`settings` (the `[recording]` section). Import the submodules: this file imports nothing, so the
configuration can load `settings` without the rest.
"""
