# The front door. The build itself is meson + ninja (see meson.build).
#   make             build build/boottorrent
#   make test        install what the tests need, run every test
#   make test-unit | test-interop | test-e2e | test-faults | fuzz
#   make loaders     fetch the bootloaders start serves into build/loaders
#   make demo        the demonstration (see README.md)
#   make ph1         the phase-1 image in build/ph1 (ph1/build.sh, docs/phase1.md)
#   make clean

BUILD ?= build

.PHONY: all deps loaders test test-unit test-interop test-e2e test-faults fuzz demo ph1 clean format

all: $(BUILD)/build.ninja
	ninja -C $(BUILD)

$(BUILD)/build.ninja:
	@tools/deps.sh build
	meson setup $(BUILD)

deps:
	@tools/deps.sh test

# The bootloaders start serves (pxelinux, signed shim and GRUB), from
# Debian's packages, unpacked into $(BUILD)/loaders.
loaders:
	@tools/fetch-loaders.sh $(BUILD)

test:
	@tools/deps.sh test e2e
	@tools/test.sh unit interop e2e faults fuzz

test-unit:
	@tools/deps.sh build
	@tools/test.sh unit

test-interop:
	@tools/deps.sh interop
	@tools/test.sh interop

test-e2e:
	@tools/deps.sh e2e
	@tools/test.sh e2e

test-faults:
	@tools/deps.sh interop
	@tools/test.sh faults

fuzz:
	@tools/deps.sh fuzz
	@tools/test.sh fuzz

demo: all
	@tools/demo.sh

ph1:
	@tools/deps.sh ph1
	ph1/build.sh --agent auto $(PH1_FLAGS)

format:
	clang-format -i $$(git ls-files 'src/*.c' 'src/*.h' 'tests/*.c')

clean:
	rm -rf $(BUILD) build-test build-fuzz
