/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * `boottorrent init`: a new environment folder with a commented version-1
 * Boottorrent.yaml and an oss/ folder whose README explains the per-OS
 * config.yaml.
 */
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/env.h"
#include "util/buf.h"

static const char skel_head[] =
	"# A BootTorrent environment (file format version 1).\n"
	"# docs/configuration.md describes every key; 'boottorrent check' validates\n"
	"# this file and every OS under oss/. Keys left out take the value shown.\n"
	"version: 1\n"
	"\n"
	"boot:\n"
	"  # Seconds the boot menu waits before it boots default_os. 0 boots it at\n"
	"  # once; a negative number waits for a choice for ever.\n"
	"  timeout: 30\n"
	"  # The folder name (under oss/) of the OS booted when nobody chooses;\n"
	"  # needed as soon as there is more than one OS.\n"
	"  # default_os: debian\n"
	"  # Seconds each client goes on sharing the OS with the others after its\n"
	"  # own download is complete, before it boots it.\n"
	"  seed_time: 30\n"
	"  # The OSs the menu shows, in this order. Without it, every folder under\n"
	"  # oss/, sorted by name.\n"
	"  # menu: [debian, freedos]\n"
	"\n"
	"server:\n"
	"  # The IPv4 address clients reach this machine at. Without it, the\n"
	"  # address of dhcp.interface.\n"
	"  # address: 10.0.0.1\n"
	"  # Drop root privileges to this user once the ports are open.\n"
	"  # user: nobody\n"
	"\n"
	"dhcp:\n"
	"  # server: hand out addresses and boot information (a network of its own).\n"
	"  # proxy:  boot information only, next to the network's own DHCP server,\n"
	"  #         which keeps handing out the addresses (the safe choice on an\n"
	"  #         existing network).\n"
	"  # off:    the network's DHCP server is set up to send clients to us.\n"
	"  mode: proxy\n"
	"  # The network card facing the clients ('ip link' lists them).\n";

static const char skel_tail[] =
	"  # server mode: the addresses clients get, inside the interface's network.\n"
	"  # range: 10.0.0.100-10.0.0.200\n"
	"  # lease_time: 12h\n"
	"\n"
	"tftp:\n"
	"  enable: true\n"
	"  port: 69\n"
	"\n"
	"http:\n"
	"  # Boot files for iPXE and UEFI HTTP boot, and the status page.\n"
	"  enable: true\n"
	"  port: 8080\n"
	"\n"
	"tracker:\n"
	"  # Our own BitTorrent tracker, for this environment's torrents only.\n"
	"  enable: true\n"
	"  port: 6969\n"
	"  # More trackers to list in every torrent.\n"
	"  # announce: [\"udp://tracker.example:6969/announce\"]\n"
	"\n"
	"swarm:\n"
	"  # Local service discovery (BEP 14) and peer exchange (BEP 11) between\n"
	"  # clients.\n"
	"  lpd: false\n"
	"  pex: true\n"
	"  # The server sends each piece about once and lets the clients pass it on,\n"
	"  # while the swarm holds fewer full copies than super_seed_copies.\n"
	"  super_seed: true\n"
	"  super_seed_copies: 2\n"
	"\n"
	"logging:\n"
	"  # error, warn, info or debug; components can differ from it.\n"
	"  level: info\n"
	"  # components: {dhcp: debug, tftp: warn}\n"
	"\n"
	"# Machines known by their network card: a fixed address (server mode)\n"
	"# and/or an OS that boots without the menu.\n"
	"# hosts:\n"
	"#   - mac: \"52:54:00:12:34:56\"\n"
	"#     ip: 10.0.0.20\n"
	"#     os: debian\n"
	"#     hostname: lab-01\n";

