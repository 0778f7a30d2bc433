# The VIRT_CPUID_MASK value of libvirtcpuid's README, verbatim.
avx512f,hle,rtm,xsavearea=2696
