#!/bin/bash
# Builds BootTorrent's phase-1 image: Debian's kernel and an initrd holding
# busybox, the kernel modules for common NICs, terminfo, dropbear and the
# statically linked agent. Everything comes from Debian packages fetched with
# `apt-get download` into a cache (or, offline, from packages installed on
# this machine); nothing prebuilt lives in the repository.
#
# Usage: ph1/build.sh [options]
#   --out DIR             where vmlinuz, initrd.img and size.txt go (build/ph1)
#   --cache DIR           downloaded and unpacked packages (build/ph1/cache)
#   --agent auto|PATH|none  the statically linked `boottorrent`: auto (the
#                         default) builds it with ph1/build-agent.sh; none leaves
#                         a placeholder that says so on the client (for tests of
#                         the image alone)
#   --flavour NAME        default, or full (adds QEMU and the kvm modules)
#   --qemu-tar            also write OUT/qemu-x86_64.tar.xz: QEMU with its own
#                         libraries, for the agent to fetch over the swarm
#   --env DIR             read DIR/ph1/{packages,modules,firmware}.list and
#                         DIR/ph1/overlay/ from a BootTorrent environment
#   --extra-packages LIST Debian packages to add (comma or space separated)
#   --extra-modules LIST  kernel modules to add
#   --firmware LIST       PACKAGE[:GLOB] or a local file or folder, see docs/phase1.md
#   --overlay DIR         copied over the image's root last
#   --compress zstd|xz|gzip   the initrd's compression (zstd: the fastest to unpack)
#   --host                take packages from this machine instead of downloading
#   --limit MIB           fail when kernel + initrd exceed this (16 for default)
#   --force               rebuild even when nothing changed since the last build
#
# See docs/phase1.md for what is inside and why.
set -euo pipefail

PATH=$PATH:/usr/sbin:/sbin
top=$(cd "$(dirname "$0")/.." && pwd)
here="$top/ph1"
out="$top/build/ph1"
cache=""
agent=auto
flavour=default
envdir=""
extra_packages=""
extra_modules=""
firmware=""
overlay=""
compress=zstd
host_only=""
limit=""
force=""
qemu_tar=""
arch=amd64
triplet=x86_64-linux-gnu

die() {
	echo "ph1/build.sh: $*" >&2
	exit 1
}
say() {
	echo "ph1: $*" >&2
}

while [ $# -gt 0 ]; do
	case $1 in
	--out) out=$2; shift 2 ;;
	--cache) cache=$2; shift 2 ;;
	--agent) agent=$2; shift 2 ;;
	--flavour|--flavor) flavour=$2; shift 2 ;;
	--env) envdir=$2; shift 2 ;;
	--extra-packages) extra_packages="$extra_packages ${2//,/ }"; shift 2 ;;
	--extra-modules) extra_modules="$extra_modules ${2//,/ }"; shift 2 ;;
	--firmware) firmware="$firmware ${2//,/ }"; shift 2 ;;
	--overlay) overlay=$2; shift 2 ;;
	--compress) compress=$2; shift 2 ;;
	--host) host_only=1; shift ;;
	--limit) limit=$2; shift 2 ;;
	--force) force=1; shift ;;
	--qemu-tar) qemu_tar=1; shift ;;
	-h|--help) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown option '$1' (try --help)" ;;
	esac
done

case $flavour in
default) limit=${limit:-16} ;;
full) ;;
*) die "--flavour must be default or full" ;;
esac
case $compress in
xz) compressor=(xz --check=crc32 -9 --threads=1 -c) ;;
zstd) compressor=(zstd -19 -q -c) ;;
gzip) compressor=(gzip -9n -c) ;;
*) die "--compress must be xz, zstd or gzip" ;;
esac
[ "$(dpkg --print-architecture)" = "$arch" ] || die "builds only on $arch"
for tool in dpkg-deb apt-get apt-cache cpio readelf depmod "${compressor[0]}"; do
	command -v "$tool" >/dev/null || die "'$tool' is missing: run tools/deps.sh ph1"
done

# A list file: one or more names per line, '#' starts a comment.
read_list() {
	sed -e 's/#.*//' "$1" | tr -s ' \t' '\n\n' | sed '/^$/d'
}

