mask avx512f
xsavearea 4096
family 6
model 0x55
stepping 4
brand "cpuidvirt test"
max-basic-leaf 0xd
max-ext-leaf 0x80000008
