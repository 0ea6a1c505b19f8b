"""Fleets: one repository, many PBXes.

inventory.py   `pbxconf.yaml`: each PBX's name, URL, credentials' variables, labels, layers
selection.py   --pbx, --select LABEL=VALUE, --all, and stable --shard K/N
overlay.py     a PBX's manifests as layers: a base, then overlays, by identity, field by field
member.py      one PBX's `${VAR}` values, credentials and client (its own session and pacing)
context.py     a run: the PBXes chosen, the environment, what their jobs share
runner.py      one job per PBX, --parallel at a time, each on its own; output spooled
plan.py        plan each PBX (and save the fleet's plan)
apply.py       apply each PBX, with a rollout (rollout.py: --canary, --max-failures)
saved.py       saved fleet plans: one file, each PBX pinned by identity
sections.py    what a run prints of one PBX; output.py: the whole run's text, Markdown
documents.py   the JSON documents (and their schema)
export.py      export each PBX into its own directory; base.py: propose a shared base
"""
