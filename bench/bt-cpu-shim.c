/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * For bench/bt-cpu.sh only: valgrind does not know openat2(2), which
 * util/path.c opens every torrent file with. Preloaded into a dynamically
 * linked boottorrent under valgrind, this syscall() runs openat2 as a plain
 * openat with O_NOFOLLOW (the bench's own files in /dev/shm, no links), and
 * passes every other call through.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <sys/syscall.h>

long syscall(long nr, ...)
{
	va_list ap;
	long a[6];

	va_start(ap, nr);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (nr == SYS_openat2) {
		const struct open_how *how = (const struct open_how *)a[2];

		return openat((int)a[0], (const char *)a[1], (int)how->flags | O_NOFOLLOW,
			      (mode_t)how->mode);
	}
	{
		long (*real)(long, ...) = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");

		return real(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	}
}
