"""`pbxconf watch`: learn of out-of-band changes the moment the PBX reports them.

options.py    what the command is told, checked before anything starts
listener.py   the HTTP listener: reports (answered 200 at once), /healthz, /metrics
reports.py    the PBX's report shapes, and which reports are believed (sn, source)
coalescer.py  reports -> batches of dirty objects: duplicates and bursts become one read
session.py    the session kept open: refresh while idle, re-login, backoff
mirror.py     the PBX as last read, patched object by object
drift.py      what is news: new drift, drift gone, unmanaged objects come and gone
heal.py       --heal: apply's rules, and a circuit breaker
events.py     the events, as text or JSON lines
output.py     where events go: stdout, the webhook, the counters
notify.py     --notify: the webhook, retried and bounded
metrics.py    the Prometheus metrics
watcher.py    the loop that ties them together
"""
