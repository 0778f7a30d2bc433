# Example: what a fleet of Haswell-class web servers can run.
name web
baseline x86-64-v3
mask hle rtm