if [ -n "$envdir" ]; then
	[ -d "$envdir" ] || die "--env $envdir: no such folder"
	e="$envdir/ph1"
	[ ! -f "$e/packages.list" ] || extra_packages="$extra_packages $(read_list "$e/packages.list")"
	[ ! -f "$e/modules.list" ] || extra_modules="$extra_modules $(read_list "$e/modules.list")"
	[ ! -f "$e/firmware.list" ] || firmware="$firmware $(read_list "$e/firmware.list")"
	if [ -d "$e/overlay" ] && [ -z "$overlay" ]; then
		overlay="$e/overlay"
	fi
fi
if [ "$flavour" = full ]; then
	extra_modules="$extra_modules $(read_list "$here/modules-full.list")"
fi
case $agent in
auto) agent=$("$here/build-agent.sh") || die "the static build of the agent failed" ;;
none) agent="" ;;
esac
if [ -n "$agent" ]; then
	[ -f "$agent" ] || die "--agent $agent: no such file"
	# The image has no C library for the agent: it must stand alone.
	if readelf -l "$agent" 2>/dev/null | grep -q 'program interpreter'; then
		die "--agent $agent is dynamically linked; phase 1 needs a static build (docs/phase1.md)"
	fi
fi
[ -z "$overlay" ] || [ -d "$overlay" ] || die "--overlay $overlay: no such folder"

cache=${cache:-$top/build/ph1/cache}
mkdir -p "$out" "$cache/debs" "$cache/trees"
out=$(cd "$out" && pwd)
cache=$(cd "$cache" && pwd)
# Nothing to do when the recipe, the options, the inputs and the package
# versions apt would fetch are those of the image already in OUT.
stamp_input() {
	local p
	cat "$here/build.sh" "$here/init" "$here/agent-run" "$here/debug-shell" \
		"$here/udhcpc-script" "$here/qemu-wrapper" "$here"/*.list "$here"/etc/*
	local qemu_pkgs
	qemu_pkgs=$(sed -e 's/#.*//' "$here/qemu.list" | awk 'NF { print $1 }' | sort -u)
	printf '%s\n' "$flavour|$extra_packages|$extra_modules|$firmware|$compress|$host_only|$limit|$qemu_tar"
	[ -z "$agent" ] || cat "$agent"
	for p in $overlay $firmware; do
		[ -e "$p" ] || continue
		(cd "$p" 2>/dev/null && find . | LC_ALL=C sort && find . -type f -exec cat {} +) ||
			cat "$p"
	done
	# shellcheck disable=SC2086 # one package per word
	apt-cache policy linux-image-amd64 busybox-static dropbear-bin ncurses-base \
		$extra_packages $qemu_pkgs 2>/dev/null | grep -e '^[^ ]' -e Candidate
}
key=$(stamp_input | sha256sum | cut -d' ' -f1)
if [ -z "$force" ] && [ -f "$out/.stamp" ] && [ "$(cat "$out/.stamp")" = "$key" ] &&
	[ -f "$out/vmlinuz" ] && [ -f "$out/initrd.img" ] && [ -f "$out/size.txt" ] &&
	{ [ -z "$qemu_tar" ] || [ -f "$out/qemu-x86_64.tar.xz" ]; }; then
	cat "$out/size.txt"
	say "$out is up to date (--force rebuilds)"
	exit 0
fi
rm -f "$out/.stamp"

work=$(mktemp -d "${TMPDIR:-/tmp}/ph1.XXXXXX")
trap 'rm -rf "$work"' EXIT
parts="$work/parts"
mkdir -p "$parts"

## Packages ###############################################################

# The version apt would install, or nothing when apt does not know PKG.
declare -A candidate_of=()
pkg_candidate() {
	if [ -z "${candidate_of[$1]+set}" ]; then
		candidate_of[$1]=$(apt-cache policy "$1" 2>/dev/null | sed -n 's/^  Candidate: //p' |
			grep -v '(none)' || true)
	fi
	echo "${candidate_of[$1]}"
}

