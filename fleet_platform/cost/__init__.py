"""What the platform costs: storage footprint of the landing and warehouse, storage and
compute cost per day, cost per million events."""
