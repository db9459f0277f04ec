"""Official sanctions lists: parsers, bundled snapshots, catalog and refresh."""
