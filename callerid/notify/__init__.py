"""Family notifications: a flagged call or a fault reaches the family wherever they are.

How it fits together (never in the call's way, never lost):

- `queue.CallNotifier` is the appliance's per-call listener: for a committed call whose verdict the
  family asked for, it puts one small JSON item in the durable outbox (`callerid.outbox`), keyed
  `call:<id>`. That INSERT is all the call path pays.
- `health` conditions are queued the same way, keyed `health:<condition>:<since>:<on|off>`; the
  digest `digest:<daily|weekly>:<date>`.
- `sender.NotifySender` is one thread: it waits on the outbox, renders the due items in the
  family's language (`message`), and hands them to apprise (`deliver`). Delivered items are marked
  sent; a failure is retried with backoff. Quiet hours hold items; a flood becomes one summary.

Duplicates: each event has one key, and the outbox stores a key once (a retried commit or a
restart re-queueing cannot double it). Delivery is at least once: an item is marked sent only after
apprise reports success, so a crash between the two (a window of milliseconds) sends it once more
after the restart. Nothing else can repeat a message.
"""
