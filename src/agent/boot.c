/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <linux/reboot.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/reboot.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "agent/args.h"
#include "agent/boot.h"
#include "util/parse.h"
#include "util/util.h"

#ifndef EKEYREJECTED
#define EKEYREJECTED 129
#endif
#ifndef KEXEC_FILE_UNLOAD
#define KEXEC_FILE_UNLOAD 0x00000001
#endif
#ifndef KEXEC_FILE_NO_INITRAMFS
#define KEXEC_FILE_NO_INITRAMFS 0x00000004
#endif

extern char **environ;

const char *agent_kexec_explain(int err)
{
	if (err < 0)
		err = -err;
	switch (err) {
	case 0: return "no error";
	case EPERM:
	case EKEYREJECTED:
		return "the kernel must be signed (Secure Boot is on, so the running kernel "
		       "only kexecs signed kernels)";
	case EKEYEXPIRED: return "the kernel's signature has expired (Secure Boot is on)";
	case EBADMSG: return "the kernel's signature is malformed (Secure Boot is on)";
	case ENOEXEC: return "not a bootable kernel (kexec needs an x86 bzImage)";
	case ENOSYS: return "this phase-1 kernel cannot kexec (built without CONFIG_KEXEC_FILE)";
	case EBUSY: return "another kexec is already loaded or running";
	case ETXTBSY: return "the kernel or initrd is still open for writing";
	case ENOMEM: return "not enough memory to hold the kernel and initrd for kexec";
	case EINVAL: return "the kernel, initrd or command line was refused (too long?)";
	case ENOENT: return "the kernel or initrd file is missing";
	case EACCES: return "the kernel or initrd file cannot be read";
	case EFBIG:
	case E2BIG: return "the kernel or initrd is too big";
	default: return strerror(err);
	}
}

int agent_kexec_load(const char *kernel, const char *initrd, const char *cmdline)
{
	int kfd = -1, ifd = -1, r = 0;
	unsigned long flags = 0;
	const char *cl = cmdline ? cmdline : "";

	kfd = open(kernel, O_RDONLY | O_CLOEXEC);
	if (kfd < 0)
		return -errno;
	if (initrd) {
		ifd = open(initrd, O_RDONLY | O_CLOEXEC);
		if (ifd < 0) {
			r = -errno;
			goto out;
		}
	} else {
		flags |= KEXEC_FILE_NO_INITRAMFS;
	}
	/* The length counts the terminating NUL (kexec_file_load(2)). */
	if (syscall(SYS_kexec_file_load, kfd, ifd, strlen(cl) + 1, cl, flags) != 0)
		r = -errno;
out:
	if (ifd >= 0)
		close(ifd);
	close(kfd);
	return r;
}

int agent_kexec_unload(void)
{
	if (syscall(SYS_kexec_file_load, -1, -1, 0UL, NULL, (unsigned long)KEXEC_FILE_UNLOAD) != 0)
		return -errno;
	return 0;
}

int agent_kexec_reboot(void)
{
	sync();
	if (reboot(LINUX_REBOOT_CMD_KEXEC) != 0)
		return -errno;
	return -EIO;
}

static int meminfo_field(const char *text, size_t len, const char *key, uint64_t *out)
{
	size_t k = strlen(key);
	size_t i = 0;

	while (i < len) {
		const char *line = text + i;
		const char *nl = memchr(line, '\n', len - i);
		size_t ll = nl ? (size_t)(nl - line) : len - i;

		if (ll > k && memcmp(line, key, k) == 0 && line[k] == ':') {
			size_t p = k + 1, start;

			while (p < ll && line[p] == ' ')
				p++;
			start = p;
			while (p < ll && line[p] >= '0' && line[p] <= '9')
				p++;
			/* Values are in kB; cap so the multiplication fits. */
			if (parse_u64(line + start, p - start, UINT64_MAX / 1024, out) != 0)
				return -1;
			*out *= 1024;
			return 0;
		}
		i += ll + 1;
	}
	return -1;
}

int agent_meminfo_parse(const char *text, size_t len, struct agent_meminfo *out)
{
	if (meminfo_field(text, len, "MemTotal", &out->total) != 0 ||
	    meminfo_field(text, len, "MemAvailable", &out->available) != 0)
		return -1;
	return 0;
}

void agent_ram_compute(const struct agent_meminfo *mi, uint64_t image, struct agent_ram *out)
{
	uint64_t used = mi->total > mi->available ? mi->total - mi->available : 0;

	out->total = mi->total;
	out->image = image;
	out->ph1 = used > image ? used - image : 0;
	if (image + out->ph1 >= mi->total)
		out->guest = 0;
	else
		out->guest = mi->total - image - out->ph1;
}

static uint64_t qemu_size(const char *s)
{
	uint64_t v;
	size_t n = strlen(s);
	uint64_t mult = (uint64_t)1 << 20;

	if (strncmp(s, "size=", 5) == 0) {
		s += 5;
		n -= 5;
	}
	/* "-m 2G,slots=2,maxmem=4G": the size is the first part. */
	const char *comma = memchr(s, ',', n);
	if (comma)
		n = (size_t)(comma - s);
	if (n > 0) {
		switch (s[n - 1]) {
		case 'k':
		case 'K':
			mult = 1024;
			n--;
			break;
		case 'M':
		case 'm':
			mult = (uint64_t)1 << 20;
			n--;
			break;
		case 'G':
		case 'g':
			mult = (uint64_t)1 << 30;
			n--;
			break;
		case 'T':
		case 't':
			mult = (uint64_t)1 << 40;
			n--;
			break;
		default: break;
		}
	}
	if (parse_u64(s, n, UINT64_MAX >> 40, &v) != 0)
		return 0;
	return v * mult;
}

uint64_t agent_qemu_mem_arg(char *const *argv)
{
	uint64_t m = 0;

	for (size_t i = 0; argv && argv[i]; i++) {
		if (strcmp(argv[i], "-m") == 0 && argv[i + 1])
			m = qemu_size(argv[++i]);
		else if (strncmp(argv[i], "-m=", 3) == 0)
			m = qemu_size(argv[i] + 3);
	}
	return m;
}

bool agent_kvm_usable(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	bool ok;

	if (fd < 0)
		return false;
	ok = ioctl(fd, KVM_GET_API_VERSION, 0) == KVM_API_VERSION;
	close(fd);
	return ok;
}

int agent_qemu_argv(const char *args, bool kvm, char ***argv, size_t *argc)
{
	char **split, **v;
	size_t n, k = 0;
	int r;

	r = agent_args_split(args, &split, &n);
	if (r)
		return r;
	v = xcalloc(n + 3, sizeof(*v));
	v[k++] = xstrdup("qemu-system-x86_64");
	if (kvm)
		v[k++] = xstrdup("-enable-kvm");
	for (size_t i = 0; i < n; i++)
		v[k++] = split[i];
	free(split);
	*argv = v;
	*argc = k;
	return 0;
}

pid_t agent_spawn(char *const *argv, const char *dir)
{
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (dir && chdir(dir) != 0)
			_exit(127);
		if (strchr(argv[0], '/'))
			execv(argv[0], argv);
		else
			execvp(argv[0], argv);
		_exit(127);
	}
	return pid;
}
