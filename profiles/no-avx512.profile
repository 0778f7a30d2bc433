# Everything this host has, except AVX-512 (masking avx512f hides every
# avx512 extension with it, see cpuid-deps.c).
name no-avx512
mask avx512f