# pkg_prefetch PKG...: asks apt for the candidates of many packages at once
# and downloads, in one apt-get call, those not in the cache yet. (One call
# per package costs seconds each when a flavour needs a hundred.)
pkg_prefetch() {
	local pkg ver f have need=""
	[ -z "$host_only" ] || return 0
	while read -r pkg ver; do
		candidate_of[$pkg]=$ver
		have=""
		for f in "$cache/debs/${pkg}_"*.deb; do
			[ -f "$f" ] && [ "$(dpkg-deb -f "$f" Version)" = "$ver" ] && have=1
		done
		[ -n "$have" ] || need="$need $pkg"
	done < <(apt-cache policy "$@" 2>/dev/null | awk '
		/^[^ ]/ { p = $1; sub(":$", "", p) }
		/^  Candidate:/ && $2 != "(none)" { print p, $2 }')
	[ -n "$need" ] || return 0
	say "downloading$need"
	# shellcheck disable=SC2086 # one package per word
	(cd "$cache/debs" && apt-get -q -o APT::Sandbox::User=root download $need) \
		>"$work/apt.log" 2>&1 || say "warning: apt-get download failed; trying one by one"
}

# pkg_tree PKG: prints a folder holding PKG's files at their installed
# paths. Downloads and unpacks it once into the cache; with --host, or when
# the download fails and PKG is installed, that is this machine's root.
declare -A tree_of=()
pkg_tree() {
	local pkg=$1 ver deb tree
	if [ -n "${tree_of[$pkg]:-}" ]; then
		echo "${tree_of[$pkg]}"
		return
	fi
	if [ -n "$host_only" ]; then
		dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' ||
			die "--host: package $pkg is not installed here"
		tree_of[$pkg]=/
		echo /
		return
	fi
	ver=$(pkg_candidate "$pkg")
	deb=""
	for f in "$cache/debs/${pkg}_"*"_$arch.deb" "$cache/debs/${pkg}_"*_all.deb; do
		[ -f "$f" ] || continue
		if [ -z "$ver" ] || [ "$(dpkg-deb -f "$f" Version)" = "$ver" ]; then
			deb=$f
		fi
	done
	if [ -z "$deb" ]; then
		if (cd "$cache/debs" && apt-get -q -o APT::Sandbox::User=root download "$pkg" \
			>"$work/apt.log" 2>&1); then
			deb=$(ls -t "$cache/debs/${pkg}_"*.deb | head -n 1)
		elif dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
			say "cannot download $pkg; using the copy installed on this machine"
			tree_of[$pkg]=/
			echo /
			return
		else
			cat "$work/apt.log" >&2
			die "cannot get package $pkg (apt-get update? is the name right?)"
		fi
	fi
	tree="$cache/trees/$(basename "$deb" .deb)"
	if [ ! -f "$tree/.unpacked" ]; then
		rm -rf "$tree"
		mkdir -p "$tree"
		dpkg-deb -x "$deb" "$tree"
		touch "$tree/.unpacked"
	fi
	tree_of[$pkg]=$tree
	echo "$tree"
}

# pkg_closure PKG...: PKG and everything it depends on (not recommends).
pkg_closure() {
	apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
		--no-replaces --no-enhances "$@" 2>/dev/null |
		grep -v -e '^ ' -e '^<' -e ':' | sort -u
}

# pkg_files PKG: the paths PKG installs (regular files and links), relative.
pkg_files() {
	local tree
	tree=$(pkg_tree "$1")
	if [ "$tree" = / ]; then
		dpkg -L "$1" | while read -r p; do
			[ -d "$p" ] && [ ! -L "$p" ] && continue
			echo "${p#/}"
		done
	else
		(cd "$tree" && find . \( -type f -o -type l \) ! -name .unpacked | sed 's|^\./||')
	fi
}

# The folders searched for shared libraries, over all fetched trees.
lib_trees=""
add_lib_trees() {
	local p t
	for p in "$@"; do
		# A dependency apt cannot fetch only narrows where libraries are
		# looked for; a library still missing is reported below.
		t=$(pkg_tree "$p") || {
			say "warning: cannot get $p, a dependency; going on without it"
			continue
		}
		case " $lib_trees " in *" $t "*) ;; *) lib_trees="$lib_trees $t" ;; esac
	done
}

