"""Summitry: a self-hosted platform for online diplomacy."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("summitry")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
