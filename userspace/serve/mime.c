// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mime.h"

#define SLOTS 4096	/* open addressing; /etc/mime.types has ~1500 extensions */

static struct {
	char *ext;
	const char *type;
} table[SLOTS];

static uint32_t hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)tolower((unsigned char)*s)) * 16777619u;
	return h;
}

int mime_load(const char *path)
{
	char line[1024];
	FILE *f = fopen(path, "r");
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *save, *type = strtok_r(line, " \t\r\n", &save), *ext, *t = NULL;

		if (!type || *type == '#')
			continue;
		while ((ext = strtok_r(NULL, " \t\r\n", &save))) {
			uint32_t i = hash(ext) % SLOTS;

			while (table[i].ext && strcasecmp(table[i].ext, ext))
				i = (i + 1) % SLOTS;
			if (table[i].ext)
				continue;	/* the first mention wins */
			if (n == SLOTS * 3 / 4)
				break;		/* keep lookups short */
			if (!t && !(t = strdup(type)))
				break;
			table[i].ext = strdup(ext);
			table[i].type = t;
			n++;
		}
	}
	fclose(f);
	return n;
}

const char *mime_type(const char *name)
{
	const char *dot = strrchr(name, '.'), *slash = strrchr(name, '/');
	uint32_t i;

	if (!dot || (slash && dot < slash) || !dot[1])
		return "application/octet-stream";
	for (i = hash(dot + 1) % SLOTS; table[i].ext; i = (i + 1) % SLOTS)
		if (!strcasecmp(table[i].ext, dot + 1))
			return table[i].type;
	return "application/octet-stream";
}
