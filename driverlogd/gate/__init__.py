"""driverlog-gate: the voting check job for proposed catalog changes."""
