# What every web server of the fleet can run: Haswell-class instructions,
# no TSX (disabled by microcode on part of the fleet), and room in the XSAVE
# area for AVX-512 hosts so a CRIU-migrated process never overflows it.
name web
baseline x86-64-v3
mask hle rtm
xsavearea 2696
