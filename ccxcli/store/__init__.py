"""The lab store: files written atomically, the lab lock, the lab home. Loads and saves only."""
