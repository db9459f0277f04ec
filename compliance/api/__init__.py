"""The HTTP edge: blueprints; views parse, call the domain, and dump."""
