# clamps and a raw bit
max-basic-leaf 7
max-ext-leaf 0x80000004
mask 0x80000001_0_ecx_8 sse4_2
