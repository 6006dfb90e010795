/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The demo's `bin` target: a static program that phase 1 downloads over the
 * swarm and runs. It prints a marker line that the demo and the tests look
 * for, with the size of its own image and its arguments, then exits.
 */
#include <stdio.h>
#include <sys/stat.h>
#include <sys/utsname.h>

int main(int argc, char **argv)
{
	struct utsname u;
	struct stat st;

	if (uname(&u) != 0)
		return 1;
	if (stat("/proc/self/exe", &st) != 0)
		st.st_size = 0;
	printf("BOOTTORRENT-DEMO-BIN: hello from a binary delivered by BitTorrent "
	       "(%lld bytes, running on %s %s)\n",
	       (long long)st.st_size, u.sysname, u.release);
	for (int i = 1; i < argc; i++)
		printf("BOOTTORRENT-DEMO-BIN: arg %d: %s\n", i, argv[i]);
	return 0;
}
