/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Booting the downloaded OS: kexec (kexec_file_load(2), then
 * reboot(LINUX_REBOOT_CMD_KEXEC)), a program from the OS folder (bin), or
 * QEMU (bin-qemu-x86_64). The error explanations and the RAM arithmetic
 * are pure and unit-tested; the rest is thin system calls.
 */
#ifndef BT_AGENT_BOOT_H
#define BT_AGENT_BOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/util.h"

/* What an errno from kexec_file_load(2) means to the person at the machine
 * (EPERM and EKEYREJECTED under lockdown: the kernel must be signed). */
const char *agent_kexec_explain(int err);

/* Loads kernel (and initrd, NULL for none) with cmdline (NULL for "") for
 * the next kexec reboot. Returns 0 or a negative errno; explain it with
 * agent_kexec_explain(). Never reboots. */
int agent_kexec_load(const char *kernel, const char *initrd, const char *cmdline) WUR;
/* Unloads what agent_kexec_load() loaded (for tests). 0 or -errno. */
int agent_kexec_unload(void) WUR;
/* Syncs and reboots into the loaded kernel. Returns only on failure
 * (-errno). */
int agent_kexec_reboot(void) WUR;

/* /proc/meminfo's MemTotal and MemAvailable, in bytes. */
struct agent_meminfo {
	uint64_t total, available;
};
/* Parses the text of /proc/meminfo. 0, or -1 when a field is missing. */
int agent_meminfo_parse(const char *text, size_t len, struct agent_meminfo *out) WUR;

/* RAM for a QEMU guest: MemTotal - image - what phase 1 itself uses. */
struct agent_ram {
	uint64_t total; /* MemTotal */
	uint64_t image; /* the downloaded OS, held in tmpfs */
	uint64_t ph1;	/* used by phase 1 besides the image */
	uint64_t guest; /* what is left */
};
/* The image lives in tmpfs, so it is already counted as not available:
 * phase 1's own use is total - available - image (at least 0), and the
 * guest gets total - image - ph1. */
void agent_ram_compute(const struct agent_meminfo *mi, uint64_t image, struct agent_ram *out);
/* The guest memory asked for with -m in a QEMU argv ("-m 2048", "-m 2G",
 * "-m size=512M"; a bare number is MiB) in bytes, 0 when none. */
uint64_t agent_qemu_mem_arg(char *const *argv);

/* True when /dev/kvm can be opened and answers KVM_GET_API_VERSION. */
bool agent_kvm_usable(void);

/* Builds QEMU's argv: qemu-system-x86_64, then -enable-kvm when kvm, then
 * args split shell-like. Returns 0 or an AGENT_ARGS_E_* code. */
int agent_qemu_argv(const char *args, bool kvm, char ***argv, size_t *argc) WUR;

/* Starts argv[0] with argv, in folder dir, as a child. The program is
 * looked up in PATH unless it holds a '/'. Returns the pid, or -errno. */
pid_t agent_spawn(char *const *argv, const char *dir) WUR;

#endif
