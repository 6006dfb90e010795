#!/bin/sh
# Installs the Debian packages a task needs, only those that are missing.
# Usage: tools/deps.sh build|test|interop|e2e|fuzz|demo|bench|ph1...
# Safe to run again and again: with everything present it does nothing.
set -eu

build="build-essential meson ninja-build pkg-config libevent-dev libyaml-dev nettle-dev
       libarchive-dev libncurses-dev libcmocka-dev openssh-client liburing-dev"
fuzz="clang libclang-rt-14-dev"
# Peers and tools we did not write, that the interop tests use as proof.
interop="transmission-cli aria2 python3-libtorrent mktorrent opentracker iproute2
         curl tftp-hpa atftp busybox-static udhcpc isc-dhcp-client nftables python3
         iputils-ping procps dnsmasq-base tcpdump isc-dhcp-server kea-dhcp4-server tmux
         chromium socat dropbear-bin"
e2e="qemu-system-x86 ipxe-qemu ovmf pxelinux syslinux-common syslinux-efi
     linux-image-amd64 busybox-static cpio dnsmasq-base"
demo="$e2e socat"
# bench/tftp.sh compares with dnsmasq's TFTP, tftpd-hpa and atftpd; the last
# two are unpacked from their .debs by the script (installed, they would
# start daemons), so only their libraries are listed here.
bench="gnuplot-nox hyperfine dnsmasq-base bc libwrap0 libpcre2-8-0 kea-admin kea-dhcp4-server
       cpio util-linux"
# Building the phase-1 image (ph1/build.sh): it downloads the kernel, busybox
# and dropbear packages itself; these are the tools it and its e2e test run
# (which also needs a /bin/busybox: busybox or busybox-static, either), and
# the static archives libarchive's pkg-config names for the static agent.
ph1="cpio xz-utils zstd kmod binutils qemu-system-x86 openssh-client
     libacl1-dev libzstd-dev liblz4-dev"

want=""
for group in "$@"; do
	case $group in
	build) want="$want $build" ;;
	fuzz) want="$want $build $fuzz" ;;
	test) want="$want $build $fuzz $interop" ;;
	interop) want="$want $build $interop" ;;
	e2e) want="$want $build $interop $e2e $ph1" ;;
	demo) want="$want $build $demo $ph1" ;;
	bench) want="$want $build $interop $bench" ;;
	ph1) want="$want $build $ph1" ;;
	*) echo "deps.sh: unknown group '$group'" >&2; exit 2 ;;
	esac
done

missing=""
for pkg in $want; do
	case " $missing " in *" $pkg "*) continue ;; esac
	status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
	[ "$status" = "install ok installed" ] || missing="$missing $pkg"
done
[ -n "$missing" ] || exit 0

if [ "$(id -u)" != 0 ]; then
	echo "deps.sh: these Debian packages are missing:$missing" >&2
	echo "deps.sh: install them as root (sudo apt-get install$missing) and run again" >&2
	exit 1
fi
echo "deps.sh: installing$missing"
# Packages such as dnsmasq or tftpd-hpa start a daemon on the host when
# installed; a policy-rc.d that answers 101 keeps them from starting, since
# our tests run their own instances inside network namespaces.
policy=/usr/sbin/policy-rc.d
added_policy=""
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' > "$policy"
	chmod +x "$policy"
	added_policy=1
fi
trap '[ -z "$added_policy" ] || rm -f "$policy"' EXIT
export DEBIAN_FRONTEND=noninteractive
# Refresh the package lists when they are missing or older than a day.
if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null | head -n 1)" ]; then
	apt-get update -qq
fi
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
