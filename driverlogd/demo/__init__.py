"""`driverlogd demo`: the whole system on this machine, with nothing of the user's."""
