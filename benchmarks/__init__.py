"""`make bench`: the platform's write paths timed against what a user would otherwise write.

Every benchmark runs ours and its baselines in the same process on the same data, on the
local stack, in scratch databases, a scratch Redis database and a temporary lake.
"""
