// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rawbit.h"

bool cpuid_bit_like(const char *s)
{
	return isdigit((unsigned char)*s) && strchr(s, '_');
}

/* A 32-bit number, decimal or 0x hex, the whole of @s. */
static int parse_u32(const char *s, const char *what, uint32_t *out,
		     char *why, size_t len)
{
	unsigned long long v;
	char *end;

	if (!isdigit((unsigned char)*s)) {
		snprintf(why, len, "%s '%s' is not a number (decimal or 0x hex)", what, s);
		return -EINVAL;
	}
	errno = 0;
	v = strtoull(s, &end, 0);
	if (*end) {
		snprintf(why, len, "%s '%s' is not a number (decimal or 0x hex)", what, s);
		return -EINVAL;
	}
	if (errno || v > 0xffffffffULL) {
		snprintf(why, len, "%s %s is above 0xffffffff", what, s);
		return -EINVAL;
	}
	*out = (uint32_t)v;
	return 0;
}

int cpuid_bit_parse(const char *s, struct cpuid_bit *b, char *why, size_t len)
{
	char buf[128], *part[5], *p;
	unsigned long bit;
	int n = 0, reg;

	if (strlen(s) >= sizeof(buf)) {
		snprintf(why, len, "too long for LEAF_SUBLEAF_REG_BIT");
		return -EINVAL;
	}
	strcpy(buf, s);
	for (p = buf; n < 5; n++) {
		part[n] = p;
		p = strchr(p, '_');
		if (!p) {
			n++;
			break;
		}
		*p++ = '\0';
	}
	if (n != 4) {
		snprintf(why, len, "expected 4 parts LEAF_SUBLEAF_REG_BIT separated by '_', e.g. 7_0_ebx_5");
		return -EINVAL;
	}
	if (parse_u32(part[0], "leaf", &b->leaf, why, len) ||
	    parse_u32(part[1], "subleaf", &b->subleaf, why, len))
		return -EINVAL;
	reg = cpuid_reg_parse(part[2]);
	if (reg < 0) {
		snprintf(why, len, "register '%s' is not one of eax, ebx, ecx, edx", part[2]);
		return -EINVAL;
	}
	b->reg = (unsigned int)reg;
	if (!*part[3] || strspn(part[3], "0123456789") != strlen(part[3])) {
		snprintf(why, len, "bit '%s' is not a decimal number (0..31)", part[3]);
		return -EINVAL;
	}
	errno = 0;
	bit = strtoul(part[3], NULL, 10);
	if (errno || bit > 31) {
		snprintf(why, len, "bit %s is out of range (0..31)", part[3]);
		return -EINVAL;
	}
	b->bit = (unsigned int)bit;
	return 0;
}

size_t cpuid_bit_features(const struct cpuid_bit *b,
			  const struct cpu_feature **out, size_t max)
{
	uint32_t sub = cpuid_leaf_has_subleaves(b->leaf) ? b->subleaf : 0;
	size_t i, n = 0, pass;

	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < features_count(); i++) {
			const struct cpu_feature *f = feature_get(i);

			if (!!(f->flags & FEAT_ALIAS) != !!pass)
				continue;
			if (f->leaf != b->leaf || f->subleaf != sub ||
			    f->reg != b->reg || f->bit != b->bit)
				continue;
			if (n < max)
				out[n] = f;
			n++;
		}
	}
	return n;
}
