"""`python -m crawler.distributed ...`: the `lantian cluster` commands on their own."""
from crawler.distributed.cli import cluster

cluster(prog_name="python -m crawler.distributed")