# copy_from TREE REL DEST: copies TREE/REL to DEST/REL, following links
# inside the tree (a library's soname link becomes the file itself).
copy_from() {
	local tree=$1 rel=$2 dest=$3
	mkdir -p "$dest/$(dirname "$rel")"
	if [ -L "$tree/$rel" ] && [ "$tree" != / ]; then
		# An absolute link inside an unpacked tree points into the tree.
		local target
		target=$(readlink "$tree/$rel")
		case $target in
		/*) cp -L "$tree$target" "$dest/$rel" 2>/dev/null || cp -P "$tree/$rel" "$dest/$rel" ;;
		*) cp -L "$tree/$rel" "$dest/$rel" 2>/dev/null || cp -P "$tree/$rel" "$dest/$rel" ;;
		esac
	else
		cp -L "$tree/$rel" "$dest/$rel"
	fi
}

# find_lib SONAME: prints TREE<TAB>REL of the first tree holding it.
find_lib() {
	local t d
	for t in $lib_trees; do
		for d in "lib/$triplet" "usr/lib/$triplet" lib64 lib usr/lib; do
			if [ -e "$t/$d/$1" ]; then
				printf '%s\t%s\n' "$t" "$d/$1"
				return 0
			fi
		done
	done
	return 1
}

# add_elf_deps DEST [self]: adds to DEST the shared libraries (and the
# dynamic loader) that the ELF programs in DEST need, until nothing is
# missing; those another part carries are left to it, unless "self" asks
# for a folder that stands alone.
add_elf_deps() {
	local dest=$1 self=${2:-} f pd need found tree rel missing=""
	# A library can need another: go round until nothing is added.
	for _ in 1 2 3 4 5 6 7 8; do
		local added=0
		while IFS= read -r f; do
			[ "$(head -c 4 "$f" | od -An -c | tr -d ' ')" = '177ELF' ] || continue
			# Firmware for other machines (QEMU's) is ELF too: only x86-64
			# programs (e_machine 62) run here.
			[ "$(od -An -tu2 -j18 -N2 "$f" | tr -d ' ')" = 62 ] || continue
			{
				readelf -d "$f" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'
				readelf -l "$f" 2>/dev/null |
					sed -n 's/.*program interpreter: \(.*\)\]/\1/p' | sed 's|.*/||'
			} | while read -r need; do
				# The loader's path is fixed by the program; put it there too.
				# Present in this part or in an earlier one: the image has it.
				local have=""
				for pd in "$dest" ${self:-"$parts"/*}; do
					if [ -e "$pd/lib/$triplet/$need" ] || [ -e "$pd/usr/lib/$triplet/$need" ]; then
						have=1
					fi
				done
				[ -z "$have" ] || continue
				if found=$(find_lib "$need"); then
					tree=${found%%$'\t'*}
					rel=${found#*$'\t'}
					copy_from "$tree" "$rel" "$dest"
					echo added
				else
					echo "missing $need"
				fi
			done
		done < <(find "$dest" -type f) >"$work/elf.log"
		missing=$(sed -n 's/^missing //p' "$work/elf.log" | sort -u | tr '\n' ' ')
		grep -q '^added' "$work/elf.log" && added=1
		[ "$added" = 1 ] || break
	done
	[ -z "$missing" ] || say "warning: shared libraries not found: $missing"
	# Programs ask for the loader at /lib64; Debian keeps it in /lib/<triplet>.
	if [ -e "$dest/lib/$triplet/ld-linux-x86-64.so.2" ]; then
		mkdir -p "$dest/lib64"
		ln -sf "../lib/$triplet/ld-linux-x86-64.so.2" "$dest/lib64/ld-linux-x86-64.so.2"
	fi
}

## Parts ##################################################################
# Each part is staged in its own folder so the report can say what it costs;
# the image is their union.

part() {
	mkdir -p "$parts/$1"
	echo "$parts/$1"
}

# files.list: PART PACKAGE PATH...
stage_file_list() {
	local p pkg paths tree dest rel
	while read -r p pkg paths; do
		dest=$(part "$p")
		tree=$(pkg_tree "$pkg")
		for rel in $paths; do
			# Globs expand inside the package's tree.
			local matched=""
			for f in "$tree"/$rel; do
				[ -e "$f" ] || [ -L "$f" ] || continue
				copy_from "$tree" "${f#"$tree"/}" "$dest"
				matched=1
			done
			[ -n "$matched" ] || die "files.list: $pkg has no $rel"
		done
	done < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$here/files.list")
}

say "fetching packages (cache: $cache)"
if [ -z "$host_only" ] && [ -z "$(pkg_candidate busybox-static)" ] && [ "$(id -u)" = 0 ]; then
	# A machine that never ran apt-get update knows no package to download.
	apt-get update -qq || true
fi
kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
	sed -n 's/^  Depends: \(linux-image-[0-9].*-amd64\)$/\1/p' | head -n 1)
if [ -z "$kpkg" ] || [ -n "$host_only" ]; then
	# Offline or --host: the newest kernel package installed here.
	kpkg=$(dpkg-query -W -f='${Package} ${Status}\n' 'linux-image-[0-9]*-amd64' 2>/dev/null |
		grep 'install ok installed' | cut -d' ' -f1 | sort -V | tail -n 1)
fi
[ -n "$kpkg" ] || die "no Debian kernel package found (tools/deps.sh ph1)"

# The kernel package ships no modules.dep (its postinst makes it): unpack it
# once into the cache and index it there with depmod.
kernel_tree() {
	local ver deb tree
	if [ -n "$host_only" ]; then
		echo /
		return
	fi
	ver=$(pkg_candidate "$kpkg")
	deb=""
	for f in "$cache/debs/${kpkg}_"*.deb; do
		[ -f "$f" ] || continue
		if [ -z "$ver" ] || [ "$(dpkg-deb -f "$f" Version)" = "$ver" ]; then deb=$f; fi
	done
	if [ -z "$deb" ]; then
		if ! (cd "$cache/debs" && apt-get -q -o APT::Sandbox::User=root download "$kpkg" \
			>"$work/apt.log" 2>&1); then
			if [ -d "/lib/modules/${kpkg#linux-image-}" ]; then
				say "cannot download $kpkg; using the installed kernel"
				echo /
				return
			fi
			cat "$work/apt.log" >&2
			die "cannot get $kpkg"
		fi
		deb=$(ls -t "$cache/debs/${kpkg}_"*.deb | head -n 1)
	fi
	tree="$cache/trees/$(basename "$deb" .deb)"
	if [ ! -f "$tree/.index" ]; then
		rm -rf "$tree"
		mkdir -p "$tree"
		say "unpacking $(basename "$deb") and indexing its modules (once)"
		dpkg-deb -x "$deb" "$tree"
		depmod -b "$tree" "${kpkg#linux-image-}"
		touch "$tree/.index"
	fi
	echo "$tree"
}
ktree=$(kernel_tree)
kver=${kpkg#linux-image-}
kmods="$ktree/lib/modules/$kver"
[ -f "$ktree/boot/vmlinuz-$kver" ] || die "no boot/vmlinuz-$kver in $kpkg"
[ -f "$kmods/modules.dep" ] || die "no modules.dep for $kver"
say "kernel $kpkg"
cp "$ktree/boot/vmlinuz-$kver" "$out/vmlinuz.tmp"

# Modules: the wanted names, their modules.dep dependencies and softdeps.
modules_closure() {
	awk -v want="$*" '
	function norm(s) { gsub("-", "_", s); return s }
	function base(p) { sub(".*/", "", p); sub("\\.ko(\\.[a-z]+)?$", "", p); return norm(p) }
	FILENAME ~ /modules\.dep$/ {
		path = $1; sub(":$", "", path)
		name = base(path); file[name] = path
		deps[name] = ""
		for (i = 2; i <= NF; i++) deps[name] = deps[name] " " base($i)
		next
	}
	$1 == "softdep" {
		for (i = 3; i <= NF; i++) if ($i != "pre:" && $i != "post:") soft[norm($2)] = soft[norm($2)] " " norm($i)
	}
	END {
		n = split(want, q, " ")
		for (i = 1; i <= n; i++) q[i] = norm(q[i])
		while (n > 0) {
			m = q[n--]
			if (m in seen) continue
			seen[m] = 1
			if (!(m in file)) { print "missing " m; continue }
			print file[m]
			k = split(deps[m] " " soft[m], d, " ")
			for (j = 1; j <= k; j++) if (d[j] != "" && !(d[j] in seen)) q[++n] = d[j]
		}
	}' "$kmods/modules.dep" "$kmods/modules.softdep"
}
wanted_modules="$(read_list "$here/modules.list") $extra_modules"
# shellcheck disable=SC2086 # one name per word
modules_closure $wanted_modules >"$work/modules"
# A softdep may name a module this kernel builds in or lacks; only a module
# asked for by name must exist.
for m in $(sed -n 's/^missing //p' "$work/modules"); do
	if printf '%s\n' $wanted_modules | tr - _ | grep -qx "$m" &&
		! tr - _ <"$kmods/modules.builtin" | grep -q "/$m\.ko"; then
		die "no kernel module '$m' in $kver"
	fi
