# broken on purpose: line 4 names an unknown feature
name broken
baseline x86-64-v2
mask sse5
