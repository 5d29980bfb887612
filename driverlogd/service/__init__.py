"""The driverlogd process: config, wiring, signals, systemd and daemon mode."""
