"""The static publication: the whole read side as files any web server or CDN
serves (files.py: what and where; tree.py: atomic generations on disk;
publisher.py: when)."""
from driverlogd.publish.publisher import Publisher

__all__ = ["Publisher"]