done
sed -i '/^missing /d' "$work/modules"
mdest=$(part modules)
mkdir -p "$mdest/lib/modules/$kver"
while read -r ko; do
	mkdir -p "$mdest/lib/modules/$kver/$(dirname "$ko")"
	cp "$kmods/$ko" "$mdest/lib/modules/$kver/$ko"
done <"$work/modules"
for f in modules.builtin modules.builtin.modinfo; do
	cp "$kmods/$f" "$mdest/lib/modules/$kver/"
done
# modules.order lists every module the kernel has; keep the ones we carry.
grep -F -x -f "$work/modules" "$kmods/modules.order" >"$mdest/lib/modules/$kver/modules.order" || true
depmod -b "$mdest" "$kver"
# busybox modprobe reads the text indexes; the binary ones and the builtin
# modinfo only served depmod.
rm -f "$mdest/lib/modules/$kver/"*.bin "$mdest/lib/modules/$kver/modules.builtin.modinfo" \
	"$mdest/lib/modules/$kver/modules.symbols"
say "$(wc -l <"$work/modules") kernel modules"

# Firmware: PACKAGE[:GLOB] entries, or local files and folders.
if [ -n "${firmware// /}" ]; then
	fdest=$(part firmware)
	mkdir -p "$fdest/lib/firmware"
	# What the chosen modules ask for, for entries without a glob.
	for ko in $(cat "$work/modules"); do
		modinfo -F firmware "$kmods/$ko" 2>/dev/null || true
	done | sort -u >"$work/fwnames"
	for entry in $firmware; do
		# A local folder mirrors /lib/firmware; a local file goes in it.
		if [ -d "$entry" ]; then
			cp -a "$entry/." "$fdest/lib/firmware/"
			say "firmware $entry: $(find "$entry" -type f | wc -l) files"
			continue
		elif [ -e "$entry" ]; then
			cp -a "$entry" "$fdest/lib/firmware/"
			continue
		fi
		pkg=${entry%%:*}
		glob=""
		[ "$pkg" = "$entry" ] || glob=${entry#*:}
		tree=$(pkg_tree "$pkg")
		n=0
		if [ -n "$glob" ]; then
			for f in "$tree"/lib/firmware/$glob; do
				[ -e "$f" ] || continue
				copy_from "$tree" "${f#"$tree"/}" "$fdest"
				n=$((n + 1))
			done
		else
			while read -r name; do
				[ -e "$tree/lib/firmware/$name" ] || continue
				copy_from "$tree" "lib/firmware/$name" "$fdest"
				n=$((n + 1))
			done <"$work/fwnames"
		fi
		say "firmware $entry: $n files"
	done
fi

# shellcheck disable=SC2046 # one package per word
pkg_prefetch $(sed -e 's/#.*//' "$here/files.list" | awk 'NF >= 2 { print $2 }' | sort -u)
stage_file_list
dropbear_closure=$(pkg_closure dropbear-bin)
# shellcheck disable=SC2086 # one package per word
pkg_prefetch $dropbear_closure
# shellcheck disable=SC2086
add_lib_trees $dropbear_closure
add_elf_deps "$parts/dropbear"

# busybox: one link per applet.
bdest="$parts/busybox"
"$bdest/bin/busybox" --list-full | while read -r a; do
	case $a in bin/busybox|linuxrc) continue ;; esac
	mkdir -p "$bdest/$(dirname "$a")"
	ln -sf /bin/busybox "$bdest/$a"
