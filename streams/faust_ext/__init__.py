"""Every use of Faust, mode and aiokafka internals, with their inventory (inventory.py)."""
