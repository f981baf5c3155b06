"""The platform simulator: realistic marketplaces, a JS feed, a search engine with ads, agency sites and a GBK
service market on localhost, generated from a seed, with exportable ground truth (see simulator/README.md)."""
from simulator.server import SimulatorConfig, SimulatorError, SimulatorServer
from simulator.world import World

__all__ = ["SimulatorConfig", "SimulatorError", "SimulatorServer", "World"]