done

# Base: the init, its helpers, the folders and the few files in /etc.
base=$(part base)
mkdir -p "$base"/{dev,proc,sys,run,tmp,root,mnt,var/lib/boottorrent,etc/boottorrent/bundle}
mkdir -p "$base"/{etc/dropbear,usr/lib/boottorrent,etc/boottorrent/hooks}
chmod 1777 "$base/tmp"
chmod 700 "$base/root"
install -m 755 "$here/init" "$base/init"
for f in agent-run debug-shell udhcpc-script; do
	install -m 755 "$here/$f" "$base/usr/lib/boottorrent/$f"
done
install -m 644 "$here/etc/passwd" "$here/etc/group" "$here/etc/shells" "$base/etc/"
install -m 640 "$here/etc/shadow" "$base/etc/shadow"
install -m 644 "$here/etc/profile" "$base/etc/profile"
ln -sf /proc/mounts "$base/etc/mtab"
printf '%s\n' "$kver" >"$base/etc/boottorrent/kernel-version"
printf 'flavour=%s\nbuilt=%s\n' "$flavour" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
	>"$base/etc/boottorrent/ph1-release"
# The kernel opens /dev/console before /init runs; without it init starts
# with no standard streams until it mounts devtmpfs.
if [ "$(id -u)" = 0 ]; then
	mknod -m 600 "$base/dev/console" c 5 1
	mknod -m 666 "$base/dev/null" c 1 3
