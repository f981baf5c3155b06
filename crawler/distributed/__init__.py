"""Distributed crawling: the crawler's spiders on a Redis frontier (scrapy-redis) shared by many workers.

`seed_sweep` pushes a sweep's start requests; `run_worker` crawls from the frontier until the whole sweep is
done; a killed worker's in-flight requests return to the queue (`frontier.Frontier`). See docs/scaling.md.
"""
