"""Fleets: one repository, many PBXes.

inventory.py        `pbxconf.yaml`: each PBX's name, URL, credentials' variables, labels,
                    layers (inventory_model.py: its format; inventory_errors.py: reading
                    it, every error at file:line:col)
selection.py        --pbx, --select LABEL=VALUE, --all, and a stable --shard K/N
overlay.py          a PBX's manifests as layers: a base, then overlays, by identity and
                    field by field (layer_cache.py: a fleet's base parsed and loaded once)
member.py           one PBX's `${VAR}` values, credentials and client (its own session
                    and write pacing)
context.py          a run: the PBXes chosen, the environment, what their jobs share
runner.py           one job per PBX, --parallel at a time, each on its own; spool.py
                    keeps their output out of memory until it is printed in order
plan.py             plan each PBX (and save the fleet's plan); processes.py: in N workers
apply.py            apply each PBX, within a rollout (rollout.py: --canary, --max-failures)
saved.py            saved fleet plans: one file, each PBX pinned by identity
sections.py         what a run prints of one PBX; output.py: the run's text and Markdown
documents.py        the JSON documents; schema.py: the inventory's and overlays' schemas
export.py, base.py  export each PBX into its own directory; propose a shared base
info.py, validate.py  info and validate over a fleet
"""

# The default of --parallel: enough PBXes in flight that the round trips overlap and one
# machine's CPU, not the latency, sets the pace (see the README's fleet benchmark); few
# enough that connections and a provider's limits are not a worry. Here, not in
# runner.py, so that the options of a command for one PBX import no fleet module.
DEFAULT_PARALLEL = 32