static const char skel_readme[] =
	"Operating systems served by this environment\n"
	"============================================\n"
	"\n"
	"Each folder here is one OS. It holds the OS's files and a config.yaml that\n"
	"says how a client starts it. The folder's name is how Boottorrent.yaml\n"
	"refers to the OS (boot.default_os, boot.menu, hosts[].os). File names in\n"
	"config.yaml are relative to the OS's folder and must stay inside it: no\n"
	"'..', no absolute paths, no symlinks that lead out.\n"
	"\n"
	"Keys of config.yaml\n"
	"-------------------\n"
	"dispname   (text, required) the name shown in the boot menu; unique.\n"
	"method     (required) how the client starts the OS, one of:\n"
	"             kexec            boot a Linux kernel in place of phase 1\n"
	"             bin              run a program from the folder\n"
	"             bin-qemu-x86_64  run the OS in qemu-system-x86_64\n"
	"\n"
	"For kexec:\n"
	"kernel     (required) the kernel, a bzImage (e.g. a copy of /boot/vmlinuz-*)\n"
	"initrd     (required) its initramfs (e.g. a copy of /boot/initrd.img-*)\n"
	"cmdline    (optional) the kernel command line\n"
	"\n"
	"For bin:\n"
	"bin        (required) the program to run\n"
	"binargs    (optional) its arguments, separated by spaces\n"
	"\n"
	"For bin-qemu-x86_64:\n"
	"args       (required) arguments for qemu-system-x86_64, run inside the\n"
	"           OS's folder, e.g. \"-m 1G -cdrom disc.iso\"\n"
	"\n"
	"Examples\n"
	"--------\n"
	"oss/debian/config.yaml, next to the files vmlinuz and initrd.img:\n"
	"\n"
	"    dispname: Debian 12\n"
	"    method: kexec\n"
	"    kernel: vmlinuz\n"
	"    initrd: initrd.img\n"
	"    cmdline: quiet\n"
	"\n"
	"oss/freedos/config.yaml, next to a floppy image:\n"
	"\n"
	"    dispname: FreeDOS\n"
	"    method: bin-qemu-x86_64\n"
	"    args: \"-fda freedos.img\"\n"
	"\n"
	"oss/wipe/config.yaml, next to a program:\n"
	"\n"
	"    dispname: Wipe the disks\n"
	"    method: bin\n"
	"    bin: wipe.sh\n"
	"    binargs: \"--all\"\n"
	"\n"
	"After adding an OS, run 'boottorrent check' in the environment's folder.\n";

int config_iface_guess(char *name, size_t len)
{
	struct ifaddrs *ifa, *i;
	int r = -ENODEV;

	if (getifaddrs(&ifa) < 0)
		return -errno;
	for (i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_name || !i->ifa_addr || i->ifa_addr->sa_family != AF_INET)
			continue;
		if ((i->ifa_flags & IFF_LOOPBACK) || !(i->ifa_flags & IFF_UP))
			continue;
		if (strlen(i->ifa_name) >= len)
			continue;
		snprintf(name, len, "%s", i->ifa_name);
		r = 0;
		break;
	}
	freeifaddrs(ifa);
	return r;
}

static int write_new_file(int dirfd, const char *name, const void *data, size_t len)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	const uint8_t *p = data;
	int r = 0;

	if (fd < 0)
		return -errno;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			break;
		}
		p += n;
		len -= (size_t)n;
	}
	if (close(fd) < 0 && r == 0)
		r = -errno;
	return r;
}

int bt_env_create(const char *dir, const char *interface)
{
	char guessed[IF_NAMESIZE + 1] = "eth0";
	struct buf b;
	int dirfd, ossfd = -1, r;

	if (!interface) {
		if (config_iface_guess(guessed, sizeof(guessed)) < 0)
			snprintf(guessed, sizeof(guessed), "eth0");
		interface = guessed;
	}
	/* The name goes into YAML: refuse what would need quoting there. */
	for (const char *p = interface; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '-' || *p == '_'))
			return -EINVAL;
	if (!*interface || strlen(interface) >= IF_NAMESIZE)
		return -EINVAL;
	if (mkdir(dir, 0755) < 0)
		return -errno;
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		r = -errno;
		rmdir(dir);
		return r;
	}
	buf_init(&b, 64 << 10);
	r = buf_append_str(&b, skel_head);
	if (r == 0)
		r = buf_printf(&b, "  interface: %s\n", interface);
	if (r == 0)
		r = buf_append_str(&b, skel_tail);
	if (r == 0)
		r = write_new_file(dirfd, ENV_CONFIG_NAME, b.data, b.len);
	buf_release(&b);
	if (r == 0 && mkdirat(dirfd, "oss", 0755) < 0)
		r = -errno;
	if (r == 0 && (ossfd = openat(dirfd, "oss", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		r = -errno;
	if (r == 0)
		r = write_new_file(ossfd, "README", skel_readme, sizeof(skel_readme) - 1);
	if (ossfd >= 0)
		close(ossfd);
	if (r < 0) {
		/* Leave nothing half-made behind: only what we created. */
		unlinkat(dirfd, "oss/README", 0);
		unlinkat(dirfd, "oss", AT_REMOVEDIR);
		unlinkat(dirfd, ENV_CONFIG_NAME, 0);
		close(dirfd);
		rmdir(dir);
		return r;
	}
	close(dirfd);
	return 0;
}
