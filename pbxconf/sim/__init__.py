"""A stateful simulator of the cloud PBX's API, as the manual describes it.

Independent of the client: it stores wire-shaped records and implements the manual
directly (state.py: the rules; handlers.py: thin handlers; routes.py: the route table;
app.py: auth, pacing, faults, events and the admin endpoints).
"""

from pbxconf.sim.app import DEFAULT_PASSWORD, DEFAULT_USERNAME, SimSettings, Simulator
from pbxconf.sim.state import PbxState

__all__ = ["DEFAULT_PASSWORD", "DEFAULT_USERNAME", "PbxState", "SimSettings", "Simulator"]
