"""Nations: municipalities running their own pilots beside a national layer.

A nation config (YAML) names the municipalities, their population shares and pilots, the
national layer and how ties cross municipal borders (`config.py`). `run_config` runs it
and adds per-municipality tables and the national list's reach to the run (`tables.py`).
"""

from .config import NATIONS, Nation, NationConfig, load_nation, nation_text, parse_nation

__all__ = ["NATIONS", "Nation", "NationConfig", "load_nation", "nation_text", "parse_nation"]
