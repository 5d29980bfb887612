"""DriverLog: vendor drivers, their maintainers, and whether their CI really tests them."""

__version__ = "0.1.0"
