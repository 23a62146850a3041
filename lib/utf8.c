/*
 * utf8.c - UTF-8 as proto3 requires it of every `string` field: checking a
 * text (RFC 3629: no overlong forms, no surrogates, nothing past U+10FFFF)
 * and escaping what is not UTF-8 so that a text built from user bytes can
 * always be sent.
 */
#include <stdlib.h>
#include <string.h>

#include "common.h"

/* The length of the valid sequence at p (at most n bytes), or 0. */
static size_t
utf8_seq(const unsigned char *p, size_t n)
{
	size_t		len, i;
	unsigned int	cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
		cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		cp = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		cp = p[0] & 0x07;
	} else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* Are these n bytes valid UTF-8? */
int
utf8_valid(const void *s, size_t n)
{
	const unsigned char	*p = s;
	size_t			 i = 0, k;

	while (i < n) {
		if ((k = utf8_seq(p + i, n - i)) == 0)
			return 0;
		i += k;
	}
	return 1;
}

/* A NUL-terminated copy of n bytes with every byte that is not part of a
 * valid UTF-8 sequence written as \xHH (a NUL as \x00); NULL if out of
 * memory. */
char *
utf8_escape(const void *s, size_t n)
{
	static const char	 hex[] = "0123456789abcdef";
	const unsigned char	*p = s;
	char			*out, *o;
	size_t			 i = 0, k;

	if ((out = malloc(n * 4 + 1)) == NULL)
		return NULL;
	o = out;
	while (i < n) {
		if (p[i] != 0 && (k = utf8_seq(p + i, n - i)) != 0) {
			memcpy(o, p + i, k);
			o += k;
			i += k;
			continue;
		}
		*o++ = '\\';
		*o++ = 'x';
		*o++ = hex[p[i] >> 4];
		*o++ = hex[p[i] & 0xf];
		i++;
	}
	*o = '\0';
	return out;
}
