/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Fuzzes what the agent reads from outside text: the kernel command line
 * (BOOTIF, bt.*), OS argument strings split shell-like, /proc/meminfo and
 * QEMU's -m. Oracles: a parsed MAC formats back and parses again to the
 * same bytes; a split never yields more than AGENT_ARGS_MAX words, each no
 * longer than the input; the RAM split never exceeds the total.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/args.h"
#include "agent/boot.h"
#include "agent/cmdline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct agent_cmdline cl;
	struct agent_meminfo mi;
	char *text = malloc(size + 1);
	char **argv;
	size_t argc;

	memcpy(text, data, size);
	text[size] = 0;

	(void)agent_cmdline_parse(text, size, &cl);
	if (cl.has_mac) {
		char s[18];
		uint8_t again[6];

		agent_mac_format(cl.mac, s, sizeof(s));
		assert(agent_mac_parse(s, 17, false, again) == 0);
		assert(memcmp(again, cl.mac, 6) == 0);
	}
	assert(strlen(cl.os) <= AGENT_OS_NAME_MAX);

	if (agent_args_split(text, &argv, &argc) == 0) {
		assert(argc <= AGENT_ARGS_MAX);
		for (size_t i = 0; i < argc; i++)
			assert(strlen(argv[i]) <= size);
		assert(argv[argc] == NULL);
		(void)agent_qemu_mem_arg(argv);
		agent_args_free(argv);
	}

	if (agent_meminfo_parse(text, size, &mi) == 0) {
		struct agent_ram r;

		agent_ram_compute(&mi, size * 4096ULL, &r);
		assert(r.guest <= r.total);
		assert(r.guest + r.ph1 + r.image >= r.total || r.guest == 0);
	}
	free(text);
	return 0;
}
