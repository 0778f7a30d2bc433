# What every web server of the fleet can run: Haswell-class instructions
# (x86-64-v3 hides every later extension, TSX's hle and rtm included,
# which microcode disabled on part of the fleet), and room in the XSAVE
# area for AVX-512 hosts so a CRIU-migrated process never overflows it.
name web
baseline x86-64-v3
xsavearea 2696