fi

if [ -n "$agent" ]; then
	adest=$(part agent)
	mkdir -p "$adest/usr/bin"
	cp "$agent" "$adest/usr/bin/boottorrent"
	strip "$adest/usr/bin/boottorrent" 2>/dev/null || true
	chmod 755 "$adest/usr/bin/boottorrent"
fi

# stage_packages DEST PKG...: the packages' own files, less documentation.
stage_packages() {
	local dest=$1 pkg tree
	shift
	for pkg in "$@"; do
		tree=$(pkg_tree "$pkg")
		pkg_files "$pkg" | grep -v -E '^usr/share/(doc|man|info|locale|lintian|bug|bash-completion)/' |
			while read -r rel; do
				copy_from "$tree" "$rel" "$dest"
			done
	done
}

# stage_list DEST LIST: the packages of LIST (ph1/qemu.list's format),
# whole or the paths given.
stage_list() {
	local dest=$1 pkg paths tree rel f
	while read -r pkg paths; do
		if [ -z "$paths" ]; then
			stage_packages "$dest" "$pkg"
			continue
		fi
		tree=$(pkg_tree "$pkg")
		for rel in $paths; do
			for f in "$tree"/$rel; do
				[ -e "$f" ] || die "$2: $pkg has no $rel"
				copy_from "$tree" "${f#"$tree"/}" "$dest"
			done
		done
	done < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$2")
}
qemu_pkgs=$(sed -e 's/#.*//' "$here/qemu.list" | awk 'NF { print $1 }' | sort -u | tr '\n' ' ')

# Extra packages: their own files, plus the libraries their programs need
# from their dependencies.
extra_pkgs="$extra_packages"
if [ -n "${extra_pkgs// /}" ] || [ "$flavour" = full ]; then
	xdest=$(part extra)
	# shellcheck disable=SC2086
	full_pkgs=""
	[ "$flavour" != full ] || full_pkgs=$qemu_pkgs
	closure=$(pkg_closure $extra_pkgs $full_pkgs)
	say "extra packages:$extra_pkgs ($(echo "$closure" | wc -w) with dependencies)"
	# shellcheck disable=SC2086
	pkg_prefetch $closure
	# shellcheck disable=SC2086
	add_lib_trees $closure
	# shellcheck disable=SC2086
	stage_packages "$xdest" $extra_pkgs
	[ "$flavour" != full ] || stage_list "$xdest" "$here/qemu.list"
	add_elf_deps "$xdest"
fi

