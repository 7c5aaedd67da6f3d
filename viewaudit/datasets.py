"""Real logs to audit: public datasets read as canonical impression tables.

``load_ebnerd()`` gives the EB-NeRD sample shipped with viewaudit (MIT, (c) 2024 Ekstra Bladet;
its license is in ``viewaudit/_data/ebnerd/``), or any EB-NeRD split you downloaded.
"""

from viewaudit._read.ebnerd import load_ebnerd

__all__ = ["load_ebnerd"]
