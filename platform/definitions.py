"""The code location: assembles assets, checks, resources, sensors and schedules."""

from dagster import Definitions

defs = Definitions()