# QEMU apart, for the bin-qemu-x86_64 method: a folder that stands alone
# (its own loader and libraries) and runs from wherever the agent unpacks it.
if [ -n "$qemu_tar" ]; then
	qdest="$work/qemu/qemu-x86_64"
	mkdir -p "$qdest/bin"
	# shellcheck disable=SC2086
	closure=$(pkg_closure $qemu_pkgs)
	say "QEMU tar: $qemu_pkgs ($(echo "$closure" | wc -w) with dependencies)"
	# shellcheck disable=SC2086
	pkg_prefetch $closure
	# shellcheck disable=SC2086
	add_lib_trees $closure
	stage_list "$qdest" "$here/qemu.list"
	add_elf_deps "$qdest" self
	install -m 755 "$here/qemu-wrapper" "$qdest/bin/qemu-system-x86_64"
	"$qdest/bin/qemu-system-x86_64" --version >/dev/null ||
		die "the QEMU folder does not run on its own"
	(cd "$work/qemu" && find qemu-x86_64 | LC_ALL=C sort |
		tar -c --no-recursion --owner=0 --group=0 --numeric-owner -T - | xz -9 -T1 -c) \
		>"$out/qemu-x86_64.tar.xz.tmp"
	mv "$out/qemu-x86_64.tar.xz.tmp" "$out/qemu-x86_64.tar.xz"
fi

if [ -n "$overlay" ]; then
	odest=$(part overlay)
	cp -a "$overlay/." "$odest/"
fi

## Pack and report ########################################################

pack() { # DIR: a newc cpio of DIR on stdout, compressed
	(cd "$1" && find . ! -path . | LC_ALL=C sort |
		cpio -o -H newc -R 0:0 --reproducible --quiet) | "${compressor[@]}"
}

root="$work/root"
mkdir -p "$root"
order="base busybox modules firmware terminfo dropbear agent extra overlay"
for p in $order; do
	[ -d "$parts/$p" ] || continue
	cp -a "$parts/$p/." "$root/"
done
pack "$root" >"$out/initrd.img.tmp"
# The bootloader appends the client bundle (an uncompressed cpio) right
# after this file, and the kernel reads a cpio header only at a multiple of
# 4 bytes; zero padding between archives it skips. xz pads itself; zstd and
# gzip do not.
truncate -s %4 "$out/initrd.img.tmp"
mv "$out/vmlinuz.tmp" "$out/vmlinuz"
mv "$out/initrd.img.tmp" "$out/initrd.img"

human() {
	awk -v b="$1" 'BEGIN {
		if (b >= 1048576) printf "%.2f MiB", b / 1048576
		else if (b >= 10240) printf "%.0f KiB", b / 1024
		else printf "%.1f KiB", b / 1024 }'
}
ksize=$(stat -c %s "$out/vmlinuz")
isize=$(stat -c %s "$out/initrd.img")
total=$((ksize + isize))
{
	printf 'BootTorrent phase 1, flavour %s, kernel %s, initrd %s\n\n' "$flavour" "$kver" "$compress"
	printf '%-10s %6s %12s %12s\n' part files unpacked compressed
	printf '%-10s %6s %12s %12s\n' kernel 1 "$(human "$ksize")" "$(human "$ksize")"
	for p in $order; do
		if [ "$p" = agent ] && [ -z "$agent" ]; then
			printf '%-10s %6s %12s %12s\n' agent 0 "(missing)" "-"
		fi
		[ -d "$parts/$p" ] || continue
		files=$(find "$parts/$p" ! -type d | wc -l)
		raw=$(du -sb "$parts/$p" | cut -f1)
		packed=$(pack "$parts/$p" | wc -c)
		printf '%-10s %6s %12s %12s\n' "$p" "$files" "$(human "$raw")" "$(human "$packed")"
	done
	printf '%-10s %6s %12s %12s\n' initrd "" "" "$(human "$isize")"
	printf '%-10s %6s %12s %12s\n' total "" "" "$(human "$total")"
	if [ -n "$qemu_tar" ]; then
		printf '%-10s %6s %12s %12s   (apart: qemu-x86_64.tar.xz)\n' qemu \
			"$(find "$work/qemu" ! -type d | wc -l)" "$(human "$(du -sb "$work/qemu" | cut -f1)")" \
			"$(human "$(stat -c %s "$out/qemu-x86_64.tar.xz")")"
	fi
	printf '\nkernel + initrd = %d bytes' "$total"
	[ -z "$limit" ] || printf ' (limit %d MiB)' "$limit"
	printf '\n'
} | tee "$out/size.txt"
if [ -n "$limit" ] && [ "$total" -gt $((limit * 1048576)) ]; then
	die "kernel + initrd ($total bytes) exceed $limit MiB"
fi
echo "$key" >"$out/.stamp"
say "wrote $out/vmlinuz and $out/initrd.img"
