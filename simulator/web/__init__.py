"""The aiohttp applications of the simulated platforms, one per origin."""
