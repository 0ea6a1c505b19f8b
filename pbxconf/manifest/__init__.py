"""YAML manifests -> the desired State.

loader.py     reading files into objects: ${ENV}, validation, references, every error
yaml.py       YAML -> dicts and lists, from libyaml's events; hostile input refused
positions.py  where a key, value or item was (worked out for errors only), following an
              error's location
messages.py   what an error says it found, and which field a person meant
errors.py     Position, ManifestError, ManifestErrors
settings.py   the `settings:` block
desired.py    Desired: what the planner reads
files.py      which files a run reads
model.py      the whole format as one model (the JSON Schema)
"""

from pbxconf.manifest.desired import Desired, DesiredView
from pbxconf.manifest.errors import ManifestError, ManifestErrors, Position
from pbxconf.manifest.files import manifest_files
from pbxconf.manifest.loader import FORMAT_VERSION, MISSING_SECRETS, load
from pbxconf.manifest.model import manifest_model
from pbxconf.manifest.settings import Safety, Settings

__all__ = [
    "FORMAT_VERSION",
    "MISSING_SECRETS",
    "Desired",
    "DesiredView",
    "ManifestError",
    "ManifestErrors",
    "Position",
    "Safety",
    "Settings",
    "load",
    "manifest_files",
    "manifest_model",
]
